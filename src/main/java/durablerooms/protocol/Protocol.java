package durablerooms.protocol;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.text.Normalizer;
import java.util.regex.Pattern;

/** The wire: decodes client text frames and validates names; the only place that reads client JSON. */
public final class Protocol {
  /**
   * The WebSocket subprotocol of the full protocol (PRESENCE, HISTORY, ACK, ...); a client that
   * asks for none speaks the seed protocol ({@link SeedFrames}).
   */
  public static final String SUBPROTOCOL = "durable-rooms.v1";
  public static final int MAX_NAME_CHARS = 64;
  public static final int MAX_ID_CHARS = 128;
  public static final int MAX_HISTORY_PAGE = 200;
  /**
   * The most a HISTORY frame holds (a replay with {@code since}, or a page), in characters of JSON:
   * a join with {@code since=0} in a room of long messages would otherwise send its whole retained
   * history (megabytes) for a request of a few bytes. Older messages are paged.
   */
  public static final int MAX_HISTORY_FRAME_BYTES = 256 * 1024;
  public static final int DEFAULT_HISTORY_PAGE = 50;
  private static final Pattern ROOM_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern WHITESPACE_RUN = Pattern.compile("[\\s\\p{Z}]+");
  private static final int ZERO_WIDTH_JOINER = 0x200D;

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

  /**
   * Decodes a text frame for a room of a user's type: any JSON object, which goes to the room's
   * logic as it came, but {@code {"type":"ping"}}; an {@code id}, if present, must be a string of 1
   * to {@value #MAX_ID_CHARS} characters.
   */
  public ClientFrame decodeCustom(String text) throws ProtocolException {
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ProtocolException(ErrorCode.BAD_JSON, "frame is not a JSON object");
    }
    if ("ping".equals(json.getValue("type"))) {
      return new ClientFrame.Ping();
    }
    Object id = json.getValue("id");
    if (id != null && !(id instanceof String s && !s.isEmpty() && s.length() <= MAX_ID_CHARS)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"id\" must be a string of 1 to " + MAX_ID_CHARS
          + " characters");
    }
    return new ClientFrame.Custom(json, (String) id);
  }

  private ClientFrame chat(JsonObject json) throws ProtocolException {
    Object id = json.getValue("id");
    if (id != null && !(id instanceof String)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"id\" must be a string");
    }
    String sid = (String) id;
    if (sid != null && (sid.isEmpty() || sid.length() > MAX_ID_CHARS)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"id\" must have 1 to " + MAX_ID_CHARS + " characters");
    }
    if (!(json.getValue("message") instanceof String text)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"message\" must be a string", sid);
    }
    if (text.isBlank()) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"message\" is empty", sid);
    }
    if (text.length() > maxMessageChars) {
      throw new ProtocolException(ErrorCode.TOO_LARGE, "message longer than " + maxMessageChars + " characters", sid);
    }
    if (!printableText(text)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"message\" has control characters or broken surrogates", sid);
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

  /**
   * A display name: NFC-normalised, each run of white space made one space, trimmed, 1..64
   * characters, without control, format (bidi overrides, zero-width; the emoji joiner excepted),
   * unassigned or broken surrogate characters, so that one name cannot pass for another.
   */
  public static String displayName(Object raw) throws ProtocolException {
    if (!(raw instanceof String s)) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "\"name\" must be a string");
    }
    String name = WHITESPACE_RUN.matcher(Normalizer.normalize(s, Normalizer.Form.NFC)).replaceAll(" ").strip();
    if (name.isEmpty() || name.length() > MAX_NAME_CHARS) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "name must have 1 to " + MAX_NAME_CHARS + " characters");
    }
    for (int i = 0; i < name.length(); ) {
      int cp = name.codePointAt(i);
      if (!allowedInName(cp)) {
        throw new ProtocolException(ErrorCode.BAD_REQUEST, "name must not contain control or invisible characters");
      }
      i += Character.charCount(cp);
    }
    return name;
  }

  private static boolean allowedInName(int cp) {
    if (cp == ZERO_WIDTH_JOINER) {
      return true;
    }
    switch (Character.getType(cp)) {
      case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
          Character.SURROGATE, Character.UNASSIGNED:
        return false;
      default:
        return true;
    }
  }

  /** Chat text: no control characters but tab and line breaks, no unpaired surrogates. */
  private static boolean printableText(String text) {
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int type = Character.getType(cp);
      if (type == Character.SURROGATE
          || (type == Character.CONTROL && cp != '\t' && cp != '\n' && cp != '\r')) {
        return false;
      }
      i += Character.charCount(cp);
    }
    return true;
  }
}
