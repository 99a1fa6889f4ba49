package durablerooms;

import durablerooms.support.WsClient;

import durablerooms.support.TestNodes;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Three clustered nodes in one JVM: one activation per room, cross-node delivery and presence, hibernation. */
@Tag("cluster")
@ExtendWith(VertxExtension.class)
class ClusterTest {
  private static final long IDLE_MS = 3000;
  private static final List<Node> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startCluster() {
    String cluster = "test-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    for (int i = 0; i < 3; i++) { // sequentially: on Hazelcast 5.7 each joiner then takes about 0.2 s; started in parallel, three nodes take seconds to form
      nodes.add(TestNodes.start(durablerooms.config.ServerConfig.of(TestNodes.settings(cluster, clusterPort,
          Map.of("ROOMS_IDLE_TIMEOUT_MS", String.valueOf(IDLE_MS))))));
    }
    TestNodes.eventually(20_000, "three nodes see each other", () -> nodes.stream().allMatch(n -> n.clusterSize() == 3));
    TestNodes.awaitPartitionsSettled(nodes.toArray(Node[]::new));
  }

  @AfterAll
  static void stopCluster() {
    nodes.forEach(TestNodes::stop);
  }

  private static String freshRoom() {
    return "c-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static WsClient join(Vertx vertx, int node, String room, String name) {
    return WsClient.join(vertx, nodes.get(node).httpPort(), "/chat/" + room + "?name=" + name);
  }

  private JsonObject get(int node, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + nodes.get(node).httpPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
  }

  private JsonObject getQuietly(int node, String path) {
    try {
      return get(node, path);
    } catch (Exception e) {
      return null;
    }
  }

  private static long activations(String room) {
    return nodes.stream().filter(n -> n.host().isActive(room)).count();
  }

  @Test
  @DisplayName("members on three nodes see each other's messages and presence; the first joiner's node runs the room")
  void crossNodeDeliveryAndPresence(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient a = join(vertx, 0, room, "a"); WsClient b = join(vertx, 1, room, "b"); WsClient c = join(vertx, 2, room, "c")) {
      assertTrue(nodes.get(0).host().isActive(room), "activated on the first joiner's node");
      assertEquals(1, activations(room));
      a.say("from a");
      assertEquals("from a", b.nextOfType("MESSAGE").getString("message"));
      assertEquals("from a", c.nextOfType("MESSAGE").getString("message"));
      c.say("from c", "x1");
      assertEquals(2L, c.nextOfType("ACK").getLong("seq"));
      assertEquals(2L, a.nextOfType("MESSAGE").getLong("seq"));
      assertEquals(2L, b.nextOfType("MESSAGE").getLong("seq"));

      for (int n = 0; n < 3; n++) { // the same answer from every node
        JsonObject info = get(n, "/api/rooms/" + room);
        assertEquals(nodes.get(0).nodeId(), info.getString("owner"));
        Set<String> memberNodes = new HashSet<>();
        info.getJsonArray("members").forEach(m -> memberNodes.add(((JsonObject) m).getString("node")));
        assertEquals(Set.of(nodes.get(0).nodeId(), nodes.get(1).nodeId(), nodes.get(2).nodeId()), memberNodes);
      }
      JsonObject nodesInfo = get(1, "/api/nodes");
      JsonArray listed = nodesInfo.getJsonArray("nodes");
      assertEquals(3, listed.size());
      assertEquals(true, nodesInfo.getBoolean("safe"), "the partitions of a settled cluster are safe");
      JsonObject first = listed.stream().map(o -> (JsonObject) o)
          .filter(o -> o.getString("id").equals(nodes.get(0).nodeId())).findFirst().orElseThrow();
      assertEquals("http://127.0.0.1:" + nodes.get(0).httpPort(), first.getString("http"));
      assertTrue(first.getInteger("rooms") >= 1);
    }
  }

  @Test
  @DisplayName("a room of a user's type read over HTTP from other nodes: its log and seq hold each event once it is ACKed, "
      + "though its store is written behind")
  void aTypedRoomReadFromOtherNodesHoldsEveryAckedEvent(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient a = WsClient.connect(vertx, nodes.get(0).httpPort(), "/rooms/relay/" + room + "?name=a&client=a")) {
      a.nextOfType("PRESENCE");
      for (int i = 1; i <= 5; i++) {
        a.send(new JsonObject().put("message", "m" + i).put("id", "m" + i));
        assertEquals(i, a.nextOfType("ACK").getLong("seq"));
        for (int n = 1; n < 3; n++) {
          JsonObject page = get(n, "/api/types/relay/rooms/" + room + "/messages?since=" + (i - 1));
          assertEquals(List.of("m" + i), page.getJsonArray("messages").stream()
              .map(m -> ((JsonObject) m).getString("message")).toList(), "node " + n + " after ACK " + i);
          assertEquals(i, page.getLong("seq"));
          assertEquals(i, get(n, "/api/types/relay/rooms/" + room).getLong("seq"));
        }
      }
    }
  }

  @Test
  @DisplayName("concurrent first joins of 30 rooms from all three nodes: one activation each, one seq sequence per room")
  void oneActivationPerRoom(Vertx vertx) throws Exception {
    int roomCount = 30;
    List<String> rooms = new ArrayList<>();
    for (int i = 0; i < roomCount; i++) {
      rooms.add(freshRoom());
    }
    ExecutorService pool = Executors.newFixedThreadPool(12);
    try {
      List<CompletableFuture<WsClient>> joins = new ArrayList<>();
      for (String room : rooms) {
        for (int n = 0; n < 3; n++) {
          int node = n;
          joins.add(CompletableFuture.supplyAsync(() -> join(vertx, node, room, "m" + node), pool));
        }
      }
      List<WsClient> clients = new ArrayList<>();
      for (CompletableFuture<WsClient> j : joins) {
        clients.add(j.get());
      }
      for (String room : rooms) {
        assertEquals(1, activations(room), "exactly one activation of " + room);
      }
      // every member sends one message; every member sees the other two, with seq 1..3 in one order
      for (WsClient c : clients) {
        c.say("hello");
      }
      for (int r = 0; r < roomCount; r++) {
        List<List<Long>> seen = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
          WsClient c = clients.get(r * 3 + n);
          List<Long> seqs = new ArrayList<>();
          for (int k = 0; k < 2; k++) {
            seqs.add(c.nextOfType("MESSAGE").getLong("seq"));
          }
          assertTrue(seqs.get(0) < seqs.get(1), "in order: " + seqs);
          seen.add(seqs);
        }
        Set<Long> all = new HashSet<>();
        seen.forEach(all::addAll);
        assertEquals(Set.of(1L, 2L, 3L), all, "one seq sequence in room " + rooms.get(r));
      }
      clients.forEach(WsClient::close);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("a room hibernates on one node and wakes on another with members, history and next seq")
  void hibernateAndWakeElsewhere(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient a = join(vertx, 0, room, "a"); WsClient b = join(vertx, 1, room, "b")) {
      a.say("one");
      assertEquals(1L, b.nextOfType("MESSAGE").getLong("seq"));
      String firstOwner = nodes.get(0).nodeId();
      TestNodes.eventually(IDLE_MS * 10, "room hibernates, on no node any more",
          () -> nodes.stream().noneMatch(n -> n.host().knows(room)));
      // the lease goes back once the state is on disk, a moment after the verticle stops
      TestNodes.eventually(5_000, "the lease is released", () -> {
        JsonObject asleep = getQuietly(2, "/api/rooms/" + room);
        return asleep != null && !asleep.getBoolean("active") && asleep.getValue("owner") == null;
      });

      b.say("two"); // wakes it on b's node
      JsonObject two = a.nextOfType("MESSAGE");
      assertEquals(2L, two.getLong("seq"));
      assertTrue(nodes.get(1).host().isActive(room));
      assertEquals(1, activations(room));
      JsonObject awake = get(2, "/api/rooms/" + room);
      assertNotEquals(firstOwner, awake.getString("owner"));
      assertEquals(nodes.get(1).nodeId(), awake.getString("owner"));
      assertEquals(2, awake.getJsonArray("members").size());
      JsonObject history = get(2, "/api/rooms/" + room + "/messages?since=0");
      assertEquals(2, history.getJsonArray("messages").size());

      // a's node kept the room's state from its first sleep, which the activation on b's node made stale
      TestNodes.eventually(IDLE_MS * 10, "room hibernates again", () -> nodes.stream().noneMatch(n -> n.host().knows(room)));
      TestNodes.eventually(5_000, "the lease is released again", () -> {
        JsonObject asleep = getQuietly(2, "/api/rooms/" + room);
        return asleep != null && !asleep.getBoolean("active") && asleep.getValue("owner") == null;
      });
      a.say("three"); // wakes it on a's node again
      assertEquals(3L, b.nextOfType("MESSAGE").getLong("seq"));
      assertTrue(nodes.get(0).host().isActive(room));
      JsonObject all = get(2, "/api/rooms/" + room + "/messages?since=0");
      assertEquals(3, all.getJsonArray("messages").size(), all.encode());
      assertEquals("two", all.getJsonArray("messages").getJsonObject(1).getString("message"), all.encode());
    }
  }
}
