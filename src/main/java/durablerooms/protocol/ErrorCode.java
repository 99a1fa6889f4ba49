package durablerooms.protocol;

/**
 * The codes of ERROR frames (the wire protocol), each with the number it has between nodes (a room
 * answers a gateway's command with it): explicit, so that reordering the constants never changes
 * what a node of another version reads. The numbers are those the codes always had.
 */
public enum ErrorCode {
  BAD_JSON("bad_json", 0),
  BAD_REQUEST("bad_request", 1),
  TOO_LARGE("too_large", 2),
  RATE_LIMITED("rate_limited", 3),
  UNAUTHORIZED("unauthorized", 4),
  FORBIDDEN("forbidden", 5),
  ROOM_FULL("room_full", 6),
  UNAVAILABLE("unavailable", 7),
  /** The room's logic threw: its writes and frames were discarded. */
  ROOM_ERROR("room_error", 8),
  /** A storage write of the room's logic went past a limit. */
  STORAGE_FULL("storage_full", 9);

  private final String wire;
  private final int number;

  ErrorCode(String wire, int number) {
    this.wire = wire;
    this.number = number;
  }

  public String wire() {
    return wire;
  }

  /** The code's number between nodes. */
  public int number() {
    return number;
  }

  /** The code with {@code number}, or null for a number no code has. */
  public static ErrorCode ofNumber(int number) {
    for (ErrorCode c : values()) {
      if (c.number == number) {
        return c;
      }
    }
    return null;
  }
}
