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

  /**
   * Whether a command's failure is the room moving between nodes, or its node leaving the cluster:
   * expected while rooms hibernate, wake and fail over, and over once the client reconnects. A
   * request that timed out, or any other failure, is not.
   */
  public static boolean moving(Throwable err) {
    if (!(err instanceof ReplyException re)) {
      return false;
    }
    return re.failureType() == ReplyFailure.NO_HANDLERS
        || (re.failureType() == ReplyFailure.RECIPIENT_FAILURE
            && (re.failureCode() == NOT_OWNER || re.failureCode() == UNAVAILABLE));
  }

  /**
   * A command's failure in words, for the log. The failure's message alone can be empty (NOT_OWNER
   * with no owner), so the kind of failure is always said.
   */
  public static String describe(Throwable err) {
    if (!(err instanceof ReplyException re)) {
      return err.toString();
    }
    String message = re.getMessage() == null ? "" : re.getMessage();
    if (re.failureType() == ReplyFailure.TIMEOUT) {
      return "no answer in time (" + message + ")";
    }
    if (re.failureType() == ReplyFailure.NO_HANDLERS) {
      return "the room's node is gone (" + message + ")";
    }
    if (re.failureType() != ReplyFailure.RECIPIENT_FAILURE) {
      return re.failureType() + ": " + message;
    }
    ErrorCode client = clientError(re);
    if (client != null) {
      return client.wire() + ": " + message;
    }
    switch (re.failureCode()) {
      case NOT_OWNER:
        return message.isEmpty() ? "the room is moving between nodes (no node runs it yet)"
            : "the room is moving between nodes (node " + message + " holds it)";
      case UNAVAILABLE:
        return "room unavailable: " + message;
      case NOT_MEMBER:
        return message;
      default:
        return "failure " + re.failureCode() + ": " + message;
    }
  }
}
