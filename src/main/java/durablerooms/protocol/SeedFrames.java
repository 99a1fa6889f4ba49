package durablerooms.protocol;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * The seed protocol: what a client that asked for no subprotocol gets. The seed article's client
 * renders SYSTEM frames as text and every other frame as {@code user: message}, so it is sent
 * only SYSTEM and MESSAGE frames: joins, leaves, renames and errors become SYSTEM lines, the rest
 * (PRESENCE, HISTORY, ACK, TYPING, PONG) is not sent at all.
 */
public final class SeedFrames {
  private static final String SYSTEM = "{\"type\":\"SYSTEM\"";
  private static final String MESSAGE = "{\"type\":\"MESSAGE\"";

  private SeedFrames() {}

  /**
   * The seed form of a full-protocol frame: the same string when it needs no change (SYSTEM,
   * MESSAGE), a SYSTEM line, or null when a seed client gets nothing for it.
   */
  public static String translate(String frame) {
    if (frame.startsWith(MESSAGE) || frame.startsWith(SYSTEM)) {
      return frame;
    }
    String type = type(frame);
    if (type == null) {
      return null;
    }
    switch (type) {
      case "JOIN":
        return system(user(frame) + " joined");
      case "LEAVE":
        return system(user(frame) + " left");
      case "RENAME":
        return system("a member is now called " + user(frame));
      case "ERROR":
        return system("Error: " + new JsonObject(frame).getString("message", "bad request"));
      default:
        return null;
    }
  }

  public static String system(String text) {
    return new JsonObject().put("type", "SYSTEM").put("message", text).encode();
  }

  /** The type of a server frame, whose first key is always {@code type} (read without parsing the rest). */
  private static String type(String frame) {
    String prefix = "{\"type\":\"";
    if (!frame.startsWith(prefix)) {
      return null;
    }
    int end = frame.indexOf('"', prefix.length());
    return end < 0 ? null : frame.substring(prefix.length(), end);
  }

  private static String user(String presenceChange) {
    try {
      JsonObject member = new JsonObject(presenceChange).getJsonObject("member");
      return member == null ? "someone" : member.getString("user", "someone");
    } catch (DecodeException | ClassCastException e) {
      return "someone";
    }
  }
}
