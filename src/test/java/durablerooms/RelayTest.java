package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.WsClient;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.UUID;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay example room type over WebSocket: chat's message path on the room-types API. */
class RelayTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(java.util.Map.of());

  private static WsClient join(String room, String query) {
    WsClient c = WsClient.connect(NODE.client(), NODE.port(), "/rooms/relay/" + room + query);
    c.next("PRESENCE");
    return c;
  }

  @Test
  @DisplayName("a message reaches the others as a MESSAGE with its seq and time, the sender gets its ACK with the same time, "
      + "the same ACK for a retry; "
      + "a member that resumes gets it in its HISTORY, one ahead of the room is told to reset; joins and leaves are announced")
  void aMessageReachesTheOthersAndItsSenderGetsItsAckOnce() {
    String room = "r-" + UUID.randomUUID().toString().substring(0, 8);
    WsClient ann = join(room, "?name=ann&client=a1");
    WsClient bob = join(room, "?name=bob&client=b1");
    JsonObject joined = ann.nextOfType("JOIN").getJsonObject("member");
    assertEquals("bob", joined.getString("user"), "the platform announces a join to the others");
    assertEquals(bob.seen.stream().filter(f -> f.getString("type").equals("PRESENCE")).findFirst().orElseThrow()
        .getJsonObject("you").getString("id"), joined.getString("id"));
    ann.send(new JsonObject().put("message", "hello").put("id", "m1"));
    JsonObject ack = ann.nextOfType("ACK");
    assertEquals("m1", ack.getString("id"));
    assertEquals(1L, ack.getLong("seq"));
    JsonObject message = bob.nextOfType("MESSAGE");
    assertEquals("ann", message.getString("user"));
    assertEquals("hello", message.getString("message"));
    assertEquals(1L, message.getLong("seq"));
    assertTrue(message.getLong("ts") > 0);
    assertEquals(message.getLong("ts"), ack.getLong("ts"), "the ACK carries the handler's time, which stamps the event");

    ann.send(new JsonObject().put("message", "hello").put("id", "m1")); // a retry after a lost ACK
    assertEquals(ack, ann.nextOfType("ACK"), "the same ACK, not a second message");
    ann.send(new JsonObject().put("message", "again").put("id", "m2"));
    assertEquals(2L, ann.nextOfType("ACK").getLong("seq"));
    assertEquals("again", bob.nextOfType("MESSAGE").getString("message"), "the retry was not sent on");

    ann.send(new JsonObject().put("text", 42).put("id", "m3"));
    JsonObject error = ann.nextOfType("ERROR");
    assertEquals("bad_message", error.getString("code"));
    assertEquals("m3", error.getString("id"));

    try (WsClient late = join(room, "?name=cy&since=0")) {
      JsonArray history = late.next("HISTORY").getJsonArray("messages");
      assertEquals(2, history.size(), history.encode());
      assertEquals("hello", history.getJsonObject(0).getString("message"));
      assertNull(history.getJsonObject(0).getString("id"));
    }
    // a client ahead of the room (its store was replaced, say) is told to reset, with the whole log
    try (WsClient ahead = join(room, "?name=dee&since=99")) {
      JsonObject history = ahead.next("HISTORY");
      assertTrue(history.getBoolean("reset", false), history.encode());
      assertTrue(history.getBoolean("gap"));
      assertEquals(2, history.getJsonArray("messages").size());
      assertEquals(2L, history.getLong("to"));
    }
    try (WsClient current = join(room, "?name=eve&since=2")) {
      JsonObject history = current.next("HISTORY");
      assertFalse(history.getBoolean("reset", false));
      assertEquals(0, history.getJsonArray("messages").size());
      assertEquals(3L, history.getLong("from"));
    }
    bob.close();
    List<String> left = new ArrayList<>();
    for (int i = 0; i < 4; i++) { // the closes race each other to the room
      left.add(ann.nextOfType("LEAVE").getJsonObject("member").getString("user"));
    }
    assertEquals(java.util.Set.of("cy", "dee", "eve", "bob"), java.util.Set.copyOf(left), "and each leave");
    ann.close();
  }
}
