package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.WsClient;

import durablerooms.protocol.Protocol;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A request of a few bytes never gets megabytes back: replays and pages are capped in bytes, and the rest is paged. */
@ExtendWith(VertxExtension.class)
class ReplayLimitTest {
  private static final int MESSAGES = 120;
  private static final int CHARS = 4000;
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_RATE_PER_SEC", "1000", "ROOMS_RATE_BURST", "1000"));

  @Test
  @DisplayName("a join with since=0 in a room of long messages gets the newest that fit the cap, more=true, and pages the rest")
  void replayIsCapped(Vertx vertx) {
    String room = "replay-" + UUID.randomUUID().toString().substring(0, 8);
    try (WsClient writer = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=writer")) {
      for (int i = 1; i <= MESSAGES; i++) {
        writer.say(i + ":" + "x".repeat(CHARS - 8), "m" + i);
      }
      for (int i = 1; i <= MESSAGES; i++) {
        writer.nextOfType("ACK");
      }
    }
    try (WsClient reader = WsClient.connect(vertx, NODE.port(), "/chat/" + room + "?name=reader&since=0")) {
      JsonObject replay = reader.nextOfType("HISTORY");
      int size = replay.encode().getBytes(StandardCharsets.UTF_8).length;
      JsonArray messages = replay.getJsonArray("messages");
      assertTrue(size <= Protocol.MAX_HISTORY_FRAME_BYTES + 256, "the replay is capped: " + size + " bytes");
      assertTrue(replay.getBoolean("more"), "older messages are left for paging");
      assertFalse(replay.getBoolean("gap"), "they are retained");
      assertEquals(MESSAGES, replay.getLong("to"), "the replay reaches the newest message");
      long from = replay.getLong("from");
      assertEquals(MESSAGES - messages.size() + 1, from);

      long before = from;
      int paged = 0;
      while (before > 1) {
        reader.send(new JsonObject().put("type", "history").put("before", before).put("limit", 200));
        JsonObject page = reader.nextOfType("HISTORY");
        assertTrue(page.encode().length() <= Protocol.MAX_HISTORY_FRAME_BYTES + 256, "a page is capped too");
        assertEquals(before - 1, page.getLong("to"));
        paged += page.getJsonArray("messages").size();
        before = page.getLong("from");
      }
      assertEquals(MESSAGES, messages.size() + paged, "every message is reachable");
    }
  }
}
