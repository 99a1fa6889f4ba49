package durablerooms.types;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import io.vertx.core.json.JsonObject;

/**
 * A room type for tests that uses every part of the API: a frame's "op" says what to do. It keeps
 * the number of activations (onStart) and of handled frames in storage, so that a test can tell a
 * handler that ran twice or a write that was lost.
 */
public final class LedgerRoom implements RoomType {
  @Override
  public String name() {
    return "ledger";
  }

  @Override
  public RoomLogic create() {
    return new RoomLogic() {
      @Override
      public void onStart(RoomContext room) {
        Object starts = room.storage().get("starts");
        room.storage().put("starts", starts == null ? 1 : ((Number) starts).intValue() + 1);
      }

      @Override
      public void onConnect(RoomContext room, Connection conn) {
        conn.send(new JsonObject().put("type", "hello").put("you", conn.id())
            .put("query", new JsonObject(new java.util.HashMap<>(conn.query())))
            .put("attachment", conn.attachment()).put("connections", room.connections().size()));
        room.broadcast(new JsonObject().put("type", "joined").put("id", conn.id()), conn);
      }

      @Override
      public void onMessage(RoomContext room, Connection from, JsonObject message) {
        Object handled = room.storage().get("handled");
        room.storage().put("handled", handled == null ? 1 : ((Number) handled).intValue() + 1);
        switch (message.getString("op", "")) {
          case "put" -> room.storage().put(message.getString("key"), message.getValue("value"));
          case "get" -> from.send(new JsonObject().put("type", "value").put("key", message.getString("key"))
              .put("value", room.storage().get(message.getString("key")))
              .put("all", new JsonObject(new java.util.HashMap<>(room.storage().list("")))));
          case "publish" -> room.publish(new JsonObject().put("type", "entry").put("text", message.getString("text")));
          case "shout" -> room.publish(new JsonObject().put("type", "entry").put("text", message.getString("text")), from);
          case "fail" -> {
            room.storage().put("dirty", true);
            room.publish(new JsonObject().put("type", "entry").put("text", "never"));
            from.send(new JsonObject().put("type", "never"));
            throw new IllegalStateException("refused on purpose");
          }
          case "attach" -> from.setAttachment(message.getJsonObject("value"));
          case "whoami" -> from.send(new JsonObject().put("type", "whoami").put("attachment", from.attachment()));
          case "kick" -> from.close(4001, "kicked");
          case "refuse" -> throw new durablerooms.api.RoomException("not_yours", "that is not yours");
          case "alarm" -> room.alarms().set(message.getString("name"),
              java.time.Instant.now().plusMillis(message.getLong("inMs")));
          case "alarms" -> from.send(new JsonObject().put("type", "alarms")
              .put("names", new io.vertx.core.json.JsonArray(new java.util.ArrayList<>(room.alarms().list().keySet()))));
          case "cancel" -> room.alarms().cancel(message.getString("name"));
          case "emit" -> room.emit(message.getJsonObject("event"));
          case "rename" -> from.send(new JsonObject().put("type", "renamed").put("name", from.rename(message.getString("name"))));
          case "older" -> from.send(new JsonObject().put("type", "older")
              .put("events", new io.vertx.core.json.JsonArray(new java.util.ArrayList<>(room.log(message.getLong("before"),
                  message.getInteger("limit"))))));
          default -> from.send(new JsonObject().put("type", "unknown"));
        }
      }

      /** Publishes the alarm (with how late it ran); an alarm whose name starts with "bad" always throws. */
      @Override
      public void onAlarm(RoomContext room, String alarm) {
        Object fired = room.storage().get("fired:" + alarm);
        room.storage().put("fired:" + alarm, fired == null ? 1 : ((Number) fired).intValue() + 1);
        if (alarm.startsWith("bad")) {
          throw new IllegalStateException("this alarm always fails");
        }
        room.publish(new JsonObject().put("type", "alarm").put("name", alarm));
      }

      /** A call adds {@code n} to the stored total and publishes it; {@code {"op":"refuse"}} is refused with 409. */
      @Override
      public JsonObject onRequest(RoomContext room, JsonObject body) {
        if ("refuse".equals(body.getString("op"))) {
          throw new durablerooms.api.RoomException(409, "conflict", "refused on purpose");
        }
        Object total = room.storage().get("total");
        long sum = (total == null ? 0 : ((Number) total).longValue()) + body.getLong("n", 0L);
        room.storage().put("total", sum);
        long seq = room.publish(new JsonObject().put("type", "total").put("total", sum));
        return new JsonObject().put("total", sum).put("seq", seq);
      }

      @Override
      public void onClose(RoomContext room, Connection conn) {
        room.broadcast(new JsonObject().put("type", "left").put("id", conn.id()));
      }
    };
  }
}
