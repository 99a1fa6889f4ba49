package durablerooms;

import durablerooms.support.TestNodes;

import durablerooms.support.NodeExtension;
import durablerooms.support.WsClient;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tic-tac-toe example room type over WebSocket: seats, the referee's refusals, a game to its end, a seat regained, hibernation. */
class TicTacToeTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_IDLE_TIMEOUT_MS", "400"));

  private static String freshRoom() {
    return "g-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A connection to the game, past its PRESENCE and its state frame (returned in {@code state}). */
  private static WsClient join(String room, String query, JsonObject[] state) {
    WsClient c = WsClient.connect(NODE.client(), NODE.port(), "/rooms/tictactoe/" + room + query);
    c.next("PRESENCE");
    JsonObject s = c.nextOfType("state");
    if (state != null) {
      state[0] = s;
    }
    return c;
  }

  private static JsonObject frame(String type, String id) {
    return new JsonObject().put("type", type).put("id", id);
  }

  private static String refusal(WsClient c, JsonObject frame) {
    c.send(frame);
    JsonObject error = c.nextOfType("ERROR");
    assertEquals(frame.getString("id"), error.getString("id"));
    return error.getString("code");
  }

  /** Plays a cell; the game as the move's event shows it, once the move is ACKed. */
  private static JsonObject move(WsClient c, int cell, String id) {
    c.send(frame("move", id).put("cell", cell));
    JsonObject event = c.nextMatching(f -> "move".equals(f.getString("type")) && f.getInteger("cell") == cell, "move " + cell);
    c.nextMatching(f -> "ACK".equals(f.getString("type")) && id.equals(f.getString("id")), "ACK " + id);
    return event.getJsonObject("game");
  }

  @Test
  @DisplayName("the first two to sit are X and O; the referee refuses spectators, turns out of order, bad and taken cells "
      + "and moves after the end, each with its code; X wins on a line and a rematch starts with O")
  void aGameToAWinWithEveryRefusal() {
    String room = freshRoom();
    try (WsClient x = join(room, "?name=ann&client=ann-1", null); WsClient o = join(room, "?name=bob&client=bob-1", null);
         WsClient watcher = join(room, "?name=cy&client=cy-1", null); WsClient noClient = join(room, "?name=dee", null)) {
      assertEquals("no_client", refusal(noClient, frame("sit", "n1")));
      x.send(frame("sit", "s1"));
      assertEquals("X", x.nextOfType("sat").getString("seat"));
      assertEquals("no_opponent", refusal(x, frame("move", "m0").put("cell", 0)));
      o.send(frame("sit", "s2"));
      JsonObject sat = watcher.nextMatching(f -> "sat".equals(f.getString("type")) && "O".equals(f.getString("seat")), "O sat");
      assertEquals(new JsonObject().put("X", "ann").put("O", "bob"), sat.getJsonObject("game").getJsonObject("players"));
      assertFalse(sat.getJsonObject("game").encode().contains("ann-1"), "client ids are never shown: they hold the seats");
      assertEquals("seats_taken", refusal(watcher, frame("sit", "s3")));
      assertEquals("not_a_player", refusal(watcher, frame("move", "w1").put("cell", 4)));
      assertEquals("not_your_turn", refusal(o, frame("move", "o0").put("cell", 4)));
      assertEquals("bad_cell", refusal(x, frame("move", "x0").put("cell", 9)));
      assertEquals("bad_cell", refusal(x, frame("move", "x00").put("cell", "4")));

      move(x, 0, "x1");
      assertEquals("cell_taken", refusal(o, frame("move", "o1-taken").put("cell", 0)));
      move(o, 3, "o1");
      move(x, 1, "x2");
      move(o, 4, "o2");
      JsonObject end = move(x, 2, "x3");
      assertEquals("X", end.getString("winner"));
      assertEquals(new JsonArray().add(0).add(1).add(2), end.getJsonArray("line"));
      assertEquals("game_over", refusal(o, frame("move", "o3").put("cell", 8)));
      assertEquals("not_a_player", refusal(watcher, frame("rematch", "w2")));

      o.send(frame("rematch", "r1"));
      JsonObject again = watcher.nextOfType("rematch").getJsonObject("game");
      assertEquals(2, again.getInteger("round"));
      assertEquals("O", again.getString("turn"), "the players take turns to start");
      assertEquals("not_over", refusal(x, frame("rematch", "r2")));
      assertEquals(9, again.getJsonArray("board").stream().filter(""::equals).count());
    }
  }

  @Test
  @DisplayName("a player who reconnects with the same client id gets the seat and the board back; "
      + "a frame resent with its id is played once")
  void aPlayerWhoComesBackHasTheSeatAndTheBoard() {
    String room = freshRoom();
    JsonObject[] state = {null};
    try (WsClient o = join(room, "?name=bob&client=bob-2", null)) {
      try (WsClient x = join(room, "?name=ann&client=ann-2", null)) {
        x.send(frame("sit", "s1"));
        x.nextOfType("ACK");
        o.send(frame("sit", "s2"));
        o.nextOfType("ACK");
        move(x, 4, "x1");
      }
      try (WsClient x = join(room, "?name=ann&client=ann-2", state)) {
        assertEquals("X", state[0].getString("you"), "the seat came back with the client id");
        assertEquals("X", state[0].getJsonObject("game").getJsonArray("board").getString(4));
        assertEquals("O", state[0].getJsonObject("game").getString("turn"));
        x.send(frame("move", "x1").put("cell", 4)); // the same frame again, as after a lost ACK
        x.nextOfType("ACK");
        move(o, 0, "o1");
        JsonObject game = move(x, 8, "x2");
        assertEquals(3, game.getJsonArray("board").stream().filter(c -> !"".equals(c)).count(), "x1 was played once");
      }
      try (WsClient stranger = join(room, "?name=eve&client=eve-1", state)) {
        assertNull(state[0].getString("you"), "another client id gets no seat");
      }
    }
  }

  @Test
  @DisplayName("the game outlives the room's hibernation: after a sleep the board and the turn are as they were")
  void theGameOutlivesHibernation() throws Exception {
    String room = freshRoom();
    try (WsClient x = join(room, "?name=ann&client=ann-3", null); WsClient o = join(room, "?name=bob&client=bob-3", null)) {
      x.send(frame("sit", "s1"));
      x.nextOfType("ACK");
      o.send(frame("sit", "s2"));
      o.nextOfType("ACK");
      move(x, 0, "x1");
      TestNodes.eventually(10_000, "the room hibernates", () -> !NODE.node().host().isActive("tictactoe/" + room));
      JsonObject game = move(o, 8, "o1"); // the seat is still in o's attachment
      assertEquals("X", game.getJsonArray("board").getString(0));
      assertEquals("O", game.getJsonArray("board").getString(8));
      assertEquals("X", game.getString("turn"));
    }
  }

  @Test
  @DisplayName("the turn clock: the first to sit chooses the turn time, each move restarts it, and a player who lets it run "
      + "out loses, by an alarm that fires while the room sleeps; a bad or late choice is refused")
  void aPlayerWhoRunsOutOfTimeLoses() throws Exception {
    String room = freshRoom();
    try (WsClient x = join(room, "?name=ann&client=ann-4", null); WsClient o = join(room, "?name=bob&client=bob-4", null)) {
      assertEquals("bad_turn_seconds", refusal(x, frame("sit", "s0").put("turnSeconds", 0)));
      assertEquals("bad_turn_seconds", refusal(x, frame("sit", "s00").put("turnSeconds", "2")));
      x.send(frame("sit", "s1").put("turnSeconds", 2));
      JsonObject sat = x.nextOfType("sat").getJsonObject("game");
      assertEquals(2, sat.getInteger("turnSeconds"));
      assertNull(sat.getValue("deadline"), "the clock waits for an opponent");
      assertEquals("turn_time_set", refusal(o, frame("sit", "s2").put("turnSeconds", 600)));
      o.send(frame("sit", "s2"));
      long started = System.currentTimeMillis();
      JsonObject both = o.nextMatching(f -> "sat".equals(f.getString("type")) && "O".equals(f.getString("seat")), "O sat")
          .getJsonObject("game");
      long firstDeadline = both.getLong("deadline");
      assertTrue(firstDeadline >= started + 1000 && firstDeadline <= started + 2500, "X has two seconds: " + both);
      JsonObject afterMove = move(x, 4, "x1");
      assertTrue(afterMove.getLong("deadline") >= firstDeadline, "the move gave O a fresh two seconds");

      // O does not move: the room sleeps (idle timeout 400 ms) and its alarm wakes it to end the game
      TestNodes.eventually(10_000, "the room hibernates", () -> !NODE.node().host().isActive("tictactoe/" + room));
      JsonObject timeout = x.nextMatching(f -> "timeout".equals(f.getString("type")), "O's time runs out");
      long late = System.currentTimeMillis() - afterMove.getLong("deadline");
      assertEquals("O", timeout.getString("seat"));
      assertEquals("X", timeout.getJsonObject("game").getString("winner"));
      assertEquals("O", timeout.getJsonObject("game").getString("timeout"));
      assertNull(timeout.getJsonObject("game").getValue("deadline"));
      assertTrue(late >= 0 && late < 5_000, "the alarm ran " + late + " ms after the deadline");
      assertEquals("game_over", refusal(o, frame("move", "o1").put("cell", 0)));

      o.send(frame("rematch", "r1"));
      JsonObject again = x.nextOfType("rematch").getJsonObject("game");
      assertEquals(2, again.getInteger("turnSeconds"), "a rematch keeps the turn time");
      assertNull(again.getValue("timeout"));
      assertTrue(again.getLong("deadline") > afterMove.getLong("deadline"), "and starts the clock for O");
    }
  }
}
