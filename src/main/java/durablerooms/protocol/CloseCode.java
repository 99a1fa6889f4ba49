package durablerooms.protocol;

/** WebSocket close codes the server uses, and whether a client should reconnect after each. */
public enum CloseCode {
  NORMAL(1000, true),
  POLICY(1008, false),
  TOO_LARGE(1009, false),
  INTERNAL_ERROR(1011, true),
  RESTARTING(1012, true),
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
