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
}
