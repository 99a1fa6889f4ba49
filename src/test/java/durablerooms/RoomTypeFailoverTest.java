package durablerooms;

import durablerooms.support.NodeProcess;
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

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A room of a user's type (the test type "ledger") on two node processes: it serves clients on
 * both, and keeps its storage, its log and its connections' attachments across the kill -9 of its
 * node and a restart of every node; a frame retried across the failover runs once, and its alarms
 * run on the node that takes it over and after the restart.
 */
@Tag("cluster")
@Tag("process")
@ExtendWith(VertxExtension.class)
class RoomTypeFailoverTest {
  private static final int FRAMES = 30;
  private final List<NodeProcess> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() {
    processes.forEach(NodeProcess::close);
  }

  private List<Map<String, String>> settings(int n) {
    String cluster = "types-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    List<Map<String, String>> envs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      envs.add(TestNodes.settings(cluster, clusterPort, Map.of("ROOMS_REQUEST_TIMEOUT_MS", "3000",
          "ROOMS_RATE_PER_SEC", "200", "ROOMS_RATE_BURST", "200")));
    }
    return envs;
  }

  private NodeProcess start(Map<String, String> env, String name) {
    NodeProcess p = NodeProcess.start(env.get("ROOMS_CLUSTER_NAME").substring(6, 14) + "-" + name, env);
    processes.add(p);
    return p;
  }

  /** Takes the write lock of the nodes' SQLite store (theirs wait for it) until the connection rolls back or closes. */
  private static Connection lockStore(Map<String, String> env) throws Exception {
    Path store = Path.of(env.get("ROOMS_DATA_DIR"), "rooms.db");
    Connection lock = DriverManager.getConnection("jdbc:sqlite:" + store.toAbsolutePath());
    lock.createStatement().execute("BEGIN IMMEDIATE");
    return lock;
  }

  /** Two node processes in one cluster: the first, then the second. */
  private List<NodeProcess> twoNodes(List<Map<String, String>> envs) {
    NodeProcess first = start(envs.get(0), "node0");
    first.awaitReady();
    NodeProcess second = start(envs.get(1), "node1");
    second.awaitReady();
    TestNodes.eventually(30_000, "two nodes in one cluster", () -> first.nodesSeen() == 2 && second.nodesSeen() == 2);
    return List.of(first, second);
  }

  private static WsClient join(Vertx vertx, NodeProcess p, String room, String query) {
    WsClient c = WsClient.connect(vertx, p.httpPort, "/rooms/ledger/" + room + query);
    c.next("PRESENCE");
    return c;
  }

  private static JsonObject all(WsClient c) {
    c.send(new JsonObject().put("op", "get").put("key", "score"));
    return c.nextOfType("value").getJsonObject("all");
  }

  @Test
  @DisplayName("kill -9 of the room's node, then a restart of every node: storage, log and attachments kept; retried frames run once")
  void survivesTheKillOfItsNodeAndAFullRestart(Vertx vertx) throws Exception {
    List<Map<String, String>> envs = settings(2);
    List<NodeProcess> nodes = twoNodes(envs);
    NodeProcess owner = nodes.get(0);
    NodeProcess other = nodes.get(1);
    String room = "game-" + UUID.randomUUID().toString().substring(0, 8);

    WsClient first = join(vertx, owner, room, "?name=first"); // activates the room on its node
    WsClient b = join(vertx, other, room, "?name=b&client=b1");
    b.nextOfType("hello");
    b.send(new JsonObject().put("op", "attach").put("value", new JsonObject().put("seat", 2)).put("id", "att"));
    b.send(new JsonObject().put("op", "put").put("key", "score").put("value", 1).put("id", "s1"));
    assertEquals("att", b.nextOfType("ACK").getString("id"));
    assertEquals("s1", b.nextOfType("ACK").getString("id"));
    b.send(new JsonObject().put("op", "alarm").put("name", "after-kill").put("inMs", 4000).put("id", "al1"));
    assertEquals("al1", b.nextOfType("ACK").getString("id")); // an alarm due once the room has moved

    // frames in flight while the owner dies: retried by the gateway, deduplicated by their id
    for (int i = 0; i < FRAMES; i++) {
      if (i == FRAMES / 3) {
        owner.kill();
      }
      b.send(new JsonObject().put("op", "publish").put("text", "e" + i).put("id", "e" + i));
      Thread.sleep(20);
    }
    Set<String> acked = new HashSet<>();
    while (acked.size() < FRAMES) {
      JsonObject f = b.nextMatching(x -> "ACK".equals(x.getString("type")) || "ERROR".equals(x.getString("type")),
          "ACK or ERROR");
      if ("ERROR".equals(f.getString("type"))) { // the room was moving: the client sends it again, as a client does
        String id = f.getString("id");
        b.send(new JsonObject().put("op", "publish").put("text", id).put("id", id));
      } else if (f.getString("id").startsWith("e")) {
        acked.add(f.getString("id"));
      }
    }
    first.close();
    TestNodes.eventually(30_000, "the alarm set before the kill runs on the node that took the room over", () -> {
      b.poll(50);
      return b.seen.stream().anyMatch(f -> "alarm".equals(f.getString("type")) && "after-kill".equals(f.getString("name")));
    });
    JsonObject state = all(b);
    assertEquals(1, state.getInteger("score"), "storage written before the kill is kept");
    assertEquals(2, state.getInteger("starts"), "one more activation: the takeover");
    b.send(new JsonObject().put("op", "whoami"));
    assertEquals(2, b.nextOfType("whoami").getJsonObject("attachment").getInteger("seat"),
        "the attachment outlives the room's node");
    b.send(new JsonObject().put("op", "alarm").put("name", "after-restart").put("inMs", 3000).put("id", "al2"));
    assertEquals("al2", b.nextOfType("ACK").getString("id")); // due while every node is down
    b.close();

    // a restart of every node: the store is all that is left
    other.close();
    processes.clear();
    NodeProcess again = start(envs.get(1), "node1-again");
    again.awaitReady();
    try (WsClient c = WsClient.connect(vertx, again.httpPort, "/rooms/ledger/" + room + "?since=0")) {
      c.next("PRESENCE");
      JsonArray history = c.next("HISTORY").getJsonArray("messages");
      Map<String, Integer> times = new HashMap<>();
      long seq = 0;
      for (int i = 0; i < history.size(); i++) {
        JsonObject e = history.getJsonObject(i);
        assertEquals(++seq, e.getLong("seq"), "gap-free, in order: " + history);
        times.merge(e.getString("text", e.getString("name")), 1, Integer::sum);
      }
      for (int i = 0; i < FRAMES; i++) {
        assertEquals(1, times.getOrDefault("e" + i, 0), "e" + i + " in the log exactly once: " + history);
      }
      assertEquals(1, times.getOrDefault("after-kill", 0), "the alarm ran once: " + history);
      if (!times.containsKey("after-restart")) { // not due yet when this client came: it runs live
        c.nextMatching(f -> "alarm".equals(f.getString("type")) && "after-restart".equals(f.getString("name")),
            "the alarm that fell due while every node was down");
      }
      JsonObject after = all(c);
      assertEquals(1, after.getInteger("score"));
      assertEquals(3, after.getInteger("starts"));
    }
  }

  @Test
  @DisplayName("with memory durability, commits ACKed while the store is locked are in the replica, and the takeover after a kill -9 keeps them")
  void commitsAckedFromTheReplicaSurviveTheKillOfTheirNodeBeforeTheStoreHadThem(Vertx vertx) throws Exception {
    List<Map<String, String>> envs = settings(2);
    List<NodeProcess> nodes = twoNodes(envs);
    NodeProcess owner = nodes.get(0);
    NodeProcess other = nodes.get(1);
    String room = "kept-" + UUID.randomUUID().toString().substring(0, 8);
    WsClient first = join(vertx, owner, room, "?name=first"); // activates the room on its node
    WsClient b = join(vertx, other, room, "?name=b&client=b1");
    b.send(new JsonObject().put("op", "put").put("key", "score").put("value", 1).put("id", "s1"));
    assertEquals("s1", b.nextOfType("ACK").getString("id"));
    // the room's first event waits for its seqs to be reserved in the store; later ones do not
    b.send(new JsonObject().put("op", "publish").put("text", "before").put("id", "p0"));
    assertEquals("p0", b.nextOfType("ACK").getString("id"));

    try (Connection lock = lockStore(envs.get(0))) {
      b.send(new JsonObject().put("op", "put").put("key", "score").put("value", 2).put("id", "s2"));
      b.send(new JsonObject().put("op", "publish").put("text", "while-locked").put("id", "p1"));
      assertEquals("s2", b.nextOfType("ACK").getString("id"));
      assertEquals("p1", b.nextOfType("ACK").getString("id"), "ACKed once the replica holds it");
      owner.kill();
      lock.createStatement().execute("ROLLBACK");
    }
    first.close();
    JsonObject[] state = {null};
    TestNodes.eventually(30_000, "the room taken over on the other node", () -> {
      b.send(new JsonObject().put("op", "get").put("key", "score"));
      JsonObject f = b.nextMatching(x -> "value".equals(x.getString("type")) || "ERROR".equals(x.getString("type")),
          "value or ERROR");
      state[0] = f.getJsonObject("all");
      return "value".equals(f.getString("type"));
    });
    assertEquals(2, state[0].getInteger("score"), "the write ACKed from the replica is kept");
    assertEquals(2, state[0].getInteger("starts"), "one more activation: the takeover");
    b.close();
    try (WsClient c = WsClient.connect(vertx, other.httpPort, "/rooms/ledger/" + room + "?since=0")) {
      c.next("PRESENCE");
      JsonArray history = c.next("HISTORY").getJsonArray("messages");
      assertEquals(2, history.size(), history.encode());
      assertEquals("while-locked", history.getJsonObject(1).getString("text"));
      assertEquals(2, history.getJsonObject(1).getLong("seq"));
    }
  }

  @Test
  @DisplayName("on a node alone, commits ACKed while the store is locked are in the node's journal, and a restart on its data folder after a kill -9 applies them")
  void commitsAckedFromTheJournalOfANodeAloneSurviveItsKill(Vertx vertx) throws Exception {
    Map<String, String> env = settings(1).get(0);
    NodeProcess node = start(env, "alone");
    node.awaitReady();
    String room = "journal-" + UUID.randomUUID().toString().substring(0, 8);
    WsClient b = join(vertx, node, room, "?name=b&client=b1");
    b.send(new JsonObject().put("op", "put").put("key", "score").put("value", 1).put("id", "s1"));
    assertEquals("s1", b.nextOfType("ACK").getString("id"));
    try (Connection lock = lockStore(env)) {
      b.send(new JsonObject().put("op", "put").put("key", "score").put("value", 2).put("id", "s2"));
      b.send(new JsonObject().put("op", "publish").put("text", "while-locked").put("id", "p1"));
      assertEquals("s2", b.nextOfType("ACK").getString("id"));
      assertEquals("p1", b.nextOfType("ACK").getString("id"), "ACKed once the journal holds it");
      node.kill();
      lock.createStatement().execute("ROLLBACK");
    }
    b.close();
    NodeProcess again = start(env, "alone-again");
    again.awaitReady();
    try (WsClient c = join(vertx, again, room, "?since=0&client=c1")) {
      JsonArray history = c.next("HISTORY").getJsonArray("messages");
      assertEquals(1, history.size(), history.encode());
      assertEquals("while-locked", history.getJsonObject(0).getString("text"));
      assertEquals(2, all(c).getInteger("score"), "the write ACKed from the journal is kept");
    }
  }

  @Test
  @DisplayName("with memory durability, a kill -9 of every node before the store had the newest commits gives none of their seqs to another event")
  void aKillOfEveryNodeBeforeTheStoreHadTheNewestCommitsGivesNoSeqTwice(Vertx vertx) throws Exception {
    List<Map<String, String>> envs = settings(2);
    List<NodeProcess> nodes = twoNodes(envs);
    NodeProcess owner = nodes.get(0);
    NodeProcess other = nodes.get(1);
    String room = "lost-" + UUID.randomUUID().toString().substring(0, 8);
    WsClient first = join(vertx, owner, room, "?name=first"); // activates the room on its node
    WsClient b = join(vertx, other, room, "?name=b&client=b1");
    b.send(new JsonObject().put("op", "publish").put("text", "before").put("id", "p0"));
    assertEquals(1, b.nextOfType("ACK").getLong("seq"));

    Set<Long> seen = new HashSet<>();
    try (Connection lock = lockStore(envs.get(0))) {
      for (int i = 1; i <= 3; i++) {
        b.send(new JsonObject().put("op", "publish").put("text", "locked-" + i).put("id", "p" + i));
        seen.add(b.nextOfType("ACK").getLong("seq"));
      }
      owner.kill();
      other.kill();
      lock.createStatement().execute("ROLLBACK");
    }
    first.close();
    b.close();
    assertEquals(Set.of(2L, 3L, 4L), seen);

    NodeProcess again = start(envs.get(1), "node1-again");
    again.awaitReady();
    try (WsClient c = WsClient.connect(vertx, again.httpPort, "/rooms/ledger/" + room + "?since=0&client=c1")) {
      c.next("PRESENCE");
      JsonArray history = c.next("HISTORY").getJsonArray("messages");
      for (int i = 0; i < history.size(); i++) {
        long seq = history.getJsonObject(i).getLong("seq");
        assertTrue(seq == 1 || !seen.contains(seq) || history.getJsonObject(i).getString("text").startsWith("locked-"),
            "a seq members saw names the same event: " + history);
      }
      c.send(new JsonObject().put("op", "publish").put("text", "after").put("id", "p9"));
      long next = c.nextOfType("ACK").getLong("seq");
      assertTrue(next > 4, "the next event is numbered after every seq handed out: " + next);
    }
  }
}
