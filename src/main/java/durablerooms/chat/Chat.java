package durablerooms.chat;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.api.RoomException;
import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import durablerooms.protocol.Protocol;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.List;

/**
 * Chat, the built-in room type, at {@code /chat/{room}} and {@code /rooms/chat/{room}}: a room type
 * like any other, on the same API. A message goes to the room's ordered log and to every other
 * member as a MESSAGE (its sender has the platform's ACK); a rename, typing and a page of history
 * are answered here; joins, leaves and renames are announced by the platform
 * ({@link #announcesPresence}). The gateway checks the chat protocol's frames (see
 * {@link Protocol#decode}) and hands them over as their canonical JSON, so this logic sees only
 * valid ones.
 */
public final class Chat implements RoomType {
  @Override
  public String name() {
    return "chat";
  }

  @Override
  public boolean announcesPresence() {
    return true;
  }

  @Override
  public RoomLogic create() {
    return LOGIC; // it keeps nothing of its own: one instance serves every room
  }

  private static final RoomLogic LOGIC = new RoomLogic() {
    @Override
    public void onMessage(RoomContext room, Connection from, JsonObject frame) {
      switch (frame.getString("type", "")) {
        case "message" -> room.publish(message(from.name(), frame.getString("message"), frame.getString("id"), room.now()),
            from);
        case "name" -> from.rename(frame.getString("name"));
        case "typing" -> room.broadcast(new JsonObject().put("type", "TYPING").put("user", from.name()).put("id", from.id()),
            from);
        case "history" -> from.send(page(room, frame.getLong("before", 0L), frame.getInteger("limit",
            Protocol.DEFAULT_HISTORY_PAGE)));
        default -> throw new RoomException("bad_request", "unknown type");
      }
    }

    /**
     * A message from a server (the HTTP API's publish, its body checked there): to every member,
     * answered with its seq and time. A retry with the same id is answered by the platform.
     */
    @Override
    public JsonObject onRequest(RoomContext room, JsonObject body) {
      long seq = room.publish(message(body.getString("user"), body.getString("message"), body.getString("id"), room.now()));
      return new JsonObject().put("seq", seq).put("ts", room.now());
    }
  };

  /** A MESSAGE event (the platform adds its seq). */
  static JsonObject message(String user, String text, String id, long ts) {
    JsonObject m = new JsonObject().put("type", "MESSAGE").put("user", user).put("message", text).put("ts", ts);
    if (id != null) {
      m.put("id", id);
    }
    return m;
  }

  /**
   * A page of history: up to {@code limit} messages before seq {@code before} (0: up to the newest),
   * as a HISTORY frame that holds the newest of them that fit in
   * {@link Protocol#MAX_HISTORY_FRAME_BYTES} ({@code more} when older ones were left out, to be
   * paged from {@code from}); {@code gap} when some asked for are no longer retained.
   */
  static JsonObject page(RoomContext room, long before, int limit) {
    List<JsonObject> newest = room.log(0, 1);
    long seq = newest.isEmpty() ? 0 : newest.get(0).getLong("seq");
    long end = before <= 0 ? seq + 1 : before;
    List<JsonObject> found = room.log(end, limit);
    long firstWanted = Math.max(1, end - limit);
    long lastWanted = Math.min(end - 1, seq);
    // the retained log is gap-free and ends at the newest message: only its start can be missing
    boolean gap = firstWanted < end && (found.isEmpty() ? firstWanted <= lastWanted
        : found.get(0).getLong("seq") > firstWanted);
    ArrayDeque<JsonObject> kept = new ArrayDeque<>();
    long bytes = 0;
    for (int i = found.size() - 1; i >= 0; i--) {
      bytes += found.get(i).encode().length() + 1;
      if (!kept.isEmpty() && bytes > Protocol.MAX_HISTORY_FRAME_BYTES) {
        break;
      }
      kept.addFirst(found.get(i));
    }
    long empty = Math.max(0, before);
    return new JsonObject().put("type", "HISTORY").put("messages", new JsonArray(List.copyOf(kept)))
        .put("from", kept.isEmpty() ? empty : kept.getFirst().getLong("seq"))
        .put("to", kept.isEmpty() ? empty : kept.getLast().getLong("seq"))
        .put("gap", gap).put("more", kept.size() < found.size());
  }
}
