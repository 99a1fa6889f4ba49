package durablerooms.api;

import io.vertx.core.json.JsonObject;

import java.util.List;

/** What a handler can see and do in its room; valid only during the handler's call. */
public interface RoomContext {
  /** The room's type name. */
  String type();

  /** The room's name (the last part of its address). */
  String name();

  /**
   * The time of this handler (ms since the epoch), the same for every call in it: the events it
   * publishes are stored with it, and the ACK of the frame it handles carries it as {@code ts} (a
   * retry's ACK carries the first one's). Stamp what the room sends with it, not with the clock.
   */
  long now();

  /** The room's durable key/value storage, read from memory, written with the handler's commit. */
  Storage storage();

  /** The room's durable alarms, set and cancelled with the handler's commit. */
  Alarms alarms();

  /** Every connection of the room, on every node, in join order; also after hibernation. */
  List<Connection> connections();

  /** Sends a frame to every connection, once the handler's commit is durable. */
  void broadcast(JsonObject frame);

  /** Sends a frame to every connection but {@code except}, once the handler's commit is durable. */
  void broadcast(JsonObject frame, Connection except);

  /**
   * Sends an event to the server's webhook ({@code ROOMS_WEBHOOK_URL}) as {@code room.emitted},
   * once the handler's commit is durable: at least once, in order per room, also across the loss
   * of a node. Without a webhook URL it goes nowhere. At most 128 KiB as JSON.
   */
  void emit(JsonObject event);

  /**
   * Appends an event to the room's ordered log and delivers it to every connection (as the event's
   * fields plus {@code "seq"}) once the handler's commit is durable. The log is gap-free and in one
   * order across hibernation, restarts and failover; the last {@code ROOMS_HISTORY_LIMIT} events are
   * kept, and a client that connects with {@code since=S} gets those after S in a HISTORY frame.
   *
   * @return the event's seq
   */
  long publish(JsonObject event);

  /**
   * As {@link #publish(JsonObject)}, delivered to every connection but {@code except} (null: to
   * all), which typically has its own answer: the ACK of its frame, or a frame the handler sends it.
   * The event is in the log all the same, and {@code except} gets it in a HISTORY when it resumes
   * from before it.
   *
   * @return the event's seq
   */
  long publish(JsonObject event, Connection except);

  /**
   * Reads back the room's log: the retained events with a seq below {@code before} (0 or less: up to
   * the newest), the newest {@code limit} of them, oldest first, each as it was delivered (its fields
   * plus {@code "seq"}) and as a copy; this handler's own events are included. Events older than the
   * last {@code ROOMS_HISTORY_LIMIT} are gone: fewer come back than asked for, or none. For a client
   * that scrolls back past the HISTORY it got on connecting.
   *
   * @throws IllegalArgumentException when {@code limit} is below 1
   */
  List<JsonObject> log(long before, int limit);
}
