package durablerooms.protocol;

/** A client frame that cannot be accepted; becomes an ERROR frame with its code. */
public final class ProtocolException extends Exception {
  private final ErrorCode code;
  private final String id;

  public ProtocolException(ErrorCode code, String message) {
    this(code, message, null);
  }

  /** A refused chat message whose client id is known: the ERROR names it. */
  public ProtocolException(ErrorCode code, String message, String id) {
    super(message, null, false, false);
    this.code = code;
    this.id = id;
  }

  public ErrorCode code() {
    return code;
  }

  /** The client id of the refused message, or null. */
  public String id() {
    return id;
  }
}
