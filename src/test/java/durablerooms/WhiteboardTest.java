package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.WsClient;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whiteboard example room type over WebSocket: strokes in the log and in storage, a board that
 * outlives the log's limit, cursors that are never stored, a clear, a colour per person. The node
 * keeps a log of 5 events, so that a board of more strokes than that is easy to make.
 */
class WhiteboardTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_HISTORY_LIMIT", "5"));

  private static String freshRoom() {
    return "b-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A connection past its PRESENCE and welcome (returned in {@code welcome}). */
  private static WsClient join(String room, String query, JsonObject[] welcome) {
    WsClient c = WsClient.connect(NODE.client(), NODE.port(), "/rooms/whiteboard/" + room + query);
    c.next("PRESENCE");
    JsonObject w = c.nextOfType("welcome");
    if (welcome != null) {
      welcome[0] = w;
    }
    return c;
  }

  private static JsonObject stroke(String id, int... points) {
    JsonArray p = new JsonArray();
    IntStream.of(points).forEach(p::add);
    return new JsonObject().put("type", "stroke").put("id", id).put("width", 6).put("points", p);
  }

  private static List<String> ids(JsonArray strokes) {
    return strokes.stream().map(s -> ((JsonObject) s).getString("id")).toList();
  }

  @Test
  @DisplayName("each person has a colour; a stroke reaches everyone in the sender's colour with a seq; a newcomer gets "
      + "every stroke in its board frame, more than the log keeps")
  void strokesReachEveryoneAndANewcomerGetsTheWholeBoard() {
    String room = freshRoom();
    JsonObject[] welcome = {null};
    try (WsClient ann = join(room, "?name=ann&client=a", null); WsClient bob = join(room, "?name=bob&client=b", welcome)) {
      JsonObject annJoined = ann.nextOfType("joined");
      assertEquals("bob", annJoined.getString("name"));
      JsonArray people = welcome[0].getJsonArray("people");
      assertEquals(2, people.size());
      assertNotEquals(people.getJsonObject(0).getString("color"), people.getJsonObject(1).getString("color"),
          "two people, two colours");

      for (int i = 1; i <= 8; i++) {
        ann.send(stroke("s" + i, 10 * i, 20, 10 * i + 5, 30));
      }
      for (int i = 1; i <= 8; i++) {
        JsonObject s = bob.nextOfType("stroke");
        assertEquals("s" + i, s.getString("id"));
        assertEquals(i, s.getLong("seq"));
        assertEquals(people.getJsonObject(0).getString("color"), s.getString("color"), "in ann's colour");
        assertEquals("ann", s.getString("by"));
      }
      for (int i = 1; i <= 8; i++) {
        ann.nextMatching(f -> "ACK".equals(f.getString("type")), "ACK");
      }
    }
    JsonObject[] unused = {null};
    try (WsClient cy = join(room, "?name=cy&client=c", unused)) {
      JsonObject board = cy.nextOfType("board");
      assertTrue(board.getBoolean("reset"));
      assertEquals(List.of("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"), ids(board.getJsonArray("strokes")),
          "every stroke, oldest first, though the log keeps 5 events");
      assertEquals(new JsonArray().add(10).add(20).add(15).add(30),
          board.getJsonArray("strokes").getJsonObject(0).getJsonArray("points"));
    }
    try (WsClient replay = WsClient.connect(NODE.client(), NODE.port(), "/rooms/whiteboard/" + room + "?since=0")) {
      replay.next("PRESENCE");
      JsonObject history = replay.next("HISTORY");
      assertTrue(history.getBoolean("gap"), "the log alone would have lost the first strokes: " + history);
      assertEquals(5, history.getJsonArray("messages").size());
      replay.nextOfType("welcome");
      replay.ping();
      assertTrue(replay.seen.stream().noneMatch(f -> "board".equals(f.getString("type"))),
          "a page that resumes from the log gets no board unless it asks");
      replay.send(new JsonObject().put("type", "board"));
      assertEquals(8, replay.nextOfType("board").getJsonArray("strokes").size(), "asked: the whole board");
    }
  }

  @Test
  @DisplayName("cursors reach the others only, and are never stored; clear is one event that empties the board")
  void cursorsAreEphemeralAndClearEmptiesTheBoard() {
    String room = freshRoom();
    try (WsClient ann = join(room, "?name=ann&client=a", null); WsClient bob = join(room, "?name=bob&client=b", null)) {
      ann.send(new JsonObject().put("type", "cursor").put("x", 800).put("y", 500.4));
      JsonObject cursor = bob.nextOfType("cursor");
      assertEquals(800, cursor.getInteger("x"));
      assertEquals(500, cursor.getInteger("y"));
      assertFalse(cursor.containsKey("seq"), "not in the log");
      ann.send(stroke("s1", 1, 1, 2, 2).put("type", "stroke"));
      ann.send(new JsonObject().put("type", "clear").put("id", "c1"));
      assertEquals("clear", bob.nextMatching(f -> "clear".equals(f.getString("type")), "clear").getString("type"));
      ann.nextMatching(f -> "ACK".equals(f.getString("type")) && "c1".equals(f.getString("id")), "the clear's ACK");
      ann.ping();
      assertTrue(ann.seen.stream().noneMatch(f -> "cursor".equals(f.getString("type"))), "no echo of one's own cursor");
    }
    try (WsClient cy = join(room, "?name=cy", null)) {
      assertEquals(0, cy.nextOfType("board").getJsonArray("strokes").size(), "the board is empty after a clear");
    }
    try (WsClient replay = WsClient.connect(NODE.client(), NODE.port(), "/rooms/whiteboard/" + room + "?since=0")) {
      replay.next("PRESENCE");
      List<String> logged = replay.next("HISTORY").getJsonArray("messages").stream()
          .map(m -> ((JsonObject) m).getString("type")).toList();
      assertEquals(List.of("stroke", "clear"), logged, "the log holds the stroke and the clear, no cursor");
    }
  }

  @Test
  @DisplayName("a stroke with no points, an odd count or a point off the board is refused with its code")
  void badStrokesAreRefused() {
    try (WsClient ann = join(freshRoom(), "?name=ann&client=a", null)) {
      ann.send(stroke("empty").put("id", "e1"));
      assertEquals("bad_stroke", ann.nextOfType("ERROR").getString("code"));
      ann.send(stroke("odd", 1, 2, 3).put("id", "e2"));
      assertEquals("bad_stroke", ann.nextOfType("ERROR").getString("code"));
      ann.send(stroke("off", 1, 2, 1601, 3).put("id", "e3"));
      assertEquals("bad_point", ann.nextOfType("ERROR").getString("code"));
      ann.send(new JsonObject().put("type", "cursor").put("x", -1).put("y", 3).put("id", "e4"));
      assertEquals("bad_point", ann.nextOfType("ERROR").getString("code"));
    }
  }
}
