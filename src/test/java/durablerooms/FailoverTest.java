package durablerooms;

import durablerooms.support.WsClient;

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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Separate node processes, one of which dies (kill -9) or hangs (SIGSTOP) while it owns a busy
 * room: nothing ACKed is lost or doubled, seq has no gap, and its members leave presence.
 */
@Tag("cluster")
@Tag("process")
@ExtendWith(VertxExtension.class)
class FailoverTest {
  private static final int MESSAGES = 40;
  private final List<NodeProcess> processes = new ArrayList<>();
  private final List<ChatMember> members = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() {
    members.forEach(ChatMember::stop);
    processes.forEach(NodeProcess::close);
  }

  private void startCluster(int n, String idleTimeoutMs) {
    List<Map<String, String>> envs = clusterSettings(n, idleTimeoutMs);
    for (int i = 0; i < n; i++) {
      startNode(envs, i);
    }
    processes.forEach(NodeProcess::awaitReady);
    TestNodes.eventually(30_000, "the nodes form one cluster", () -> processes.get(0).nodesSeen() == n);
    // a node lost while partitions still migrate to the last one to join can take a room's cluster
    // copy with it (the room then goes on from the store, past its seq reservation): these tests
    // look at the loss of a node of a settled cluster
    TestNodes.eventually(60_000, "the cluster's partitions are safe", () -> processes.get(0).partitionsSafe());
  }

