package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ROOMS_MESSAGE_TTL: a chat message or an event of a room of a user's type older than it is served
 * to nobody, awake or asleep, and leaves the store, also from a room that sleeps (a chat room's
 * expiry alarm wakes it; the store deletes the events of other types by itself).
 */
class MessageTtlTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_MESSAGE_TTL", "2s", "ROOMS_IDLE_TIMEOUT_MS", "400"));

  private final HttpClient http = HttpClient.newHttpClient();

  /** A chat room's messages over HTTP. */
  private JsonObject messages(String room) {
    return get("/api/rooms/" + room + "/messages?since=0");
  }

  /** A relay room's events over HTTP. */
  private JsonObject events(String room) {
    return get("/api/types/relay/rooms/" + room + "/messages?since=0");
  }

  private JsonObject get(String path) {
    try {
      return new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + NODE.port() + path)).build(),
          HttpResponse.BodyHandlers.ofString()).body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Long> seqs(JsonArray messages) {
    List<Long> out = new ArrayList<>();
    messages.forEach(m -> out.add(((JsonObject) m).getLong("seq")));
    return out;
  }

  @Test
  @DisplayName("a room of a user's type: events older than the TTL are served to nobody, awake or asleep, and leave "
      + "the store without waking the room; the seq goes on")
  void expiredEventsOfARoomOfAUsersTypeAreServedToNobody() throws Exception {
    String room = "ttl-" + UUID.randomUUID().toString().substring(0, 8);
    String key = "relay/" + room;
    try (WsClient a = WsClient.connect(NODE.client(), NODE.port(), "/rooms/relay/" + room + "?name=ann&client=a")) {
      a.next("PRESENCE");
      a.send(new JsonObject().put("message", "old 1").put("id", "m1"));
      a.nextOfType("ACK");
      a.send(new JsonObject().put("message", "old 2").put("id", "m2"));
      long expiredAt = a.nextOfType("ACK").getLong("ts") + 2_000;
      TestNodes.eventually(10_000, "the two are older than the TTL: the HTTP API leaves them out",
          () -> System.currentTimeMillis() > expiredAt && seqs(events(room).getJsonArray("messages")).isEmpty());
      a.send(new JsonObject().put("message", "new").put("id", "m3"));
      assertEquals(3L, a.nextOfType("ACK").getLong("seq"));
      try (WsClient late = WsClient.connect(NODE.client(), NODE.port(), "/rooms/relay/" + room + "?name=bob&since=0")) {
        late.next("PRESENCE");
        JsonObject history = late.next("HISTORY");
        assertEquals(List.of(3L), seqs(history.getJsonArray("messages")));
        assertTrue(history.getBoolean("gap"), "the resume from 0 is told it misses events");
      }
    }
    TestNodes.eventually(10_000, "the room sleeps", () -> !NODE.node().host().isActive(key));
    assertEquals(List.of(3L), seqs(events(room).getJsonArray("messages")));
    TestNodes.eventually(10_000, "the store deleted the two expired ones", () -> storedSeqs(key).equals(List.of(3L)));
    TestNodes.eventually(10_000, "and the last one once it expired, the room asleep", () -> storedSeqs(key).isEmpty());
    assertFalse(NODE.node().host().isActive(key), "the room was not woken for it");
    try (WsClient a = WsClient.connect(NODE.client(), NODE.port(), "/rooms/relay/" + room + "?name=ann&client=a")) {
      a.next("PRESENCE");
      a.send(new JsonObject().put("message", "after").put("id", "m4"));
      assertEquals(4L, a.nextOfType("ACK").getLong("seq"), "the seq goes on after everything expired");
    }
  }

  /** The seqs of the events the store holds, expired or not. */
  private static List<Long> storedSeqs(String key) {
    try {
      return NODE.node().logicArchive().log(key, 0, 1000, Long.MIN_VALUE).get().events().stream()
          .map(durablerooms.state.EventSlice.Entry::seq).toList();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("messages older than the TTL leave the history: not in a resume, not in the HTTP API while the room "
      + "sleeps, not in the store, which deletes them without waking the room; the seq goes on")
  void expiredMessagesAreServedToNobody() throws Exception {
    String room = "ttl-" + UUID.randomUUID().toString().substring(0, 8);
    try (WsClient a = WsClient.join(NODE.client(), NODE.port(), "/chat/" + room + "?name=ann")) {
      a.say("old 1", "m1");
      a.nextOfType("ACK");
      a.say("old 2", "m2");
      a.nextOfType("ACK");
      long expiredAt = System.currentTimeMillis() + 2_000; // both were stamped before their ACK came
      // the API is asked only once the TTL has passed: a read as the room went to sleep was once
      // seen to list none of its messages before the TTL (an open question of the read path, not
      // of expiry), which would pass this check for another reason
      TestNodes.eventually(10_000, "the two are older than the TTL: the HTTP API leaves them out",
          () -> System.currentTimeMillis() > expiredAt && seqs(messages(room).getJsonArray("messages")).isEmpty());
      a.say("new", "m3");
      assertEquals(3L, a.nextOfType("ACK").getLong("seq"));
      try (WsClient late = WsClient.connect(NODE.client(), NODE.port(), "/chat/" + room + "?name=bob&since=0")) {
        late.next("SYSTEM");
        late.next("PRESENCE");
        JsonObject history = late.next("HISTORY");
        assertEquals(List.of(3L), seqs(history.getJsonArray("messages")));
        assertTrue(history.getBoolean("gap"), "the resume from 0 is told it misses messages");
      }
    }
    TestNodes.eventually(10_000, "the room sleeps", () -> !NODE.node().host().isActive(room));
    JsonObject asleep = messages(room);
    assertEquals(List.of(3L), seqs(asleep.getJsonArray("messages")), asleep.encode());
    assertEquals(3L, asleep.getLong("seq"));
    TestNodes.eventually(10_000, "the store deleted the two expired ones", () -> storedSeqs(room).equals(List.of(3L)));
    TestNodes.eventually(10_000, "the last one expired too, asleep",
        () -> seqs(messages(room).getJsonArray("messages")).isEmpty());
    TestNodes.eventually(10_000, "the store deleted the last one", () -> storedSeqs(room).isEmpty());
    assertFalse(NODE.node().host().isActive(room), "the room was not woken for it");
    try (WsClient a = WsClient.join(NODE.client(), NODE.port(), "/chat/" + room + "?name=ann")) {
      a.say("after", "m4");
      assertEquals(4L, a.nextOfType("ACK").getLong("seq"), "the seq goes on after everything expired");
    }
  }
}
