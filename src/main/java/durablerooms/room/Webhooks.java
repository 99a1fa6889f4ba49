package durablerooms.room;

import durablerooms.storage.LogicArchive;
import durablerooms.storage.WebhookOutbox;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Where the rooms' webhooks go before they are delivered: the outbox of the room store. Rooms of
 * users' types add theirs to their handlers' transactions; chat rooms, whose writes are not in that
 * store, add their lifecycle events on their own once the change that caused them is done.
 */
public final class Webhooks {
  private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);
  public static final String OCCUPIED = "room.occupied";
  public static final String VACATED = "room.vacated";
  public static final String HIBERNATED = "room.hibernated";
  public static final String WOKEN = "room.woken";
  public static final String EMITTED = "room.emitted";

  private final LogicArchive archive;
  private final boolean on;

  public Webhooks(LogicArchive archive, boolean on) {
    this.archive = archive;
    this.on = on;
  }

  /** Webhooks off: nothing is stored. */
  public static Webhooks off() {
    return new Webhooks(null, false);
  }

  public boolean on() {
    return on;
  }

  /** The data of a lifecycle event of room {@code key}. */
  static JsonObject lifecycle(String key, int members) {
    return new JsonObject().put("type", RoomTypes.typeOf(key)).put("name", RoomTypes.nameOf(key)).put("members", members);
  }

  /** Stores a lifecycle event of a chat room (outside any transaction of the room's own). */
  public void record(String key, String type, int members) {
    if (!on) {
      return;
    }
    WebhookOutbox.Hook hook = new WebhookOutbox.Hook(key, type, lifecycle(key, members).encode(), System.currentTimeMillis());
    archive.commit(LogicArchive.Change.hooksOnly(List.of(hook))).whenComplete((v, err) -> {
      if (err != null) {
        LOG.warn("room {}: webhook {} not stored: {}", key, type, err.toString());
      }
    });
  }
}
