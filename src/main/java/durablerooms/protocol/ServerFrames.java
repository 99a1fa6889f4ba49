package durablerooms.protocol;

import durablerooms.state.ChatRecord;
import durablerooms.state.Member;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;

/** Encodes server frames, each once, as JSON text whose first key is {@code type}. */
public final class ServerFrames {
  public static final String WELCOME_TEXT = "Welcome to the chat room!";
  public static final String WELCOME = new JsonObject()
      .put("type", "SYSTEM").put("message", WELCOME_TEXT).encode();
  public static final String PONG = new JsonObject().put("type", "PONG").encode();

  private ServerFrames() {}

  public static JsonObject member(Member m) {
    return new JsonObject().put("id", m.id()).put("user", m.user()).put("node", m.node());
  }

  public static JsonObject messageJson(ChatRecord r) {
    JsonObject o = new JsonObject()
        .put("type", "MESSAGE")
        .put("user", r.user())
        .put("message", r.text())
        .put("seq", r.seq())
        .put("ts", r.ts());
    if (r.hasId()) {
      o.put("id", r.id());
    }
    return o;
  }

  public static String message(ChatRecord r) {
    return messageJson(r).encode();
  }

  public static String ack(ChatRecord r) {
    return new JsonObject().put("type", "ACK").put("id", r.id()).put("seq", r.seq()).put("ts", r.ts()).encode();
  }

  public static String presence(Collection<Member> members, Member you, long seq) {
    JsonArray list = new JsonArray();
    members.forEach(m -> list.add(member(m)));
    return new JsonObject().put("type", "PRESENCE").put("members", list).put("you", member(you))
        .put("seq", seq).encode();
  }

  /**
   * A HISTORY frame of the newest of {@code messages} (in seq order) whose encoded form fits in
   * {@code maxBytes} (the newest one always does): a replay or a page of a room with long messages
   * must not cost the node (or the client) megabytes for one request. When older ones are left out,
   * {@code more} is true and {@code from} is the first seq sent: the client pages them with
   * {@code {"type":"history","before":from}}. Without messages, {@code from} and {@code to} are
   * {@code emptyFrom} and {@code emptyTo}.
   */
  public static String history(List<ChatRecord> messages, long emptyFrom, long emptyTo, boolean gap, int maxBytes) {
    return history(messages, emptyFrom, emptyTo, gap, false, maxBytes);
  }

  /**
   * As {@link #history(List, long, long, boolean, int)}; with {@code reset}, the frame says so
   * ({@code "reset":true}): the client's {@code since} was above the room's seq.
   */
  public static String history(List<ChatRecord> messages, long emptyFrom, long emptyTo, boolean gap, boolean reset,
                               int maxBytes) {
    ArrayDeque<String> kept = new ArrayDeque<>();
    long bytes = 0;
    for (int i = messages.size() - 1; i >= 0; i--) {
      String m = message(messages.get(i));
      bytes += m.length() + 1; // chars: a bound of the UTF-8 size only for ASCII, close enough for a cap
      if (!kept.isEmpty() && bytes > maxBytes) {
        break;
      }
      kept.addFirst(m);
    }
    boolean more = kept.size() < messages.size();
    long from = kept.isEmpty() ? emptyFrom : messages.get(messages.size() - kept.size()).seq();
    long to = kept.isEmpty() ? emptyTo : messages.get(messages.size() - 1).seq();
    // the messages are encoded already: joined, not parsed and encoded again
    StringBuilder frame = new StringBuilder((int) Math.min(Integer.MAX_VALUE - 64, bytes + 96))
        .append("{\"type\":\"HISTORY\",\"messages\":[");
    frame.append(String.join(",", kept));
    frame.append("],\"from\":").append(from).append(",\"to\":").append(to)
        .append(",\"gap\":").append(gap).append(",\"more\":").append(more);
    if (reset) {
      frame.append(",\"reset\":true");
    }
    frame.append('}');
    return frame.toString();
  }

  public static String presenceChange(String type, Member m) {
    return new JsonObject().put("type", type).put("member", member(m)).encode();
  }

  public static String typing(Member m) {
    return new JsonObject().put("type", "TYPING").put("user", m.user()).put("id", m.id()).encode();
  }

  public static String error(ErrorCode code, String message, String id) {
    return error(code.wire(), message, id);
  }

  /** An ERROR frame with a code of the room's logic (a refusal) or of the platform. */
  public static String error(String code, String message, String id) {
    JsonObject o = new JsonObject().put("type", "ERROR").put("code", code).put("message", message);
    if (id != null) {
      o.put("id", id);
    }
    return o.encode();
  }
}
