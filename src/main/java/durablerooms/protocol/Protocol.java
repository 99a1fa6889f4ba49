package durablerooms.protocol;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.text.Normalizer;
import java.util.regex.Pattern;

/** The wire: decodes client text frames and validates names; the only place that reads client JSON. */
public final class Protocol {
  public static final int MAX_NAME_CHARS = 64;
  public static final int MAX_ID_CHARS = 128;
  public static final int MAX_HISTORY_PAGE = 200;
  public static final int DEFAULT_HISTORY_PAGE = 50;
  private static final Pattern ROOM_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private final int maxMessageChars;

  public Protocol(int maxMessageChars) {
    this.maxMessageChars = maxMessageChars;
  }

  public static boolean validRoomName(String room) {
    return room != null && ROOM_NAME.matcher(room).matches();
  }

  /** Decodes one text frame; throws with the ERROR code the client should get. */
  public ClientFrame decode(String text) throws ProtocolException {
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ProtocolException(ErrorCode.BAD_JSON, "frame is not a JSON object");
    }
    Object type = json.getValue("type");
    if (type == null) {
      if (json.containsKey("message")) {
        return chat(json);
      }
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "missing \"type\"");
    }
    if (!(type instanceof String t)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"type\" must be a string");
    }
    switch (t) {
      case "message":
        return chat(json);
      case "name":
        return new ClientFrame.Rename(displayName(json.getValue("name")));
      case "typing":
        return new ClientFrame.Typing();
      case "history":
        return historyRequest(json);
      case "ping":
        return new ClientFrame.Ping();
      default:
        throw new ProtocolException(ErrorCode.BAD_REQUEST, "unknown type");
    }
  }

  private ClientFrame chat(JsonObject json) throws ProtocolException {
    if (!(json.getValue("message") instanceof String text)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"message\" must be a string");
    }
    if (text.isBlank()) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"message\" is empty");
    }
    if (text.length() > maxMessageChars) {
      throw new ProtocolException(ErrorCode.TOO_LARGE, "message longer than " + maxMessageChars + " characters");
    }
    Object id = json.getValue("id");
    if (id != null && !(id instanceof String)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"id\" must be a string");
    }
    String sid = (String) id;
    if (sid != null && (sid.isEmpty() || sid.length() > MAX_ID_CHARS)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"id\" must have 1 to " + MAX_ID_CHARS + " characters");
    }
    return new ClientFrame.Chat(text, sid);
  }

  private static ClientFrame historyRequest(JsonObject json) throws ProtocolException {
    long before = wholeNumber(json.getValue("before"), 0, "before");
    long limit = wholeNumber(json.getValue("limit"), DEFAULT_HISTORY_PAGE, "limit");
    if (before < 0 || limit < 1 || limit > MAX_HISTORY_PAGE) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST,
          "\"before\" must be >= 0 and \"limit\" between 1 and " + MAX_HISTORY_PAGE);
    }
    return new ClientFrame.HistoryRequest(before, (int) limit);
  }

  private static long wholeNumber(Object v, long absent, String field) throws ProtocolException {
    if (v == null) {
      return absent;
    }
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"" + field + "\" must be a whole number");
  }

  /** A display name: NFC-normalised, trimmed, 1..64 characters, no control characters. */
  public static String displayName(Object raw) throws ProtocolException {
    if (!(raw instanceof String s)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"name\" must be a string");
    }
    String name = Normalizer.normalize(s, Normalizer.Form.NFC).strip();
    if (name.isEmpty() || name.length() > MAX_NAME_CHARS) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "name must have 1 to " + MAX_NAME_CHARS + " characters");
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw new ProtocolException(ErrorCode.BAD_REQUEST, "name must not contain control characters");
      }
    }
    return name;
  }
}
