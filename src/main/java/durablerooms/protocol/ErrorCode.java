package durablerooms.protocol;

/** The codes of ERROR frames (DESIGN.md, wire protocol). */
public enum ErrorCode {
  BAD_JSON("bad_json"),
  BAD_REQUEST("bad_request"),
  TOO_LARGE("too_large"),
  RATE_LIMITED("rate_limited"),
  UNAUTHORIZED("unauthorized"),
  FORBIDDEN("forbidden"),
  ROOM_FULL("room_full"),
  UNAVAILABLE("unavailable");

  private final String wire;

  ErrorCode(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }
}
