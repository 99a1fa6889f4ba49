package durablerooms;

import durablerooms.support.ChatMember;
import durablerooms.support.NodeProcess;
import durablerooms.support.TestNodes;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The embedded store is shared by the nodes of one machine and served by none of them: whichever
 * node dies or stops, the others' writes reach it within seconds, and their journals do not grow.
 */
@Tag("cluster")
@Tag("process")
@ExtendWith(VertxExtension.class)
class StoreFailoverTest {
  private static final int NODES = 3;
  private final List<NodeProcess> processes = new ArrayList<>();
  private final List<ChatMember> members = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() {
    members.forEach(ChatMember::stop);
    processes.forEach(NodeProcess::close);
  }

  private NodeProcess start(Map<String, String> env, int i, int run) {
    NodeProcess p = NodeProcess.start(env.get("ROOMS_CLUSTER_NAME").substring(6, 14) + "-node" + i + "-" + run, env);
    p.awaitReady();
    return p;
  }

  /** The seq each room has in the store (0 if none), read as any other process of the machine can. */
  private static Map<String, Long> stored(Path dataDir, List<String> rooms) {
    Map<String, Long> seqs = new HashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("rooms.db").toAbsolutePath());
         PreparedStatement ps = c.prepareStatement("SELECT seq FROM logic_rooms WHERE room = ?")) {
      for (String room : rooms) {
        ps.setString(1, room);
        try (ResultSet rs = ps.executeQuery()) {
          seqs.put(room, rs.next() ? rs.getLong(1) : 0L);
        }
      }
    } catch (SQLException e) {
      throw new AssertionError("the store could not be read: " + e, e);
    }
    return seqs;
  }

  /** The highest seq ACKed to a member of each room so far. */
  private Map<String, Long> acked() {
    Map<String, Long> seqs = new HashMap<>();
    for (ChatMember m : members) {
      m.snapshot().acked().values().forEach(seq -> seqs.merge(m.room(), seq, Math::max));
    }
    return seqs;
  }

  /** Waits until the store holds, for every room, everything ACKed when it was called. */
  private void storeCatchesUp(Path dataDir, List<String> rooms, String after) {
    Map<String, Long> target = acked();
    long started = System.currentTimeMillis();
    TestNodes.eventually(15_000, "the store has every room's ACKed messages " + after + ": " + target, () -> {
      Map<String, Long> now = stored(dataDir, rooms);
      return target.entrySet().stream().allMatch(e -> now.get(e.getKey()) >= e.getValue());
    });
    System.out.printf("store caught up %d ms after %s: %s%n", System.currentTimeMillis() - started, after, target);
  }

  @Test
  @DisplayName("kill -9 and a graceful stop of each node in turn under load: the others' writes reach the shared store within seconds, and stopping all leaves no journal")
  void storeOutlivesEveryNode(Vertx vertx) throws IOException {
    String cluster = "store-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    List<Map<String, String>> envs = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      envs.add(TestNodes.settings(cluster, clusterPort, Map.of(
          "ROOMS_REQUEST_TIMEOUT_MS", "2000", "ROOMS_RATE_PER_SEC", "200", "ROOMS_RATE_BURST", "200")));
    }
    Path dataDir = Path.of(envs.get(0).get("ROOMS_DATA_DIR")); // one folder for the machine's nodes
    for (int i = 0; i < NODES; i++) {
      processes.add(start(envs.get(i), i, 0));
    }
    TestNodes.eventually(30_000, "the nodes form one cluster", () -> processes.get(0).nodesSeen() == NODES);

    List<Integer> ports = processes.stream().map(p -> p.httpPort).toList();
    List<String> rooms = new ArrayList<>();
    for (int r = 0; r < NODES; r++) {
      String room = "store-" + r + "-" + UUID.randomUUID().toString().substring(0, 6);
      rooms.add(room);
      List<Integer> order = new ArrayList<>(ports);
      java.util.Collections.rotate(order, -r); // each room's first member joins through another node
      members.add(new ChatMember(vertx, "a" + r, room, order));
      java.util.Collections.rotate(order, -1);
      members.add(new ChatMember(vertx, "b" + r, room, order));
    }
    members.forEach(m -> m.start(1_000_000, 100));
    TestNodes.eventually(20_000, "every room has ACKed messages", () -> acked().size() == rooms.size());
    storeCatchesUp(dataDir, rooms, "the start");

    int run = 1;
    for (String fault : List.of("kill -9", "SIGTERM")) {
      for (int i = 0; i < NODES; i++) {
        NodeProcess victim = processes.get(i);
        if (fault.equals("kill -9")) {
          victim.kill();
        } else {
          assertEquals(143, victim.stop(), "a graceful stop exits with 128 + SIGTERM");
        }
        Map<String, Long> before = acked();
        TestNodes.eventually(20_000, "messages are ACKed again after the " + fault + " of node " + i,
            () -> acked().entrySet().stream().allMatch(e -> e.getValue() > before.get(e.getKey())));
        storeCatchesUp(dataDir, rooms, "the " + fault + " of node " + i);
        victim.close();
        processes.set(i, start(envs.get(i), i, run++));
        NodeProcess back = processes.get(i);
        TestNodes.eventually(30_000, "node " + i + " is back in the cluster", () -> back.nodesSeen() == NODES);
        storeCatchesUp(dataDir, rooms, "node " + i + " came back");
      }
    }

    members.forEach(ChatMember::stop);
    storeCatchesUp(dataDir, rooms, "the last message");
    for (NodeProcess p : processes) {
      assertEquals(143, p.stop());
    }
    List<Path> left;
    try (Stream<Path> files = Files.list(dataDir.resolve("journal"))) {
      left = files.toList();
    }
    assertEquals(List.of(), left, "the journals of stopped nodes are gone: all they held is in the store");
  }
}
