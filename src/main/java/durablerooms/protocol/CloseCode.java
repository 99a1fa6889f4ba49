package durablerooms.protocol;

/** WebSocket close codes the server uses, and whether a client should reconnect after each. */
public enum CloseCode {
  NORMAL(1000, true),
  /** The server drops a connection that did not answer its ping in time. */
  GOING_AWAY(1001, true),
  /** The client broke the WebSocket protocol (e.g. an unmasked or malformed frame). */
  PROTOCOL_ERROR(1002, false),
  /** A text message that is not valid UTF-8 (RFC 6455 8.1). */
  INVALID_DATA(1007, false),
  /** Origin, authorisation, or repeated abuse (the error budget is spent). */
  POLICY(1008, false),
  /** A frame or message over ROOMS_MAX_FRAME_BYTES. */
  TOO_LARGE(1009, false),
  INTERNAL_ERROR(1011, true),
  RESTARTING(1012, true),
  /** Overload: the room is full, the room is unavailable, or the client reads too slowly. */
  TRY_AGAIN_LATER(1013, true);

  private final short code;
  private final boolean reconnect;

  CloseCode(int code, boolean reconnect) {
    this.code = (short) code;
    this.reconnect = reconnect;
  }

  public short code() {
    return code;
  }

  public boolean reconnect() {
    return reconnect;
  }
}
