package durablerooms.room;

import io.vertx.core.json.JsonObject;

/**
 * The rooms' webhooks: whether they are on (ROOMS_WEBHOOK_URL), and the lifecycle events a room
 * adds to its handlers' transactions, which store them in the room store's outbox with the rest.
 */
public final class Webhooks {
  public static final String OCCUPIED = "room.occupied";
  public static final String VACATED = "room.vacated";
  public static final String HIBERNATED = "room.hibernated";
  public static final String WOKEN = "room.woken";
  public static final String EMITTED = "room.emitted";

  private final boolean on;

  public Webhooks(boolean on) {
    this.on = on;
  }

  /** Webhooks off: nothing is stored. */
  public static Webhooks off() {
    return new Webhooks(false);
  }

  public boolean on() {
    return on;
  }

  /** The data of a lifecycle event of room {@code key}. */
  static JsonObject lifecycle(String key, int members) {
    return new JsonObject().put("type", RoomTypes.typeOf(key)).put("name", RoomTypes.nameOf(key)).put("members", members);
  }
}
