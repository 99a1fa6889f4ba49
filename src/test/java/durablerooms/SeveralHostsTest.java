package durablerooms;

import durablerooms.support.ChatMember;
import durablerooms.support.ListeningSockets;
import durablerooms.support.NodeProcess;
import durablerooms.support.PostgresServer;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three nodes as on three machines: each on an address of its own (127.0.0.2-4), joined by the
 * member list in ROOMS_CLUSTER_MEMBERS, sharing a real PostgreSQL server as their store. Whatever
 * was ACKed outlives the kill -9 of a node and a stop of all three, once and in order, for chat
 * rooms and for a room of a user's type.
 */
@Tag("cluster")
@Tag("process")
@ExtendWith(VertxExtension.class)
class SeveralHostsTest {
  private static final List<String> HOSTS = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4");
  private static final int LEDGER_FRAMES = 30;

  private final List<NodeProcess> processes = new ArrayList<>(Collections.nCopies(HOSTS.size(), null));
  private final List<ChatMember> members = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private PostgresServer postgres;

  @AfterEach
  void tearDown() {
    members.forEach(ChatMember::stop);
    processes.stream().filter(p -> p != null).forEach(NodeProcess::close);
    if (postgres != null) {
      postgres.close();
    }
  }

  /**
   * Each node's settings: its own address for Hazelcast, the event bus and HTTP; the same ports on
   * every address (they could only all bind if none takes a wildcard); the member list names the
   * first node by host alone (Hazelcast tries the cluster port and the next ones) and the others
   * with their port.
   */
  private List<Map<String, String>> settings() {
    String cluster = "hosts-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    String httpPort = String.valueOf(TestNodes.freePort());
    String memberList = HOSTS.get(0) + "," + HOSTS.get(1) + ":" + clusterPort + "," + HOSTS.get(2) + ":" + clusterPort;
    List<Map<String, String>> envs = new ArrayList<>();
    for (int i = 0; i < HOSTS.size(); i++) {
      Map<String, String> env = new HashMap<>(TestNodes.settings(cluster, clusterPort, postgres.settings()));
      env.put("ROOMS_HTTP_PORT", httpPort);
      env.put("ROOMS_HTTP_HOST", HOSTS.get(i));
      env.put("ROOMS_CLUSTER_HOST", HOSTS.get(i));
      env.put("ROOMS_CLUSTER_MEMBERS", memberList);
      env.put("ROOMS_DATA_DIR", env.get("ROOMS_DATA_DIR") + "-" + i); // a machine of its own: its own journal
      env.put("ROOMS_REQUEST_TIMEOUT_MS", "3000");
      env.put("ROOMS_RATE_PER_SEC", "200");
      env.put("ROOMS_RATE_BURST", "200");
      envs.add(env);
    }
    return envs;
  }

  /** Starts the given nodes at once (as a fleet starts), then waits for them to be ready and joined. */
  private void start(List<Map<String, String>> envs, List<Integer> which, String run) {
    for (int i : which) {
      Map<String, String> env = envs.get(i);
      processes.set(i, NodeProcess.start(env.get("ROOMS_CLUSTER_NAME").substring(6, 14) + "-" + HOSTS.get(i) + "-" + run, env));
    }
    for (int i : which) {
      // three JVMs starting together on a 2-core CI machine that runs other builds took 70 s once
      processes.get(i).awaitReady(120_000);
    }
    TestNodes.eventually(30_000, "the three nodes form one cluster",
        () -> processes.stream().allMatch(p -> p.nodesSeen() == HOSTS.size()));
  }

  private List<InetSocketAddress> endpoints(int first) {
    List<InetSocketAddress> order = new ArrayList<>();
    for (NodeProcess p : processes) {
      order.add(InetSocketAddress.createUnresolved(p.httpHost, p.httpPort));
    }
    Collections.rotate(order, -first);
    return order;
  }

  /** The highest seq ACKed to a member of each room so far. */
  private Map<String, Long> acked() {
    Map<String, Long> seqs = new HashMap<>();
    for (ChatMember m : members) {
      m.snapshot().acked().values().forEach(seq -> seqs.merge(m.room(), seq, Math::max));
    }
    return seqs;
  }

