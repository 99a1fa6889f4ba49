package durablerooms.api;

/**
 * A kind of room: its name is the first part of the rooms' address ({@code /rooms/{name}/{room}}),
 * and {@link #create()} makes the logic of one room. Found with {@link java.util.ServiceLoader}: a
 * type is a class named in {@code META-INF/services/durablerooms.api.RoomType}, on the node's class
 * path or in a jar of its plugins folder ({@code ROOMS_PLUGINS_DIR}).
 */
public interface RoomType {
  /** The type's name: {@code [a-z][a-z0-9-]{0,31}}, unique among a node's types. */
  String name();

  /** A fresh instance of the room's logic, made at every activation of a room of this type. */
  RoomLogic create();

  /**
   * Whether the platform tells a room's connections of each other's arrivals, departures and
   * renames, as chat does: {@code {"type":"JOIN"|"LEAVE"|"RENAME","member":{"id","user","node"}}},
   * a JOIN to every connection but the one that joined (before its {@code onConnect}), a LEAVE to
   * those left, a RENAME to all once the handler that renamed commits. Off by default: the logic
   * then says what it likes in its handlers.
   */
  default boolean announcesPresence() {
    return false;
  }
}
