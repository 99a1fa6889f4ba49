package durablerooms.examples;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.api.RoomException;
import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import io.vertx.core.json.JsonObject;

/**
 * A relay at /rooms/relay/{room}: each {@code {"message":"..."}} a member sends goes to the room's
 * ordered log and out to every other connection as {@code {"type":"MESSAGE","user","message","ts","seq"}};
 * the sender has its ACK (with an {@code id}), and every member gets what it missed when it resumes
 * with {@code since}; members hear of each other's joins and leaves. Chat's message path on the room-types API and nothing else: the smallest
 * useful type, and what {@code ./run.sh bench --type relay} measures the engine with, against chat.
 */
public final class Relay implements RoomType {
  @Override
  public String name() {
    return "relay";
  }

  /** Members hear of each other's joins and leaves, as in chat. */
  @Override
  public boolean announcesPresence() {
    return true;
  }

  @Override
  public RoomLogic create() {
    return new RoomLogic() {
      @Override
      public void onMessage(RoomContext room, Connection from, JsonObject frame) {
        if (!(frame.getValue("message") instanceof String text)) {
          throw new RoomException(422, "bad_message", "a frame is {\"message\":\"...\"}, with an \"id\" to be ACKed");
        }
        room.publish(new JsonObject().put("type", "MESSAGE").put("user", from.name()).put("message", text)
            .put("ts", room.now()), from);
      }
    };
  }
}