  private void moreAckedThan(Map<String, Long> before, String after) {
    TestNodes.eventually(20_000, "messages are ACKed in every room again after " + after,
        () -> acked().entrySet().stream().allMatch(e -> e.getValue() > before.getOrDefault(e.getKey(), 0L)));
  }

  /** A room's whole history, read page by page through the HTTP API of {@code node}. */
  private List<JsonObject> history(NodeProcess node, String room) throws IOException, InterruptedException {
    List<JsonObject> all = new ArrayList<>();
    long since = 0;
    while (true) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
          URI.create(node.url() + "/api/rooms/" + room + "/messages?since=" + since + "&limit=1000")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      JsonObject page = new JsonObject(r.body());
      assertFalse(page.getBoolean("gap"), "history retained from the first message: " + room);
      JsonArray messages = page.getJsonArray("messages");
      messages.forEach(m -> all.add((JsonObject) m));
      if (page.getLong("next") == null) {
        return all;
      }
      since = page.getLong("next");
    }
  }

  @Test
  @DisplayName("three nodes on three addresses, each bound to its own, share PostgreSQL: a kill -9, a restart and a stop of all three keep every ACKed message once and in order")
  void threeHostsKeepEveryAckedMessage(Vertx vertx) throws Exception {
    for (String host : HOSTS) {
      assumeTrue(InetAddress.getByName(host).isReachable(1000), host + " is an address of this machine (Linux: all of 127/8)");
    }
    postgres = PostgresServer.start();
    List<Map<String, String>> envs = settings();
    start(envs, List.of(0, 1, 2), "0");
    eachBindsItsOwnAddressOnly();

    List<String> rooms = new ArrayList<>();
    for (int r = 0; r < HOSTS.size(); r++) {
      String room = "hosts-" + r + "-" + UUID.randomUUID().toString().substring(0, 6);
      rooms.add(room);
      // two members per room, each first through another node: a room's traffic crosses nodes
      members.add(ChatMember.onNodes(vertx, "a" + r, room, endpoints(r)));
      members.add(ChatMember.onNodes(vertx, "b" + r, room, endpoints(r + 1)));
    }
    members.forEach(m -> m.start(1_000_000, 100));
    TestNodes.eventually(20_000, "every room has ACKed messages", () -> acked().size() == rooms.size());

    // a room of a user's type, activated on the node about to die and written to across its death
    String ledger = "ledger-" + UUID.randomUUID().toString().substring(0, 8);
    NodeProcess victim = processes.get(0);
    NodeProcess survivor = processes.get(1);
    WsClient first = WsClient.connect(vertx, victim.httpHost, victim.httpPort, "/rooms/ledger/" + ledger + "?name=first");
    first.next("PRESENCE");
    WsClient writer = WsClient.connect(vertx, survivor.httpHost, survivor.httpPort, "/rooms/ledger/" + ledger + "?client=w1");
    writer.next("PRESENCE");
    writer.send(new JsonObject().put("op", "put").put("key", "score").put("value", 7).put("id", "s1"));
    assertEquals("s1", writer.nextOfType("ACK").getString("id"));

    Map<String, Long> beforeKill = acked();
    for (int i = 0; i < LEDGER_FRAMES; i++) {
      if (i == LEDGER_FRAMES / 3) {
        victim.kill();
      }
      writer.send(new JsonObject().put("op", "publish").put("text", "e" + i).put("id", "e" + i));
      Thread.sleep(20); // frames spread over the kill, not all before it
    }
    Set<String> ledgerAcked = new HashSet<>();
    while (ledgerAcked.size() < LEDGER_FRAMES) {
      JsonObject f = writer.nextMatching(x -> "ACK".equals(x.getString("type")) || "ERROR".equals(x.getString("type")),
          "ACK or ERROR");
      if ("ERROR".equals(f.getString("type"))) { // the room was moving: sent again, as a client does
        String id = f.getString("id");
        writer.send(new JsonObject().put("op", "publish").put("text", id).put("id", id));
      } else if (f.getString("id").startsWith("e")) {
        ledgerAcked.add(f.getString("id"));
      }
    }
    writer.close();
    first.close();
    moreAckedThan(beforeKill, "the kill -9 of " + HOSTS.get(0));

    victim.close();
    start(envs, List.of(0), "1");
    moreAckedThan(acked(), HOSTS.get(0) + " came back");

    // a takeover on a loaded machine can hold a room for seconds: enough ACKed before the stop for the checks to mean something
    TestNodes.eventually(30_000, "every member has more than 10 messages ACKed",
        () -> members.stream().allMatch(m -> m.snapshot().acked().size() > 10));
    // stop all three: what is left is in PostgreSQL
    members.forEach(ChatMember::stop);
    List<ChatMember.Snapshot> held = members.stream().map(ChatMember::snapshot).toList();
    for (NodeProcess p : processes) {
      assertEquals(143, p.stop(), "a graceful stop exits with 128 + SIGTERM; see " + p.log);
    }
    start(envs, List.of(0, 1, 2), "2");

    for (int r = 0; r < rooms.size(); r++) {
      List<JsonObject> history = history(processes.get(r), rooms.get(r));
      Map<Long, String> bySeq = new TreeMap<>();
      Map<String, Integer> times = new LinkedHashMap<>();
      long seq = 0;
      for (JsonObject m : history) {
        assertEquals(++seq, m.getLong("seq"), "gap-free, in order: " + rooms.get(r));
        bySeq.put(m.getLong("seq"), m.getString("message"));
        times.merge(m.getString("message"), 1, Integer::sum);
      }
      for (int k = 0; k < members.size(); k++) {
        if (!members.get(k).room().equals(rooms.get(r))) {
          continue;
        }
        ChatMember.Snapshot s = held.get(k);
        assertTrue(s.acked().size() > 10, members.get(k).name + " had messages ACKed: " + s.acked().size());
        for (Map.Entry<String, Long> ack : s.acked().entrySet()) {
          assertEquals(ack.getKey(), bySeq.get(ack.getValue()), "the ACKed seq holds the ACKed message");
          assertEquals(1, times.get(ack.getKey()), ack.getKey() + " stored exactly once");
        }
        s.held().forEach((at, message) -> assertEquals(message, bySeq.get(at), "what a member saw at seq " + at));
      }
      System.out.printf("%s: %d messages after the restart of all three%n", rooms.get(r), history.size());
    }

    try (WsClient c = WsClient.connect(vertx, processes.get(2).httpHost, processes.get(2).httpPort,
        "/rooms/ledger/" + ledger + "?since=0")) {
      c.next("PRESENCE");
      JsonArray log = c.next("HISTORY").getJsonArray("messages");
      Map<String, Integer> times = new HashMap<>();
      long seq = 0;
      for (int i = 0; i < log.size(); i++) {
        assertEquals(++seq, log.getJsonObject(i).getLong("seq"), "gap-free, in order: " + log);
        times.merge(log.getJsonObject(i).getString("text"), 1, Integer::sum);
      }
      for (int i = 0; i < LEDGER_FRAMES; i++) {
        assertEquals(1, times.getOrDefault("e" + i, 0), "e" + i + " in the log exactly once: " + log);
      }
      c.send(new JsonObject().put("op", "get").put("key", "score"));
      JsonObject stored = c.nextOfType("value").getJsonObject("all");
      assertEquals(7, stored.getInteger("score"), "the storage written before the kill");
      assertEquals(3, stored.getInteger("starts"), "activated first, taken over after the kill, woken after the restart");
    }
  }

  /** Every socket each node listens on is on its own address: none on a wildcard, 127.0.0.1 or another's. */
  private void eachBindsItsOwnAddressOnly() throws IOException {
    for (int i = 0; i < HOSTS.size(); i++) {
      NodeProcess p = processes.get(i);
      assumeTrue(ListeningSockets.readable(p.pid()), "/proc shows the process's sockets");
      List<InetSocketAddress> listening = ListeningSockets.of(p.pid());
      // HTTP, Hazelcast and the clustered event bus at least
      assertTrue(listening.size() >= 3, p.name + " listens on " + listening);
      for (InetSocketAddress a : listening) {
        assertEquals(HOSTS.get(i), a.getAddress().getHostAddress(), p.name + " listens on " + listening);
      }
    }
  }
}
