package durablerooms.examples.hello;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import io.vertx.core.json.JsonObject;

/**
 * A counter that everyone in a room shares, at ws://host:port/rooms/hello/{room}. The node finds
 * this class through META-INF/services/durablerooms.api.RoomType, in a jar of its plugins folder.
 */
public final class HelloRoom implements RoomType {
  @Override
  public String name() {
    return "hello"; // the {type} of the rooms' address
  }

  @Override
  public RoomLogic create() {
    return new Counter();
  }

  /**
   * The code of one room. The platform calls its handlers one at a time, and makes a new one when
   * the room wakes from hibernation: the count lives in the room's storage, not in a field.
   */
  static final class Counter implements RoomLogic {
    @Override
    public void onConnect(RoomContext room, Connection conn) {
      // to this connection only
      conn.send(new JsonObject().put("type", "hello").put("count", count(room)).put("you", conn.id()));
    }

    @Override
    public void onMessage(RoomContext room, Connection from, JsonObject message) {
      String type = message.getString("type", "");
      if (type.equals("increment")) {
        long count = count(room) + 1;
        room.storage().put("count", count);
        // into the room's ordered log: every connection gets it, with its "seq"
        room.publish(new JsonObject().put("type", "count").put("count", count)
            .put("by", from.query().getOrDefault("name", "someone")));
      } else if (type.equals("fail")) {
        // a handler is a transaction: throwing discards this write, and the sender gets an
        // ERROR with code room_error (the count stays as it was)
        room.storage().put("count", -1);
        throw new IllegalStateException("failed on purpose, after a write");
      }
      // any other frame is ignored
    }

    private static long count(RoomContext room) {
      // null until the first increment
      return room.storage().get("count") instanceof Number n ? n.longValue() : 0;
    }
  }
}
