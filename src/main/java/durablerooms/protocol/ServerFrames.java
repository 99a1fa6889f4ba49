package durablerooms.protocol;

import durablerooms.state.Member;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;

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

  public static String presence(Collection<Member> members, Member you, long seq) {
    JsonArray list = new JsonArray();
    members.forEach(m -> list.add(member(m)));
    return new JsonObject().put("type", "PRESENCE").put("members", list).put("you", member(you))
        .put("seq", seq).encode();
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
