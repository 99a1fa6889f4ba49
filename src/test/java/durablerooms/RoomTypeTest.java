package durablerooms;

import durablerooms.support.PrometheusText;
import durablerooms.support.RawHttp;
import durablerooms.support.TestNodes;

import durablerooms.support.NodeExtension;
import durablerooms.support.WsClient;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A room of a user's type on one node (the test type "ledger", found on the class path): storage,
 * the ordered log, ACKs with exactly-once effect, a handler that throws, the storage limit,
 * attachments and hibernation.
 */
class RoomTypeTest {
  private static final String API_KEY = "test-key-0123456789abcdef";
  /** One client, so its connections are reused: a node closes an IP's HTTP connections past ROOMS_MAX_HTTP_CONNECTIONS_PER_IP. */
  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of(
      "ROOMS_IDLE_TIMEOUT_MS", "400",
      "ROOMS_STORAGE_MAX_BYTES", "4096",
      "ROOMS_API_KEY", API_KEY));

  private static WsClient join(String room, String query) {
    WsClient c = WsClient.connect(NODE.client(), NODE.port(), "/rooms/ledger/" + room + query);
    c.next("PRESENCE");
    return c;
  }

  private static JsonObject op(String op) {
    return new JsonObject().put("op", op);
  }

  private static JsonObject get(WsClient c, String key) {
    c.send(op("get").put("key", key));
    return c.nextOfType("value");
  }

  @Test
  void handlersWriteStoragePublishInOrderAndAckOnce() {
    try (WsClient a = join("orders", "?name=ann&client=a1"); WsClient b = join("orders", "?name=bob")) {
      assertEquals("ann", a.nextOfType("hello").getJsonObject("query").getString("name"));
      a.nextOfType("joined");
      a.send(op("publish").put("text", "first").put("id", "p1"));
      a.send(op("publish").put("text", "second").put("id", "p2"));
      JsonObject e1 = b.nextOfType("entry");
      JsonObject e2 = b.nextOfType("entry");
      assertEquals("first", e1.getString("text"));
      assertEquals(e1.getLong("seq") + 1, e2.getLong("seq"));
      JsonObject ack1 = a.nextOfType("ACK");
      assertEquals("p1", ack1.getString("id"));
      assertEquals(e1.getLong("seq"), ack1.getLong("seq"));
      assertEquals("p2", a.nextOfType("ACK").getString("id"));
      int handled = get(a, "handled").getInteger("value");

      a.send(op("publish").put("text", "first").put("id", "p1")); // a retry: same ACK, no second run
      JsonObject again = a.nextOfType("ACK");
      assertEquals(ack1.getLong("seq"), again.getLong("seq"));
      assertEquals(handled + 1, get(a, "handled").getInteger("value"), "only the get ran");
    }
  }

  @Test
  void anEventPublishedPastItsSenderReachesTheOthersAndTheSendersResumeButNotItsLiveSocket() {
    try (WsClient a = join("shouts", "?name=ann&client=a1"); WsClient b = join("shouts", "?name=bob")) {
      a.send(op("shout").put("text", "hi").put("id", "s1"));
      JsonObject heard = b.nextOfType("entry");
      assertEquals("hi", heard.getString("text"));
      assertEquals(heard.getLong("seq"), a.nextOfType("ACK").getLong("seq"), "the sender gets its ACK instead");
      a.send(op("publish").put("text", "to all"));
      assertEquals("to all", a.nextOfType("entry").getString("text"), "the first entry the sender gets");
      try (WsClient again = join("shouts", "?name=ann&client=a1&since=0")) {
        JsonArray history = again.nextOfType("HISTORY").getJsonArray("messages");
        assertEquals("hi", history.getJsonObject(0).getString("text"), "in the log all the same");
      }
    }
  }

  @Test
  void aHandlerThatThrowsLeavesNothingAndTheRoomGoesOn() {
    try (WsClient a = join("faults", "?client=f1")) {
      a.send(op("put").put("key", "k").put("value", "before").put("id", "w1"));
      a.nextOfType("ACK");
      a.send(op("fail").put("id", "boom"));
      JsonObject error = a.nextOfType("ERROR");
      assertEquals("room_error", error.getString("code"));
      assertEquals("boom", error.getString("id"));
      JsonObject value = get(a, "k");
      assertEquals("before", value.getString("value"));
      assertFalse(value.getJsonObject("all").containsKey("dirty"), "the failed handler's write is gone");
      assertTrue(a.seen.stream().noneMatch(f -> "never".equals(f.getString("type"))
          || "never".equals(f.getString("text"))), "no frame of the failed handler went out");
      a.send(op("publish").put("text", "after").put("id", "p"));
      assertEquals(1, a.nextOfType("entry").getLong("seq"), "the failed publish took no seq");
    }
  }

  @Test
  void aWritePastTheStorageLimitFailsWithStorageFull() {
    try (WsClient a = join("full", "?client=s1")) {
      a.send(op("put").put("key", "big").put("value", "x".repeat(5000)).put("id", "big"));
      JsonObject error = a.nextOfType("ERROR");
      assertEquals("storage_full", error.getString("code"));
      assertEquals("big", error.getString("id"));
      a.send(op("put").put("key", "small").put("value", "x".repeat(1000)).put("id", "small"));
      assertEquals("small", a.nextOfType("ACK").getString("id"));
    }
  }

  @Test
  void aRenameShowsInTheMemberListOfLaterJoinsAlsoAfterHibernation() throws Exception {
    String key = "ledger/names";
    try (WsClient a = join("names", "?name=ann&client=n1")) {
      a.send(op("rename").put("name", "  Ann   B ").put("id", "r1"));
      assertEquals("Ann B", a.nextOfType("renamed").getString("name"));
      a.nextOfType("ACK");
      a.send(op("rename").put("name", "\u0007").put("id", "r2"));
      assertEquals("room_error", a.nextOfType("ERROR").getString("code"), "not a display name: the handler fails");
      TestNodes.eventually(10_000, "the room hibernated", () -> !NODE.node().host().isActive(key));
      try (WsClient b = WsClient.connect(NODE.client(), NODE.port(), "/rooms/ledger/names?name=bob")) {
        JsonArray members = b.next("PRESENCE").getJsonArray("members");
        assertEquals("Ann B", members.getJsonObject(0).getString("user"));
        assertEquals("bob", members.getJsonObject(1).getString("user"));
      }
      JsonObject shown = new JsonObject(get("/api/types/ledger/rooms/names").body());
      assertEquals("Ann B", shown.getJsonArray("members").getJsonObject(0).getString("user"), "the HTTP API shows it too");
    }
  }

  @Test
  void theLogicReadsItsLogBackAPageAtATime() {
    try (WsClient a = join("pages", "?client=pg")) {
      for (int i = 1; i <= 5; i++) {
        a.send(op("publish").put("text", "e" + i));
        a.nextOfType("entry");
      }
      a.send(op("older").put("before", 4).put("limit", 2));
      JsonArray events = a.nextOfType("older").getJsonArray("events");
      assertEquals(List.of("e2", "e3"), events.stream().map(e -> ((JsonObject) e).getString("text")).toList());
      assertEquals(2, events.getJsonObject(0).getLong("seq"));
    }
  }

  private static java.net.http.HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + NODE.port() + path))
        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theHttpApiShowsARoomOfAnyTypeAndPagesThroughItsLog() throws Exception {
    try (WsClient a = join("readable", "?name=ann")) {
      for (int i = 1; i <= 3; i++) {
        a.send(op("publish").put("text", "e" + i));
        a.nextOfType("entry");
      }
      var info = get("/api/types/ledger/rooms/readable");
      assertEquals(200, info.statusCode());
      JsonObject room = new JsonObject(info.body());
      assertEquals("readable", room.getString("room"));
      assertEquals("ledger", room.getString("type"));
      assertEquals(3, room.getLong("seq"));
      assertTrue(room.getBoolean("active"));
      assertEquals("ann", room.getJsonArray("members").getJsonObject(0).getString("user"));

      JsonObject page = new JsonObject(get("/api/types/ledger/rooms/readable/messages?since=1").body());
      assertEquals(List.of("e2", "e3"), page.getJsonArray("messages").stream()
          .map(e -> ((JsonObject) e).getString("text")).toList(), "each event as it was delivered");
      assertEquals(3, page.getJsonArray("messages").getJsonObject(1).getLong("seq"));
      assertEquals(3, page.getLong("seq"));
      assertFalse(page.getBoolean("gap"));
      JsonObject first = new JsonObject(get("/api/types/ledger/rooms/readable/messages?limit=1").body());
      assertEquals("e1", first.getJsonArray("messages").getJsonObject(0).getString("text"));
    }
    TestNodes.eventually(10_000, "the room hibernated", () -> !NODE.node().host().isActive("ledger/readable"));
    JsonObject listed = new JsonObject(get("/api/rooms?limit=1&after=ledger/readabl").body()).getJsonArray("rooms")
        .getJsonObject(0);
    assertEquals("ledger/readable", listed.getString("room"), "a sleeping room of a user's type is listed, by its key");
    assertEquals("ledger", listed.getString("type"));
    assertFalse(listed.getBoolean("active"));
    assertEquals(404, get("/api/types/ledger/rooms/never-seen").statusCode());
    assertEquals(404, get("/api/types/ledger/rooms/never-seen/messages").statusCode());
    var unknown = get("/api/types/nosuch/rooms/readable");
    assertEquals(404, unknown.statusCode());
    assertEquals("unknown_type", new JsonObject(unknown.body()).getString("code"));
    assertEquals(400, get("/api/types/ledger/rooms/readable/messages?limit=0").statusCode());
    assertEquals(400, get("/api/types/ledger/rooms/bad%20name").statusCode());
  }

  @Test
  void aChatRoomIsReadThroughTheSamePathsAsAnyType() throws Exception {
    try (WsClient c = WsClient.connect(NODE.client(), NODE.port(), "/rooms/chat/talk?name=cat")) {
      c.nextOfType("PRESENCE");
      c.send(new JsonObject().put("type", "message").put("message", "hi").put("id", "m1"));
      c.nextOfType("ACK");
      JsonObject typed = new JsonObject(get("/api/types/chat/rooms/talk").body());
      JsonObject plain = new JsonObject(get("/api/rooms/talk").body());
      assertEquals(plain, typed);
      assertEquals("chat", typed.getString("type"));
      assertEquals(get("/api/rooms/talk/messages").body(), get("/api/types/chat/rooms/talk/messages").body());
      assertEquals("hi", new JsonObject(get("/api/types/chat/rooms/talk/messages").body()).getJsonArray("messages")
          .getJsonObject(0).getString("message"));
    }
  }

  @Test
  void storageAttachmentsAndTheLogOutliveHibernation() throws Exception {
    String key = "ledger/sleepy";
    try (WsClient a = join("sleepy", "?client=h1")) {
      a.nextOfType("hello");
      a.send(op("put").put("key", "list").put("value", new JsonArray().add(1).add("two")).put("id", "w"));
      a.send(op("attach").put("value", new JsonObject().put("role", "admin")).put("id", "att"));
      a.send(op("publish").put("text", "kept").put("id", "e"));
      a.nextOfType("entry");
      int starts = get(a, "starts").getInteger("value");
      TestNodes.eventually(10_000, "the room hibernated", () -> !NODE.node().host().isActive(key));
      a.ping(); // answered without waking the room
      assertFalse(NODE.node().host().isActive(key), "a ping does not wake the room");

      JsonObject value = get(a, "list"); // wakes it
      assertEquals(new JsonArray().add(1).add("two"), value.getJsonArray("value"));
      assertEquals(starts + 1, value.getJsonObject("all").getInteger("starts"), "onStart ran at the wake");
      a.send(op("whoami"));
      assertEquals("admin", a.nextOfType("whoami").getJsonObject("attachment").getString("role"));
    }
    try (WsClient late = WsClient.connect(NODE.client(), NODE.port(), "/rooms/ledger/sleepy?since=0")) {
      late.next("PRESENCE");
      JsonObject history = late.next("HISTORY");
      JsonArray messages = history.getJsonArray("messages");
      assertEquals(1, messages.size());
      assertEquals("kept", messages.getJsonObject(0).getString("text"));
      assertEquals(1, messages.getJsonObject(0).getLong("seq"));
    }
  }

  @Test
  void anAlarmWakesASleepingRoomAndRunsOnce() throws Exception {
    String key = "ledger/alarmed";
    try (WsClient a = join("alarmed", "?client=al")) {
      long setAt = System.currentTimeMillis();
      a.send(op("alarm").put("name", "tick").put("inMs", 1500).put("id", "set"));
      a.nextOfType("ACK");
      a.send(op("alarm").put("name", "later").put("inMs", 60_000).put("id", "set2"));
      a.send(op("cancel").put("name", "later").put("id", "cancel"));
      a.nextOfType("ACK");
      a.nextOfType("ACK");
      TestNodes.eventually(10_000, "the room sleeps before its alarm", () -> !NODE.node().host().isActive(key));
      JsonObject fired = a.nextOfType("alarm");
      long late = System.currentTimeMillis() - setAt - 1500;
      assertEquals("tick", fired.getString("name"));
      assertTrue(late < 1000, "ran within a second of its time: " + late + " ms late");
      JsonObject all = get(a, "x").getJsonObject("all");
      assertEquals(1, all.getInteger("fired:tick"), "ran once");
      assertFalse(all.containsKey("fired:later"), "a cancelled alarm does not run");
      a.send(op("alarms"));
      assertTrue(a.nextOfType("alarms").getJsonArray("names").isEmpty(), "a fired alarm is gone");
    }
  }

  @Test
  void anAlarmWhoseHandlerKeepsFailingIsRetriedThenDropped() throws Exception {
    double before = dropped();
    try (WsClient a = join("badalarm", "?client=ba")) {
      a.send(op("alarm").put("name", "bad").put("inMs", 0).put("id", "set"));
      a.nextOfType("ACK");
      TestNodes.eventually(20_000, "the alarm is dropped after its retries",
          () -> dropped() == before + 1);
      a.send(op("alarms"));
      assertTrue(a.nextOfType("alarms").getJsonArray("names").isEmpty());
      assertFalse(get(a, "x").getJsonObject("all").containsKey("fired:bad"), "every failed run was rolled back");
    }
  }

  private static double dropped() {
    try {
      java.net.http.HttpResponse<String> r = HTTP.send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + NODE.port() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      return PrometheusText.parse(r.body()).value("rooms_alarms_dropped_total");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static java.net.http.HttpResponse<String> call(String path, String key, String body) throws Exception {
    java.net.http.HttpRequest.Builder r = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + NODE.port() + path))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      r.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(r.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCallFromOutsideRunsInTheRoomAndAnswersOnceCommitted() throws Exception {
    try (WsClient a = join("called", "")) {
      var r = call("/api/rooms/ledger/called", API_KEY, "{\"n\":5}");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(5, new JsonObject(r.body()).getInteger("total"));
      JsonObject event = a.nextOfType("total");
      assertEquals(5, event.getInteger("total"));
      assertEquals(new JsonObject(r.body()).getLong("seq"), event.getLong("seq"));
      assertEquals(8, new JsonObject(call("/api/rooms/ledger/called", API_KEY, "{\"n\":3}").body()).getInteger("total"));

      var refused = call("/api/rooms/ledger/called", API_KEY, "{\"op\":\"refuse\"}");
      assertEquals(409, refused.statusCode());
      assertEquals("conflict", new JsonObject(refused.body()).getString("code"));
      a.send(op("refuse").put("id", "r1"));
      JsonObject error = a.nextOfType("ERROR");
      assertEquals("not_yours", error.getString("code"), "a refusal reaches a WebSocket client with its code");
      assertEquals("r1", error.getString("id"));
    }
    assertEquals(401, call("/api/rooms/ledger/called", null, "{}").statusCode());
    assertEquals(401, call("/api/rooms/ledger/called", "test-key-0123456789abcdeX", "{}").statusCode());
    assertEquals(404, call("/api/rooms/nosuchtype/called", API_KEY, "{}").statusCode());
    assertEquals(400, call("/api/rooms/chat/called", API_KEY, "{}").statusCode(), "a chat call needs a message");
    assertEquals(400, call("/api/rooms/ledger/called", API_KEY, "[1,2]").statusCode());
    assertEquals(400, call("/api/rooms/ledger/bad%20name", API_KEY, "{}").statusCode());
  }

  @Test
  void aCallWithAnIdempotencyKeyRunsOnceAndARetryGetsTheFirstOnesSeqAndTime() throws Exception {
    try (WsClient a = join("called-once", "")) {
      var first = once("/api/rooms/ledger/called-once", "push-1", "{\"n\":5}");
      assertEquals(200, first.statusCode(), first.body());
      long seq = new JsonObject(first.body()).getLong("seq");
      assertEquals(5, a.nextOfType("total").getInteger("total"));
      var again = once("/api/rooms/ledger/called-once", "push-1", "{\"n\":5}");
      assertEquals(200, again.statusCode(), again.body());
      JsonObject repeated = new JsonObject(again.body());
      assertEquals(seq, repeated.getLong("seq"), "the first call's seq");
      assertTrue(repeated.getLong("ts") > 0);
      var other = once("/api/rooms/ledger/called-once", "push-2", "{\"n\":1}");
      assertEquals(6, new JsonObject(other.body()).getInteger("total"), "the retry added nothing: " + other.body());
      assertEquals(6, a.nextOfType("total").getInteger("total"), "and published nothing");
      assertEquals(400, once("/api/rooms/ledger/called-once", "x".repeat(129), "{}").statusCode());
    }
  }

  private static java.net.http.HttpResponse<String> once(String path, String idempotencyKey, String body)
      throws Exception {
    return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + NODE.port() + path))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).header("Authorization", "Bearer " + API_KEY)
        .header("Idempotency-Key", idempotencyKey).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aServerPublishesIntoAChatRoomExactlyOnce() throws Exception {
    try (WsClient member = WsClient.join(NODE.client(), NODE.port(), "/chat/announcements?name=reader")) {
      String body = "{\"user\":\"deploy-bot\",\"message\":\"v2 is live\",\"id\":\"deploy-42\"}";
      var r = call("/api/rooms/chat/announcements", API_KEY, body);
      assertEquals(200, r.statusCode(), r.body());
      long seq = new JsonObject(r.body()).getLong("seq");
      JsonObject message = member.nextOfType("MESSAGE");
      assertEquals("deploy-bot", message.getString("user"));
      assertEquals("v2 is live", message.getString("message"));
      assertEquals(seq, message.getLong("seq"));
      var again = call("/api/rooms/chat/announcements", API_KEY, body);
      assertEquals(seq, new JsonObject(again.body()).getLong("seq"), "a retry with the same id is the same message");
      member.ping();
      assertEquals(1, member.seen.stream().filter(f -> "MESSAGE".equals(f.getString("type"))).count(), "delivered once");
      var bad = call("/api/rooms/chat/announcements", API_KEY, "{\"message\":\"\\u0007bell\"}");
      assertEquals(400, bad.statusCode(), "checked as a client's message is");
    }
  }

  @Test
  void aCallWakesASleepingRoom() throws Exception {
    String key = "ledger/dozing";
    assertEquals(200, call("/api/rooms/ledger/dozing", API_KEY, "{\"n\":1}").statusCode());
    TestNodes.eventually(10_000, "the room sleeps", () -> !NODE.node().host().isActive(key));
    var r = call("/api/rooms/ledger/dozing", API_KEY, "{\"n\":1}");
    assertEquals(2, new JsonObject(r.body()).getInteger("total"), "its storage was kept while it slept");
  }

  @Test
  void theLogicClosesAConnectionWithItsCode() {
    try (WsClient a = join("kick", "")) {
      a.send(op("kick"));
      TestNodes.eventually(WsClient.TIMEOUT_MS, "the room's logic closes the connection", () -> {
        a.poll(50);
        return a.closeCode != null;
      });
      assertEquals((short) 4001, a.closeCode);
    }
  }

  @Test
  void anUnknownTypeIsNotFoundBeforeTheUpgrade() throws Exception {
    RawHttp.Response r = RawHttp.get(NODE.port(), "127.0.0.1", "/rooms/nosuchtype/r1");
    assertEquals(404, r.status());
  }
}
