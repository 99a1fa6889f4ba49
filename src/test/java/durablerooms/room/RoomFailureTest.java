package durablerooms.room;

import durablerooms.protocol.ErrorCode;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The failure codes between nodes: fixed numbers, whatever the order of the constants in the code; their words in the log. */
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

  @Test
  @DisplayName("a failure is described in words for the log, also one whose message is empty (a room with no owner)")
  void describedForTheLog() {
    assertEquals("the room is moving between nodes (no node runs it yet)", RoomFailure.describe(RoomFailure.notOwner("")));
    assertEquals("the room is moving between nodes (node n-2 holds it)", RoomFailure.describe(RoomFailure.notOwner("n-2")));
    assertEquals("room unavailable: room is moving", RoomFailure.describe(RoomFailure.unavailable("room is moving")));
    assertEquals("room_full: room is full", RoomFailure.describe(RoomFailure.client(ErrorCode.ROOM_FULL, "room is full")));
    assertEquals("the room's node is gone (node n-2 left the cluster)",
        RoomFailure.describe(new ReplyException(ReplyFailure.NO_HANDLERS, "node n-2 left the cluster")));
    assertTrue(RoomFailure.describe(new ReplyException(ReplyFailure.TIMEOUT, "Timed out after waiting 6000(ms)"))
        .startsWith("no answer in time"));
    assertEquals("java.lang.IllegalStateException: boom", RoomFailure.describe(new IllegalStateException("boom")));
  }

  @Test
  @DisplayName("a room moving between nodes, or its node gone, is an expected failure; a timeout or a bug is not")
  void movingIsExpected() {
    assertTrue(RoomFailure.moving(RoomFailure.notOwner("")));
    assertTrue(RoomFailure.moving(RoomFailure.notOwner("n-2")));
    assertTrue(RoomFailure.moving(RoomFailure.unavailable("room is moving")));
    assertTrue(RoomFailure.moving(new ReplyException(ReplyFailure.NO_HANDLERS, "node n-2 left the cluster")));
    assertFalse(RoomFailure.moving(new ReplyException(ReplyFailure.TIMEOUT, "Timed out")));
    assertFalse(RoomFailure.moving(RoomFailure.client(ErrorCode.ROOM_FULL, "room is full")));
    assertFalse(RoomFailure.moving(new IllegalStateException("boom")));
  }
}
