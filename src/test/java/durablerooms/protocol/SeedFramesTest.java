package durablerooms.protocol;

import durablerooms.state.Member;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** What a client of the seed protocol gets for each frame of the full protocol. */
class SeedFramesTest {
  private static final Member BOB = new Member("m1", "Bob", "node-1");
  /** A chat message as a room sends it. */
  private static final String MESSAGE =
      "{\"type\":\"MESSAGE\",\"user\":\"Bob\",\"message\":\"hi\",\"seq\":7,\"ts\":1000,\"id\":\"c1\"}";

  private static String systemText(String frame) {
    JsonObject o = new JsonObject(frame);
    assertEquals("SYSTEM", o.getString("type"));
    return o.getString("message");
  }

  @Test
  @DisplayName("SYSTEM and MESSAGE frames pass unchanged, as the same string (encoded once for every recipient)")
  void passThrough() {
    String message = MESSAGE;
    assertSame(message, SeedFrames.translate(message));
    assertSame(ServerFrames.WELCOME, SeedFrames.translate(ServerFrames.WELCOME));
  }

  @Test
  @DisplayName("joins, leaves, renames and errors become SYSTEM lines")
  void presenceAndErrorsAsSystemLines() {
    assertEquals("Bob joined", systemText(SeedFrames.translate(ServerFrames.presenceChange("JOIN", BOB))));
    assertEquals("Bob left", systemText(SeedFrames.translate(ServerFrames.presenceChange("LEAVE", BOB))));
    assertEquals("a member is now called Bob", systemText(SeedFrames.translate(ServerFrames.presenceChange("RENAME", BOB))));
    assertEquals("Error: too many messages",
        systemText(SeedFrames.translate(ServerFrames.error(ErrorCode.RATE_LIMITED, "too many messages", null))));
  }

  @Test
  @DisplayName("PRESENCE, HISTORY, ACK, TYPING and PONG are not sent to a seed client")
  void restIsDropped() {
    for (String frame : List.of(ServerFrames.presence(List.of(BOB), BOB, 3),
        "{\"type\":\"HISTORY\",\"messages\":[" + MESSAGE + "],\"from\":7,\"to\":7,\"gap\":false,\"more\":false}",
        "{\"type\":\"ACK\",\"id\":\"c1\",\"seq\":7,\"ts\":1000}", ServerFrames.typing(BOB),
        ServerFrames.PONG)) {
      assertNull(SeedFrames.translate(frame), frame);
    }
  }
}
