package durablerooms.room;

import durablerooms.protocol.ErrorCode;
import io.vertx.core.eventbus.ReplyException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The failure codes between nodes: fixed numbers, whatever the order of the constants in the code. */
class RoomFailureTest {
  @Test
  @DisplayName("each client error crosses between nodes as the number it always had, and comes back as itself")
  void clientErrorNumbersAreFixed() {
    Map<ErrorCode, Integer> wire = Map.of(ErrorCode.BAD_JSON, 100, ErrorCode.BAD_REQUEST, 101, ErrorCode.TOO_LARGE, 102,
        ErrorCode.RATE_LIMITED, 103, ErrorCode.UNAUTHORIZED, 104, ErrorCode.FORBIDDEN, 105, ErrorCode.ROOM_FULL, 106,
        ErrorCode.UNAVAILABLE, 107, ErrorCode.ROOM_ERROR, 108, ErrorCode.STORAGE_FULL, 109);
    assertEquals(ErrorCode.values().length, wire.size(), "every code has its number here");
    wire.forEach((code, number) -> {
      ReplyException e = RoomFailure.client(code, "why");
      assertEquals(number, e.failureCode(), code.name());
      assertEquals(code, RoomFailure.clientError(e));
    });
  }

  @Test
  @DisplayName("a refusal of a room's logic crosses the event bus with its status, code and message")
  void refusals() {
    ReplyException e = RoomFailure.refused(new durablerooms.api.RoomException(409, "taken", "that seat\nis taken"));
    durablerooms.api.RoomException back = RoomFailure.refusal(e);
    assertEquals(409, back.status());
    assertEquals("taken", back.code());
    assertEquals("that seat\nis taken", back.getMessage());
    assertNull(RoomFailure.clientError(e), "a refusal is not one of the platform's codes");
    assertNull(RoomFailure.refusal(RoomFailure.notMember()));
    assertEquals("refused", new durablerooms.api.RoomException(999, "Bad Code", "x").code());
    assertEquals(400, new durablerooms.api.RoomException(999, "Bad Code", "x").status());
  }

  @Test
  @DisplayName("a failure that is not a client error, or a number no code has, is no client error")
  void otherFailures() {
    assertNull(RoomFailure.clientError(RoomFailure.notMember()));
    assertNull(RoomFailure.clientError(new ReplyException(io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE, 199, "x")));
  }
}
