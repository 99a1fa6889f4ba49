package durablerooms.examples;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.api.RoomException;
import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A shared whiteboard at /rooms/whiteboard/{room}. A stroke is published to the room's log (live
 * and in one order for everyone, resumed with {@code since}) and kept in storage until the board is
 * cleared, so that a newcomer gets the whole board however long the log has grown; cursors are
 * broadcast and never stored; each person has a colour for as long as they are connected.
 * docs/whiteboard.md walks through it.
 */
public final class Whiteboard implements RoomType {
  /** The board's size in its own units; pages scale it to their canvas. */
  static final int WIDTH = 1600;
  static final int HEIGHT = 1000;
  static final int MAX_POINTS = 1000;
  /** The most strokes one board frame holds, as JSON characters: a big board goes in several frames. */
  static final int BOARD_FRAME_CHARS = 256 * 1024;
  static final List<String> COLORS =
      List.of("#1f5fbf", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0b7285", "#bf3989", "#7d5a00");

  @Override
  public String name() {
    return "whiteboard";
  }

  @Override
  public RoomLogic create() {
    return new Board();
  }

  /** One board's logic; its state is the strokes in storage and each connection's attachment. */
  static final class Board implements RoomLogic {
    /** A newcomer gets a colour, the people here and (unless it resumes from the log) the board. */
    @Override
    public void onConnect(RoomContext room, Connection conn) {
      List<String> taken = room.connections().stream().map(c -> c.attachment().getString("color")).toList();
      String color = COLORS.stream().filter(c -> !taken.contains(c)).findFirst()
          .orElse(COLORS.get(room.connections().size() % COLORS.size()));
      conn.setAttachment(new JsonObject().put("color", color).put("name", name(conn)));
      JsonArray people = new JsonArray();
      room.connections().forEach(c -> people.add(person(c)));
      conn.send(new JsonObject().put("type", "welcome").put("you", conn.id()).put("people", people));
      if (!conn.query().containsKey("since")) {
        sendBoard(room, conn);
      }
      room.broadcast(person(conn).put("type", "joined"), conn);
    }

    @Override
    public void onMessage(RoomContext room, Connection from, JsonObject message) {
      switch (message.getString("type", "")) {
        case "stroke" -> stroke(room, from, message);
        case "cursor" -> room.broadcast(new JsonObject().put("type", "cursor").put("id", from.id())
            .put("x", coordinate(message.getValue("x"), WIDTH)).put("y", coordinate(message.getValue("y"), HEIGHT)), from);
        case "clear" -> {
          room.storage().list("stroke:").keySet().forEach(room.storage()::delete);
          room.publish(new JsonObject().put("type", "clear").put("by", name(from)));
        }
        case "board" -> sendBoard(room, from);
        default -> throw new RoomException("unknown_type", "frames here are stroke, cursor, clear and board");
      }
    }

    /** A stroke in the sender's colour: into the log for everyone now, into storage for whoever comes later. */
    private void stroke(RoomContext room, Connection from, JsonObject message) {
      JsonArray points = message.getJsonArray("points", new JsonArray());
      if (points.isEmpty() || points.size() % 2 != 0 || points.size() > 2 * MAX_POINTS) {
        throw new RoomException("bad_stroke", "points are x1, y1, x2, y2, ...: 1 to " + MAX_POINTS + " points");
      }
      JsonArray checked = new JsonArray();
      for (int i = 0; i < points.size(); i++) {
        checked.add(coordinate(points.getValue(i), i % 2 == 0 ? WIDTH : HEIGHT));
      }
      Object width = message.getValue("width");
      JsonObject stroke = new JsonObject().put("type", "stroke").put("id", message.getString("id"))
          .put("by", name(from)).put("color", from.attachment().getString("color"))
          .put("width", width instanceof Integer w && w >= 1 && w <= 40 ? w : 4).put("points", checked);
      long seq = room.publish(stroke);
      room.storage().put(String.format("stroke:%012d", seq), stroke.put("seq", seq)); // publish took a copy
    }

    /** The stored strokes, oldest first, in frames of at most BOARD_FRAME_CHARS; the first says to start afresh. */
    private static void sendBoard(RoomContext room, Connection to) {
      JsonArray strokes = new JsonArray();
      int chars = 0;
      boolean first = true;
      for (Object s : room.storage().list("stroke:").values()) {
        chars += ((JsonObject) s).encode().length();
        if (chars > BOARD_FRAME_CHARS && !strokes.isEmpty()) {
          to.send(new JsonObject().put("type", "board").put("reset", first).put("strokes", strokes));
          strokes = new JsonArray();
          chars = ((JsonObject) s).encode().length();
          first = false;
        }
        strokes.add(s);
      }
      to.send(new JsonObject().put("type", "board").put("reset", first).put("strokes", strokes));
    }

    @Override
    public void onClose(RoomContext room, Connection conn) {
      room.broadcast(new JsonObject().put("type", "left").put("id", conn.id()));
    }
  }

  static JsonObject person(Connection c) {
    return new JsonObject().put("id", c.id()).put("name", c.attachment().getString("name"))
        .put("color", c.attachment().getString("color"));
  }

  static String name(Connection c) {
    String name = c.query().getOrDefault("name", "someone");
    return name.substring(0, Math.min(64, name.length()));
  }

  /** A whole number within the board, or a refusal. */
  static int coordinate(Object value, int max) {
    if (value instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= max) {
      return (int) Math.round(n.doubleValue());
    }
    throw new RoomException("bad_point", "a point is within 0-" + WIDTH + " x 0-" + HEIGHT);
  }
}
