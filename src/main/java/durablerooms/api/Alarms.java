package durablerooms.api;

import java.time.Instant;
import java.util.Map;

/**
 * A room's named alarms. Setting or cancelling one commits with the running handler. At its time
 * the room's {@link RoomLogic#onAlarm} runs with its name, on one node, once: a room asleep is woken
 * for it, a room whose node died is taken over for it. An alarm is removed when its handler
 * returns (unless the handler set it again); a handler that throws is run again after 1, 2 and 4
 * seconds, then the alarm is dropped. At most {@value #MAX_PER_ROOM} alarms per room.
 */
public interface Alarms {
  int MAX_PER_ROOM = 1000;

  /** Sets alarm {@code name} (1 to 128 characters) to {@code at}, replacing its previous time; a time past is due at once. */
  void set(String name, Instant at);

  /** Cancels alarm {@code name} (nothing if there is none). */
  void cancel(String name);

  /** The room's alarms and their times, by name. */
  Map<String, Instant> list();
}
