package durablerooms;

import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import durablerooms.support.NodeExtension;

import durablerooms.protocol.Protocol;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One real node (clustered, alone), real WebSocket clients: the core behaviour of DESIGN.md. */
@ExtendWith(VertxExtension.class)
class SingleNodeTest {
  private static final long IDLE_MS = 700;
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_IDLE_TIMEOUT_MS", String.valueOf(IDLE_MS),
        // concurrentSenders sends bursts of 100 per client, over the default rate limit (40)
        "ROOMS_RATE_BURST", "1000"));
  private final HttpClient http = HttpClient.newHttpClient();

  private static String freshRoom() {
    return "r-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private WsClient join(Vertx vertx, String room, String name) {
    return WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=" + name);
  }

  /** Says m1..mN with ids id1..idN, each ACKed before the next. */
  private static void sayAcked(WsClient c, int count) {
    for (int i = 1; i <= count; i++) {
      c.say("m" + i, "id" + i);
      c.nextOfType("ACK");
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + NODE.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("the seed's client flow: welcome, relay to the others, the sender gets no copy")
  void seedFlow(Vertx vertx) {
    String room = freshRoom();
    try (WsClient alice = WsClient.connect(vertx, NODE.port(), "/chat/" + room + "?name=alice")) {
      JsonObject welcome = alice.next("SYSTEM");
      assertEquals("Welcome to the chat room!", welcome.getString("message"));
      assertEquals("type", welcome.fieldNames().iterator().next(), "type is the first key");
      alice.next("PRESENCE");
      // bob connects once alice is in (two joins in flight at once may reach the room either way)
      try (WsClient bob = WsClient.connect(vertx, NODE.port(), "/chat/" + room)) {
        bob.next("SYSTEM");
        JsonObject presence = bob.next("PRESENCE");
        assertEquals("Anonymous", presence.getJsonObject("you").getString("user"));
        alice.next("JOIN");

        alice.say("hi");
        JsonObject msg = bob.next("MESSAGE");
        assertEquals("alice", msg.getString("user"));
        assertEquals("hi", msg.getString("message"));
        assertEquals(1L, msg.getLong("seq"));
        assertTrue(msg.getLong("ts") > 0);

        alice.ping(); // PONG comes after anything the server sent before it
        assertTrue(alice.seen.stream().noneMatch(f -> "MESSAGE".equals(f.getString("type"))),
            "the sender does not get its own message back: " + alice.seen);
      }
    }
  }

  @Test
  @DisplayName("/chat alone is the room 'lobby'")
  void chatAloneIsLobby(Vertx vertx) throws Exception {
    try (WsClient c = WsClient.join(vertx, NODE.port(), "/chat?name=lobbyist")) {
      JsonObject room = new JsonObject(get("/api/rooms/lobby").body());
      assertTrue(room.getJsonArray("members").stream()
          .anyMatch(m -> "lobbyist".equals(((JsonObject) m).getString("user"))));
    }
  }

  @Test
  @DisplayName("a room is not deployed before its first join, and is right after")
  void lazyActivation(Vertx vertx) throws Exception {
    String room = freshRoom();
    assertFalse(NODE.node().host().isActive(room));
    assertEquals(404, get("/api/rooms/" + room).statusCode());
    try (WsClient c = join(vertx, room, "first")) {
      assertTrue(NODE.node().host().isActive(room));
      JsonObject info = new JsonObject(get("/api/rooms/" + room).body());
      assertEquals(room, info.getString("room"));
      assertTrue(info.getBoolean("active"));
      assertEquals(NODE.node().nodeId(), info.getString("owner"));
      assertEquals(0L, info.getLong("seq"));
      assertEquals(1, info.getJsonArray("members").size());
      JsonObject member = info.getJsonArray("members").getJsonObject(0);
      assertEquals("first", member.getString("user"));
      assertEquals(NODE.node().nodeId(), member.getString("node"));
    }
  }

  @Test
  @DisplayName("a room hibernates with clients connected; ping does not wake it; the next message does, seq continues")
  void hibernation(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient alice = join(vertx, room, "alice"); WsClient bob = join(vertx, room, "bob")) {
      alice.nextOfType("JOIN");
      alice.say("before");
      assertEquals(1L, bob.nextOfType("MESSAGE").getLong("seq"));

      // asleep once the host forgets it: its lease is given back only when the stop has completed
      TestNodes.eventually(IDLE_MS * 10, "room hibernates", () -> !NODE.node().host().knows(room));
      JsonObject asleep = new JsonObject(get("/api/rooms/" + room).body());
      assertFalse(asleep.getBoolean("active"));
      assertNull(asleep.getValue("owner"));
      assertEquals(2, asleep.getJsonArray("members").size(), "members stay while the room sleeps");

      alice.ping();
      assertFalse(NODE.node().host().isActive(room), "a ping is answered by the gateway");

      alice.say("after");
      JsonObject after = bob.nextOfType("MESSAGE");
      assertEquals("after", after.getString("message"));
      assertEquals(2L, after.getLong("seq"));
      assertTrue(NODE.node().host().isActive(room));
      assertTrue(bob.seen.stream().noneMatch(f -> "LEAVE".equals(f.getString("type"))), "nobody left");

      bob.say("reply");
      assertEquals(3L, alice.nextOfType("MESSAGE").getLong("seq"));
    }
  }

  @Test
  @DisplayName("the HTTP API lists every message of a room read as it falls asleep and after")
  void historyReadWhileTheRoomFallsAsleep(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient alice = join(vertx, room, "alice")) {
      sayAcked(alice, 3);
      // read over and over (reads do not keep a room awake) until well after the room stopped:
      // some reads fall while it stops, when its state is neither in the room nor yet in the store
      long until = System.currentTimeMillis() + IDLE_MS * 10;
      int reads = 0;
      boolean sawItAsleep = false;
      while (System.currentTimeMillis() < until && !(sawItAsleep && reads > 50)) {
        JsonObject page = new JsonObject(get("/api/rooms/" + room + "/messages?since=0").body());
        List<Long> seqs = page.getJsonArray("messages").stream().map(m -> ((JsonObject) m).getLong("seq")).toList();
        assertEquals(List.of(1L, 2L, 3L), seqs, "read " + reads + ": " + page.encode());
        assertEquals(3L, page.getLong("seq"));
        reads++;
        sawItAsleep |= !NODE.node().host().knows(room);
      }
      assertTrue(sawItAsleep, "the room fell asleep during the reads");
    }
  }

  @Test
  @DisplayName("three senders at once: the observer gets every message once, seq strictly consecutive")
  void concurrentSenders(Vertx vertx) {
    String room = freshRoom();
    int perSender = 100;
    try (WsClient observer = join(vertx, room, "observer");
         WsClient s1 = join(vertx, room, "s1");
         WsClient s2 = join(vertx, room, "s2");
         WsClient s3 = join(vertx, room, "s3")) {
      List<WsClient> senders = List.of(s1, s2, s3);
      for (int i = 0; i < perSender; i++) {
        for (int s = 0; s < senders.size(); s++) {
          senders.get(s).say("s" + (s + 1) + "-" + i);
        }
      }
      Set<String> texts = new HashSet<>();
      long lastSeq = 0;
      int[] nextPerSender = new int[3];
      for (int n = 0; n < perSender * senders.size(); n++) {
        JsonObject m = observer.nextOfType("MESSAGE");
        assertEquals(lastSeq + 1, m.getLong("seq"), "seq strictly consecutive");
        lastSeq = m.getLong("seq");
        String text = m.getString("message");
        assertTrue(texts.add(text), "delivered once: " + text);
        int sender = Integer.parseInt(text.substring(1, 2)) - 1;
        assertEquals("s" + (sender + 1) + "-" + nextPerSender[sender], text, "each sender's order kept");
        nextPerSender[sender]++;
      }
      assertEquals(perSender * senders.size(), texts.size());
    }
  }

  @Test
  @DisplayName("bad JSON gets ERROR bad_json and the socket keeps working")
  void badJson(Vertx vertx) {
    String room = freshRoom();
    try (WsClient a = join(vertx, room, "a"); WsClient b = join(vertx, room, "b")) {
      a.sendText("{not json");
      JsonObject err = a.nextOfType("ERROR");
      assertEquals("bad_json", err.getString("code"));
      a.sendText("{\"type\":\"teleport\"}");
      assertEquals("bad_request", a.nextOfType("ERROR").getString("code"));
      a.sendText("{\"type\":\"message\",\"message\":42}");
      assertEquals("bad_request", a.nextOfType("ERROR").getString("code"));
      a.ping();
      a.say("still here");
      assertEquals("still here", b.nextOfType("MESSAGE").getString("message"));
    }
  }

  @Test
  @DisplayName("a bad room name gets HTTP 400 before any upgrade")
  void badRoomName(Vertx vertx) {
    for (String bad : List.of("/chat/has%20space", "/chat/" + "x".repeat(65), "/chat/a/b", "/chat/%3Cscript%3E")) {
      Throwable t = connectError(vertx, bad);
      assertInstanceOf(UpgradeRejectedException.class, t, bad);
      assertEquals(400, ((UpgradeRejectedException) t).getStatus(), bad);
    }
  }

  private Throwable connectError(Vertx vertx, String uri) {
    try {
      vertx.createWebSocketClient()
          .connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(NODE.port()).setURI(uri).addSubProtocol(Protocol.SUBPROTOCOL))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      throw new AssertionError("connected to " + uri);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @DisplayName("a message with an id is ACKed; a retry with the same id gets the first ACK and is not broadcast twice")
  void ackAndDedupe(Vertx vertx) {
    String room = freshRoom();
    try (WsClient a = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=a&client=device-1");
         WsClient b = join(vertx, room, "b")) {
      a.say("once", "m1");
      JsonObject ack = a.nextOfType("ACK");
      assertEquals("m1", ack.getString("id"));
      long seq = ack.getLong("seq");
      JsonObject msg = b.nextOfType("MESSAGE");
      assertEquals(seq, msg.getLong("seq"));
      assertEquals("m1", msg.getString("id"));

      a.say("once", "m1");
      JsonObject again = a.nextOfType("ACK");
      assertEquals(seq, again.getLong("seq"));
      assertEquals(ack.getLong("ts"), again.getLong("ts"));

      a.say("next", "m2");
      JsonObject next = b.nextOfType("MESSAGE");
      assertEquals("next", next.getString("message"), "the retry was not broadcast");
      assertEquals(seq + 1, next.getLong("seq"));
    }
    // the same client id on a new connection is still recognised
    try (WsClient a2 = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=a&client=device-1")) {
      a2.say("once", "m1");
      assertEquals(1L, a2.nextOfType("ACK").getLong("seq"));
    }
  }

  @Test
  @DisplayName("presence: JOIN and LEAVE to the others, RENAME to all, TYPING relayed")
  void presence(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient a = join(vertx, room, "ann")) {
      JsonObject bobId;
      try (WsClient b = WsClient.connect(vertx, NODE.port(), "/chat/" + room + "?name=bob")) {
        b.next("SYSTEM");
        JsonObject p = b.next("PRESENCE");
        assertEquals(2, p.getJsonArray("members").size());
        bobId = p.getJsonObject("you");
        JsonObject join = a.nextOfType("JOIN");
        assertEquals(bobId, join.getJsonObject("member"));

        b.send(new JsonObject().put("type", "name").put("name", "robert"));
        assertEquals("robert", b.nextOfType("RENAME").getJsonObject("member").getString("user"));
        assertEquals("robert", a.nextOfType("RENAME").getJsonObject("member").getString("user"));

        b.send(new JsonObject().put("type", "typing"));
        assertEquals("robert", a.nextOfType("TYPING").getString("user"));
      }
      JsonObject leave = a.nextOfType("LEAVE");
      assertEquals(bobId.getString("id"), leave.getJsonObject("member").getString("id"));
      JsonArray members = new JsonObject(get("/api/rooms/" + room).body()).getJsonArray("members");
      assertEquals(1, members.size());
    }
  }

  @Test
  @DisplayName("a client connecting with since gets what it missed in one HISTORY, then live messages")
  void resumeWithSince(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient a = join(vertx, room, "a")) {
      sayAcked(a, 5);
      try (WsClient late = WsClient.connect(vertx, NODE.port(), "/chat/" + room + "?name=late&since=2")) {
        late.next("SYSTEM");
        assertEquals(5L, late.next("PRESENCE").getLong("seq"));
        JsonObject h = late.next("HISTORY");
        assertEquals(List.of(3L, 4L, 5L), seqs(h.getJsonArray("messages")));
        assertFalse(h.getBoolean("gap"));
        a.say("m6");
        assertEquals(6L, late.nextOfType("MESSAGE").getLong("seq"));

        late.send(new JsonObject().put("type", "history").put("before", 4).put("limit", 2));
        JsonObject page = late.nextOfType("HISTORY");
        assertEquals(List.of(2L, 3L), seqs(page.getJsonArray("messages")));
      }
      JsonObject api = new JsonObject(get("/api/rooms/" + room + "/messages?since=4&limit=10").body());
      assertEquals(List.of(5L, 6L), seqs(api.getJsonArray("messages")));
    }
  }

  private static List<Long> seqs(JsonArray messages) {
    List<Long> out = new ArrayList<>();
    messages.forEach(m -> out.add(((JsonObject) m).getLong("seq")));
    return out;
  }

  @Test
  @DisplayName("health, readiness, the room list and the page are served")
  void http() throws Exception {
    assertEquals(200, get("/health").statusCode());
    assertEquals(200, get("/ready").statusCode());
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("id=\"chat-messages\""));
    assertTrue(new JsonObject(get("/api/rooms").body()).containsKey("rooms"));
  }
}
