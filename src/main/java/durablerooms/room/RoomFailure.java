package durablerooms.room;

import durablerooms.protocol.ErrorCode;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/** The failure codes a room host answers a command with, and their meaning for the gateway. */
public final class RoomFailure {
  /** The header naming the gateway node a command comes from. */
  public static final String FROM_HEADER = "from";
  /** The room is active on another node (the failure message is its id), or on none (empty message). */
  public static final int NOT_OWNER = 1;
  /** The room cannot take the command now (moved, store unavailable); the client may retry. */
  public static final int UNAVAILABLE = 2;
  /** The connection is not a member (it was removed as a ghost): it should reconnect and rejoin. */
  public static final int NOT_MEMBER = 3;
  /** The room's logic refused (a RoomException): the message is its status, code and message, one per line. */
  public static final int REFUSED = 4;
  /** Client errors: {@code CLIENT_ERROR + ErrorCode.number()}, the message is for the client. */
  public static final int CLIENT_ERROR = 100;

  private RoomFailure() {}

  public static ReplyException notOwner(String owner) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, NOT_OWNER, owner);
  }

  public static ReplyException unavailable(String why) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, UNAVAILABLE, why);
  }

  public static ReplyException notMember() {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, NOT_MEMBER, "not a member of this room");
  }

  public static ReplyException client(ErrorCode code, String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, CLIENT_ERROR + code.number(), message);
  }

  /** A refusal of the room's logic, as it crosses the event bus. */
  public static ReplyException refused(durablerooms.api.RoomException e) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, REFUSED,
        e.status() + "\n" + e.code() + "\n" + (e.getMessage() == null ? "" : e.getMessage()));
  }

  /** A refusal's status, code and message: null if {@code e} is not a refusal. */
  public static durablerooms.api.RoomException refusal(ReplyException e) {
    if (e.failureCode() != REFUSED || e.getMessage() == null) {
      return null;
    }
    String[] parts = e.getMessage().split("\n", 3);
    int status;
    try {
      status = Integer.parseInt(parts[0]);
    } catch (NumberFormatException bad) {
      status = 400;
    }
    return new durablerooms.api.RoomException(status, parts.length > 1 ? parts[1] : null, parts.length > 2 ? parts[2] : "");
  }

  /** The client error code of a failure, or null if it is not a client error. */
  public static ErrorCode clientError(ReplyException e) {
    return e.failureCode() >= CLIENT_ERROR ? ErrorCode.ofNumber(e.failureCode() - CLIENT_ERROR) : null;
  }
}
