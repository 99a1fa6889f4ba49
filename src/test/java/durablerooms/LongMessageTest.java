package durablerooms;

import durablerooms.config.ServerConfig;
import durablerooms.support.NodeExtension;
import durablerooms.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The longest chat message the limit allows is a room event too, however much of it JSON escapes. */
@ExtendWith(VertxExtension.class)
class LongMessageTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of(
      "ROOMS_MAX_MESSAGE_CHARS", String.valueOf(ServerConfig.MAX_MESSAGE_CHARS),
      "ROOMS_MAX_FRAME_BYTES", String.valueOf(512 * 1024)));

  @Test
  @DisplayName("a message of ROOMS_MAX_MESSAGE_CHARS at its highest, all quotes and backslashes, is ACKed and delivered")
  void theLongestMessageThatEscapesTheMostIsDelivered(Vertx vertx) {
    String room = "long-" + UUID.randomUUID().toString().substring(0, 8);
    String text = "\"\\".repeat(ServerConfig.MAX_MESSAGE_CHARS / 2);
    try (WsClient a = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=a");
         WsClient b = WsClient.joinTakingLargeFrames(vertx, NODE.port(), "/chat/" + room + "?name=b")) {
      a.say(text, "long");
      JsonObject ack = a.nextOfType("ACK");
      assertEquals("long", ack.getString("id"), "not an ERROR: " + a.seen);
      assertEquals(text, b.nextOfType("MESSAGE").getString("message"));
    }
  }
}
