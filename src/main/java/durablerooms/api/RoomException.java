package durablerooms.api;

/**
 * A refusal by the room's logic, with a code the client gets: thrown from {@code onMessage} it
 * answers the frame with {@code {"type":"ERROR","code":CODE,"message":MESSAGE,"id":...}}; thrown
 * from {@code onRequest} it answers the HTTP call with {@code status} and
 * {@code {"code":CODE,"message":MESSAGE}}. Like any exception, it discards the handler's writes and
 * frames.
 */
public class RoomException extends RuntimeException {
  private final int status;
  private final String code;

  /**
   * @param status an HTTP status from 400 to 499 (400 otherwise)
   * @param code   {@code [a-z][a-z0-9_]{0,31}} ({@code refused} otherwise)
   */
  public RoomException(int status, String code, String message) {
    super(message);
    this.status = status >= 400 && status <= 499 ? status : 400;
    this.code = code != null && code.matches("[a-z][a-z0-9_]{0,31}") ? code : "refused";
  }

  /** A refusal with status 400. */
  public RoomException(String code, String message) {
    this(400, code, message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