  /** The settings of {@code n} nodes of one new cluster (each with its HTTP port already chosen). */
  private static List<Map<String, String>> clusterSettings(int n, String idleTimeoutMs) {
    String cluster = "failover-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    List<Map<String, String>> envs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // senders say one message after another as fast as the room answers, several hundred a second
      // on a fast machine: the per-connection rate limit is not what these tests look at
      envs.add(TestNodes.settings(cluster, clusterPort, Map.of(
          "ROOMS_REQUEST_TIMEOUT_MS", "2000", "ROOMS_RATE_PER_SEC", "5000", "ROOMS_RATE_BURST", "5000",
          "ROOMS_IDLE_TIMEOUT_MS", idleTimeoutMs)));
    }
    return envs;
  }

  private NodeProcess startNode(List<Map<String, String>> envs, int i) {
    String cluster = envs.get(i).get("ROOMS_CLUSTER_NAME");
    NodeProcess p = NodeProcess.start(cluster.substring(9, 17) + "-node" + i, envs.get(i)); // a log per test run
    processes.add(p);
    return p;
  }

  private int statusOf(NodeProcess p, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(p.url() + path)).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private JsonObject getJson(NodeProcess p, String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(p.url() + path)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  @Test
  @DisplayName("kill -9 of a busy room's owner: every ACKed message reaches every member once, no seq gap, its members leave")
  void ownerKilled(Vertx vertx) {
    startCluster(3, "30000");
    runOwnerLoss(vertx, NodeProcess::kill, 10_000);
  }

  @Test
  @DisplayName("SIGSTOP of a busy room's owner past the failure timeout, then SIGCONT: nothing ACKed twice or lost, it rejoins")
  void ownerPaused(Vertx vertx) {
    // the room sleeps (its state leaves memory) before the paused node is merged back, whose
    // stale copy of the state must not come back with it
    startCluster(3, "3000");
    NodeProcess owner = processes.get(0);
    WsClient founder = runOwnerLoss(vertx, p -> p.signal("STOP"), 15_000);
    owner.signal("CONT");
    TestNodes.eventually(20_000, "the resumed node's clients are told to reconnect (1012)",
        () -> founder.closeCode != null && founder.closeCode == 1012);
    // while it recovers, its view of owners and members may be stale: it answers for no room
    String paused = members.get(0).room();
    if (!owner.ready()) {
      int status = statusOf(owner, "/api/rooms/" + paused);
      assertTrue(status == 503 || owner.ready(), "a node that is not ready does not answer for rooms: " + status);
    }
    // Hazelcast merged the resumed node back 3-54 s after it resumed in 12 logged runs (2-core box), once over 60 s
    TestNodes.eventually(120_000, "the resumed node rejoins and serves", () -> owner.ready()
        && processes.get(1).nodesSeen() == 3 && owner.nodesSeen() == 3);
    // it is a normal member again: a new member there sees the room as it is
    String room = members.get(0).room();
    long seq = getJson(processes.get(1), "/api/rooms/" + room).getLong("seq");
    try (WsClient back = WsClient.join(vertx, owner.httpPort, "/chat/" + room + "?name=back&since=0")) {
      assertEquals(seq, back.seen.get(1).getLong("seq"));
      JsonObject history = back.next("HISTORY");
      assertEquals(seq, history.getJsonArray("messages").size());
      back.say("I am back", "back-1");
      assertEquals(seq + 1, back.nextOfType("ACK").getLong("seq"));
      // stored once, as every node sees it (live delivery from a node just merged back is not
      // asserted: it was seen to lag behind Vert.x's subscription refresh after the merge)
      JsonObject stored = getJson(processes.get(1), "/api/rooms/" + room + "/messages?since=" + seq);
      assertEquals(1, stored.getJsonArray("messages").size());
      assertEquals("I am back", stored.getJsonArray("messages").getJsonObject(0).getString("message"));
    }
  }

  @Test
  @DisplayName("a node alone ACKs from its journal; once a second node joined, kill -9 of the first loses nothing ACKed")
  void aloneThenJoinedThenKilled(Vertx vertx) {
    // alone, a node writes the cluster copy of a room behind its journal; the copy must be whole
    // before the node that joined can take the room over from it
    List<Map<String, String>> envs = clusterSettings(2, "30000");
    NodeProcess first = startNode(envs, 0);
    first.awaitReady();
    String room = "alone-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = List.of(first.httpPort, Integer.parseInt(envs.get(1).get("ROOMS_HTTP_PORT")));
    members.add(new ChatMember(vertx, "m1", room, ports));
    members.add(new ChatMember(vertx, "m2", room, ports));
    members.forEach(m -> m.start(MESSAGES, 50));
    TestNodes.eventually(20_000, "a quarter of the messages ACKed by the lone node",
        () -> members.stream().allMatch(m -> m.snapshot().acked().size() >= MESSAGES / 4));

    NodeProcess second = startNode(envs, 1);
    second.awaitReady();
    TestNodes.eventually(30_000, "the second node joined", () -> first.nodesSeen() == 2 && second.nodesSeen() == 2);
    first.kill();

    TestNodes.eventually(60_000, "every message ACKed", () -> members.stream().allMatch(m -> {
      ChatMember.Snapshot s = m.snapshot();
      return s.sent() == MESSAGES && s.unacked() == 0;
    }));
    JsonObject info = getJson(second, "/api/rooms/" + room);
    assertEquals(2L * MESSAGES, info.getLong("seq"), "each message stored once, with no seq lost: " + info);
    Map<String, Long> allAcked = new HashMap<>();
    members.forEach(m -> allAcked.putAll(m.snapshot().acked()));
    assertEquals(2 * MESSAGES, allAcked.size());
    TestNodes.eventually(20_000, "every member holds seq 1.." + 2 * MESSAGES,
        () -> members.stream().allMatch(m -> m.snapshot().held().size() >= 2 * MESSAGES));
    for (ChatMember m : members) {
      ChatMember.Snapshot s = m.snapshot();
      assertEquals(0, s.duplicates(), m.name + " got a message twice");
      allAcked.forEach((id, ackSeq) -> assertEquals(id, s.held().get(ackSeq), m.name + " holds ACKed " + id));
    }
  }

  @Test
  @DisplayName("kill -9 of a room's owner: commands in flight to it are sent again when the cluster sees it gone, not after the request timeout")
  void inFlightCommandsRetriedWhenOwnerLeaves(Vertx vertx) throws Exception {
    String cluster = "failover-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    List<Map<String, String>> envs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      // a long request timeout: what is in flight to the dead owner must not wait for it
      envs.add(TestNodes.settings(cluster, clusterPort, Map.of("ROOMS_REQUEST_TIMEOUT_MS", "15000",
          "ROOMS_RATE_PER_SEC", "200", "ROOMS_RATE_BURST", "200")));
      startNode(envs, i);
    }
    processes.forEach(NodeProcess::awaitReady);
    TestNodes.eventually(30_000, "the nodes form one cluster", () -> processes.get(0).nodesSeen() == 3);
    String room = "inflight-" + UUID.randomUUID().toString().substring(0, 8);
    try (WsClient founder = WsClient.join(vertx, processes.get(0).httpPort, "/chat/" + room + "?name=founder");
         WsClient sender = WsClient.join(vertx, processes.get(1).httpPort, "/chat/" + room + "?name=sender&client=s1")) {
      int messages = 100;
      long killedAt = 0;
      for (int i = 0; i < messages; i++) {
        if (i == 30) {
          processes.get(0).kill(); // the room's owner
          killedAt = System.nanoTime();
        }
        sender.say("m" + i, "m" + i);
        Thread.sleep(20); // the sender's pace
      }
      java.util.Set<String> acked = new java.util.HashSet<>();
      while (acked.size() < messages) {
        JsonObject f = sender.nextMatching(x -> "ACK".equals(x.getString("type")) || "ERROR".equals(x.getString("type")),
            "ACK or ERROR");
        assertEquals("ACK", f.getString("type"), "no message waits out the request timeout: " + f.encode());
        acked.add(f.getString("id"));
      }
      long ms = (System.nanoTime() - killedAt) / 1_000_000;
      System.out.printf("in flight to a dead owner: all %d messages ACKed %d ms after the kill%n", messages, ms);
      assertTrue(ms < 10_000, "the last ACK came " + ms + " ms after the kill (request timeout 15 s)");
    }
  }

  @Test
  @DisplayName("a pause of one node: the rooms that the other nodes run keep their latency meanwhile")
  void roomsOfHealthyNodesKeepTheirLatencyWhileAnotherNodeIsPaused(Vertx vertx) throws Exception {
    startCluster(3, "60000");
    NodeProcess paused = processes.get(2);
    List<WsClient[]> rooms = new ArrayList<>(); // sender on the first node (which runs the room), receiver on the second
    try {
      for (int i = 0; i < 8; i++) {
        String room = "healthy-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
        WsClient sender = WsClient.join(vertx, processes.get(0).httpPort, "/chat/" + room + "?name=s");
        WsClient receiver = WsClient.join(vertx, processes.get(1).httpPort, "/chat/" + room + "?name=r");
        rooms.add(new WsClient[] {sender, receiver});
      }
      List<Long> before = roundOfMessages(rooms, "warm", 3_000);
      paused.signal("STOP");
      List<Long> during;
      try {
        during = roundOfMessages(rooms, "paused", 3_000); // shorter than the failure timeout: nobody leaves
      } finally {
        paused.signal("CONT");
      }
      long worstBefore = before.stream().mapToLong(Long::longValue).max().orElseThrow();
      List<Long> sorted = during.stream().sorted().toList();
      long p99 = sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
      long worst = sorted.get(sorted.size() - 1);
      // the first write after the pause began waits for the paused node's answer (a quarter of the
      // request timeout, 2 s here) before its replica goes to another node: that one message, once
      assertTrue(worst < 1_000, "a message of a healthy node's room took " + worst + " ms while another node was paused "
          + "(before the pause at most " + worstBefore + " ms); all: " + during);
      assertTrue(p99 < 100, "p99 " + p99 + " ms of " + during.size() + " messages while another node was paused");
      System.out.printf("rooms of healthy nodes while another is paused: %d messages, p99 %d ms, max %d ms%n",
          during.size(), p99, worst);
    } finally {
      rooms.forEach(r -> {
        r[0].close();
        r[1].close();
      });
    }
  }

  /** Each room's sender says one message after another for {@code ms}; the ms each took to reach the room's receiver. */
  private static List<Long> roundOfMessages(List<WsClient[]> rooms, String label, long ms) {
    List<Long> took = new ArrayList<>();
    long end = System.nanoTime() + ms * 1_000_000;
    int n = 0;
    while (System.nanoTime() < end) {
      for (WsClient[] r : rooms) {
        String text = label + "-" + n++;
        long start = System.nanoTime();
        r[0].say(text);
        r[1].nextMatching(f -> "MESSAGE".equals(f.getString("type")) && text.equals(f.getString("message")), text);
        took.add((System.nanoTime() - start) / 1_000_000);
      }
    }
    return took;
  }

  @Test
  @DisplayName("a pause of a node shorter than the failure timeout: its clients are closed, and their leaves reach the room once it has rejoined")
  void leavesAfterAShortPause(Vertx vertx) throws Exception {
    startCluster(3, "60000");
    NodeProcess paused = processes.get(2);
    String room = "pause-" + UUID.randomUUID().toString().substring(0, 8);
    List<WsClient> onPaused = new ArrayList<>();
    onPaused.add(WsClient.join(vertx, paused.httpPort, "/chat/" + room + "?name=p0")); // the paused node runs the room
    try (WsClient founder = WsClient.join(vertx, processes.get(0).httpPort, "/chat/" + room + "?name=founder");
         WsClient observer = WsClient.join(vertx, processes.get(1).httpPort, "/chat/" + room + "?name=observer")) {
      for (int i = 1; i < 3; i++) {
        onPaused.add(WsClient.join(vertx, paused.httpPort, "/chat/" + room + "?name=p" + i));
      }
      String pausedNode = onPaused.get(0).seen.get(1).getJsonObject("you").getString("node");
      paused.signal("STOP");
      Thread.sleep(3_000); // the pause itself: longer than the node's watchdog (2.5 s), shorter than the failure timeout (5 s)
      paused.signal("CONT");
      TestNodes.eventually(45_000, "the paused node's clients are no longer members", () -> {
        JsonObject info = getJson(processes.get(1), "/api/rooms/" + room);
        return info != null && info.getJsonArray("members").stream()
            .noneMatch(m -> pausedNode.equals(((JsonObject) m).getString("node")));
      });
      onPaused.forEach(WsClient::close);
      assertNull(founder.closeCode);
    }
  }

  @Test
  @DisplayName("kill -9 of a node that holds members but not the room: the others get LEAVE, and the API asked right after no longer lists them")
  void memberNodeLossLeavesAfterItsWrite(Vertx vertx) {
    startCluster(3, "60000");
    NodeProcess owner = processes.get(0);
    NodeProcess observerNode = processes.get(1);
    NodeProcess victim = processes.get(2);
    String room = "ghost-" + UUID.randomUUID().toString().substring(0, 8);
    try (WsClient founder = WsClient.join(vertx, owner.httpPort, "/chat/" + room + "?name=founder");
         WsClient observer = WsClient.join(vertx, observerNode.httpPort, "/chat/" + room + "?name=observer")) {
      List<WsClient> ghosts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        ghosts.add(WsClient.join(vertx, victim.httpPort, "/chat/" + room + "?name=ghost" + i));
        observer.nextOfType("JOIN");
      }
      victim.kill();
      for (int i = 0; i < ghosts.size(); i++) {
        String gone = observer.nextOfType("LEAVE").getJsonObject("member").getString("id");
        JsonObject info = getJson(observerNode, "/api/rooms/" + room); // at once, on the observer's node
        assertTrue(info.getJsonArray("members").stream().noneMatch(m -> gone.equals(((JsonObject) m).getString("id"))),
            "a member announced gone is no longer listed: " + info.encode());
      }
      ghosts.forEach(WsClient::close);
      assertNull(founder.closeCode);
    }
  }

  private WsClient runOwnerLoss(Vertx vertx, java.util.function.Consumer<NodeProcess> failure, long presenceDeadlineMs) {
    NodeProcess owner = processes.get(0);
    String room = "busy-" + UUID.randomUUID().toString().substring(0, 8);
    WsClient founder = WsClient.join(vertx, owner.httpPort, "/chat/" + room + "?name=founder"); // owner's node runs the room
    String ownerNode = founder.seen.get(1).getJsonObject("you").getString("node");
    List<Integer> survivors = List.of(processes.get(1).httpPort, processes.get(2).httpPort);
    members.add(new ChatMember(vertx, "m1", room, survivors));
    members.add(new ChatMember(vertx, "m2", room, survivors));
    members.add(new ChatMember(vertx, "m3", room, List.of(processes.get(2).httpPort, processes.get(1).httpPort)));
    members.forEach(m -> m.start(MESSAGES, 50));

    TestNodes.eventually(20_000, "a third of the messages ACKed",
        () -> members.stream().allMatch(m -> m.snapshot().acked().size() >= MESSAGES / 3));
    long failedAt = System.currentTimeMillis();
    failure.accept(owner);

    TestNodes.eventually(presenceDeadlineMs, "no member of the lost node in presence", () -> {
      JsonObject info = getJson(processes.get(1), "/api/rooms/" + room);
      return info != null && info.getJsonArray("members").stream()
          .noneMatch(m -> ownerNode.equals(((JsonObject) m).getString("node")));
    });
    long presenceMs = System.currentTimeMillis() - failedAt;
    TestNodes.eventually(60_000, "every message ACKed", () -> members.stream().allMatch(m -> {
      ChatMember.Snapshot s = m.snapshot();
      return s.sent() == MESSAGES && s.unacked() == 0;
    }));
    long seq = getJson(processes.get(1), "/api/rooms/" + room).getLong("seq");
    try {
      TestNodes.eventually(20_000, "every member holds seq 1.." + seq,
          () -> members.stream().allMatch(m -> m.snapshot().held().size() >= seq));
    } catch (AssertionError e) {
      StringBuilder missing = new StringBuilder();
      for (ChatMember m : members) {
        ChatMember.Snapshot s = m.snapshot();
        java.util.List<Long> lacking = new ArrayList<>();
        for (long i = 1; i <= seq; i++) {
          if (!s.held().containsKey(i)) {
            lacking.add(i);
          }
        }
        missing.append(m.name).append(" misses ").append(ranges(lacking))
            .append(", holds past it ").append(ranges(s.held().tailMap(seq, false).keySet()))
            .append(", ACKed at ").append(ranges(new java.util.TreeSet<>(s.acked().values())))
            .append(", reconnects ").append(s.reconnects()).append("; ");
      }
      for (int i = 1; i < processes.size(); i++) {
        missing.append(processes.get(i).name).append(" /api/rooms: ").append(getJson(processes.get(i), "/api/rooms/" + room))
            .append("; ");
      }
      throw new AssertionError(e.getMessage() + ": " + missing, e);
    }

    Map<String, Long> allAcked = new HashMap<>();
    members.forEach(m -> allAcked.putAll(m.snapshot().acked()));
    assertEquals(3 * MESSAGES, allAcked.size());
    for (ChatMember m : members) {
      ChatMember.Snapshot s = m.snapshot();
      assertEquals(0, s.duplicates(), m.name + " got a message twice");
      assertEquals(seq, s.held().size(), m.name + " holds seq 1.." + seq + " with no gap: " + s.held().keySet());
      assertEquals(1L, s.held().firstKey());
      assertEquals(seq, s.held().lastKey());
      allAcked.forEach((id, ackSeq) -> assertEquals(id, s.held().get(ackSeq), m.name + " holds ACKed " + id));
      assertTrue(s.leaves().size() >= 1, m.name + " saw the founder leave");
    }
    assertEquals(3L * MESSAGES, seq, "each message stored once (dedupe of retries)");
    System.out.printf("owner loss: members of the lost node gone from presence %d ms after the failure%n", presenceMs);
    return founder;
  }

  /** Seqs as runs ("1..84 1002..1037"), to read which ones a failed run lacked. */
  private static String ranges(java.util.Collection<Long> seqs) {
    StringBuilder out = new StringBuilder();
    long start = -1;
    long last = -1;
    for (long q : new java.util.TreeSet<>(seqs)) {
      if (start >= 0 && q == last + 1) {
        last = q;
        continue;
      }
      if (start >= 0) {
        out.append(start == last ? start + " " : start + ".." + last + " ");
      }
      start = q;
      last = q;
    }
    if (start >= 0) {
      out.append(start == last ? String.valueOf(start) : start + ".." + last);
    }
    return out.length() == 0 ? "none" : out.toString().trim();
  }
}
