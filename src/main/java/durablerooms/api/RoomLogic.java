package durablerooms.api;

import io.vertx.core.json.JsonObject;

/**
 * The code of one room. The platform runs one instance per active room in the whole cluster and
 * calls its handlers one at a time, on the room's event loop: a handler must return quickly and
 * must not block. Each handler is a transaction: its storage writes and its published events commit
 * together, and the frames it sends go out once that commit is durable. A handler that throws
 * leaves nothing behind (writes, events and frames are discarded) and the room goes on.
 *
 * <p>The instance is dropped when the room hibernates (after {@code ROOMS_IDLE_TIMEOUT_MS} without
 * events) and made again, with {@link #onStart}, at the next event: keep what must outlive it in
 * {@link RoomContext#storage()} or in a connection's {@link Connection#attachment()}, never in fields
 * alone.
 */
public interface RoomLogic {
  /** Each activation: the room's first event, a wake from hibernation, or a takeover after a node died. */
  default void onStart(RoomContext room) {}

  /** A connection joined; it is already in {@link RoomContext#connections()}. */
  default void onConnect(RoomContext room, Connection conn) {}

  /** A JSON frame from a connection (any frame but {@code {"type":"ping"}}, which the platform answers). */
  default void onMessage(RoomContext room, Connection from, JsonObject message) {}

  /** A connection left (closed, or its node died); it is no longer in {@link RoomContext#connections()}. */
  default void onClose(RoomContext room, Connection conn) {}

  /** An alarm the room set is due (see {@link Alarms}). */
  default void onAlarm(RoomContext room, String alarm) {}

  /**
   * A call from outside ({@code POST /api/rooms/{type}/{room}} with the API key): answers with the
   * returned object once the handler's commit is durable. Throw {@link RoomException} to refuse
   * with a status and code. By default a room takes no calls (404).
   */
  default JsonObject onRequest(RoomContext room, JsonObject body) {
    throw new RoomException(404, "no_requests", "this room type takes no requests");
  }
}
