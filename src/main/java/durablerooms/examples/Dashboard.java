package durablerooms.examples;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.api.RoomException;
import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * A live dashboard at /rooms/dashboard/{room}. A server of yours pushes figures with
 * {@code POST /api/rooms/dashboard/{room}} and the API key, as {@code {"figure":"orders","value":42}};
 * each figure's latest value is kept in storage and every change is published to the room's log.
 * Viewers only watch: a newcomer gets every current figure, then each change as it comes.
 * docs/dashboard.md walks through it.
 */
public final class Dashboard implements RoomType {
  static final Pattern FIGURE = Pattern.compile("[a-z0-9_-]{1,64}");
  /** The most figures a dashboard holds, so that the frame a newcomer gets stays small. */
  static final int MAX_FIGURES = 200;
  private static final String PREFIX = "figure:";

  @Override
  public String name() {
    return "dashboard";
  }

  @Override
  public RoomLogic create() {
    return new Board();
  }

  /** One dashboard's logic; its state is the figures in storage, one key each. */
  static final class Board implements RoomLogic {
    /** A newcomer gets every figure's current value at once, then the changes as events. */
    @Override
    public void onConnect(RoomContext room, Connection conn) {
      JsonObject figures = new JsonObject();
      room.storage().list(PREFIX).forEach((key, value) -> figures.put(key.substring(PREFIX.length()), value));
      conn.send(new JsonObject().put("type", "figures").put("figures", figures));
    }

    /** Viewers cannot change figures: only a call with the API key can. */
    @Override
    public void onMessage(RoomContext room, Connection from, JsonObject message) {
      throw new RoomException(403, "read_only", "figures are pushed with POST /api/rooms/dashboard/" + room.name());
    }

    /** A figure pushed from outside: kept as the latest value, published to everyone, answered with its seq. */
    @Override
    public JsonObject onRequest(RoomContext room, JsonObject body) {
      Object figure = body.getValue("figure");
      Object value = body.getValue("value");
      if (!(figure instanceof String name) || !FIGURE.matcher(name).matches()) {
        throw new RoomException(422, "bad_figure", "a figure's name is 1 to 64 of a-z 0-9 _ -");
      }
      if (!(value instanceof Number number)) {
        throw new RoomException(422, "bad_figure", "a figure's value is a number");
      }
      Map<String, Object> known = room.storage().list(PREFIX);
      if (!known.containsKey(PREFIX + name) && known.size() >= MAX_FIGURES) {
        throw new RoomException(422, "too_many_figures", "a dashboard holds at most " + MAX_FIGURES + " figures");
      }
      room.storage().put(PREFIX + name, number);
      long seq = room.publish(new JsonObject().put("type", "figure").put("figure", name).put("value", number));
      return new JsonObject().put("seq", seq);
    }
  }
}
