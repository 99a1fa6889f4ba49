package durablerooms.examples;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.api.RoomException;
import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;

/**
 * Tic-tac-toe at /rooms/tictactoe/{room}: two players (X and O) and any number of spectators, with
 * the server as referee. The board and who holds each seat are in the room's storage, so a game
 * outlives hibernation and the loss of its node; a player who comes back with the same client id
 * gets the seat back. docs/tic-tac-toe.md walks through it.
 */
public final class TicTacToe implements RoomType {
  /** How long a seat stays a player's once none of their connections is left; then anyone may take it. */
  static final long AWAY_SECONDS = 60;
  /** A turn's time unless the first player chose another when sitting down; running out of it loses the game. */
  static final int TURN_SECONDS = 60;
  static final int MAX_TURN_SECONDS = 3600;
  private static final String TURN = "turn";
  private static final int[][] LINES = {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 3, 6}, {1, 4, 7}, {2, 5, 8}, {0, 4, 8}, {2, 4, 6}};

  @Override
  public String name() {
    return "tictactoe"; // the rooms' address: /rooms/tictactoe/{room}
  }

  @Override
  public RoomLogic create() {
    return new Game(); // at each activation: a wake from hibernation, a takeover after a node died
  }

  /** One room's referee. It keeps nothing in fields: each handler reads the game from storage. */
  static final class Game implements RoomLogic {
    /** A newcomer learns the game and its seat: its client's, kept in storage, comes back to it. */
    @Override
    public void onConnect(RoomContext room, Connection conn) {
      String client = conn.query().get("client");
      seats(room).forEach(seat -> {
        if (client != null && client.equals(((JsonObject) seat.getValue()).getString("client"))) {
          conn.setAttachment(new JsonObject().put("seat", seat.getKey()));
          room.alarms().cancel("away-" + seat.getKey());
        }
      });
      conn.send(new JsonObject().put("type", "state").put("you", conn.attachment().getString("seat"))
          .put("game", view(room)));
    }

    @Override
    public void onMessage(RoomContext room, Connection from, JsonObject message) {
      switch (message.getString("type", "")) {
        case "sit" -> sit(room, from, message.getValue("turnSeconds"));
        case "move" -> move(room, from, message.getValue("cell"));
        case "rematch" -> rematch(room, from);
        default -> throw new RoomException("unknown_type", "frames here are sit, move and rematch");
      }
    }

    /**
     * The first two connections to ask are X, then O; storage keeps their client id, the attachment
     * the seat. The first to sit in a new game may choose the turn time ({@code turnSeconds}); the
     * clock starts when the second sits.
     */
    private void sit(RoomContext room, Connection conn, Object turnSeconds) {
      String client = conn.query().get("client");
      if (client == null) {
        throw new RoomException("no_client", "connect with client=ID to take a seat: it is how the seat comes back");
      }
      JsonObject seats = seats(room);
      if (seats.stream().anyMatch(s -> client.equals(((JsonObject) s.getValue()).getString("client")))) {
        return; // this client has a seat already (here, or in another tab): a second ask changes nothing
      }
      String seat = !seats.containsKey("X") ? "X" : !seats.containsKey("O") ? "O" : null;
      if (seat == null) {
        throw new RoomException(409, "seats_taken", "both seats are taken: you are watching");
      }
      if (turnSeconds != null) {
        chooseTurnTime(room, seats, turnSeconds);
      }
      String name = conn.query().getOrDefault("name", "someone");
      room.storage().put("seats", seats.put(seat, new JsonObject().put("client", client)
          .put("name", name.substring(0, Math.min(64, name.length())))));
      conn.setAttachment(new JsonObject().put("seat", seat));
      if (seats.size() == 2) {
        startClock(room, game(room));
      }
      room.publish(new JsonObject().put("type", "sat").put("seat", seat).put("game", view(room)));
      conn.send(new JsonObject().put("type", "state").put("you", seat).put("game", view(room))); // the event does not say who
    }

    /** A move is refused, with a code the page can show, unless it is legal. */
    private void move(RoomContext room, Connection conn, Object cellValue) {
      String seat = conn.attachment().getString("seat");
      JsonObject game = game(room);
      JsonArray board = game.getJsonArray("board");
      if (seat == null) {
        throw new RoomException(403, "not_a_player", "take a seat to play");
      } else if (seats(room).size() < 2) {
        throw new RoomException(409, "no_opponent", "wait for an opponent");
      } else if (game.getString("winner") != null) {
        throw new RoomException(409, "game_over", "the game is over: ask for a rematch");
      } else if (!seat.equals(game.getString("turn"))) {
        throw new RoomException(409, "not_your_turn", "it is " + game.getString("turn") + "'s turn");
      } else if (!(cellValue instanceof Integer cell) || cell < 0 || cell > 8) {
        throw new RoomException("bad_cell", "a cell is 0 to 8, row by row");
      } else if (!board.getString(cell).isEmpty()) {
        throw new RoomException(409, "cell_taken", "that cell is taken");
      }
      int cell = (Integer) cellValue;
      board.set(cell, seat);
      game.put("turn", seat.equals("X") ? "O" : "X").put("winner", board.contains("") ? null : "draw");
      for (int[] line : LINES) {
        if (seat.equals(board.getString(line[0])) && seat.equals(board.getString(line[1]))
            && seat.equals(board.getString(line[2]))) {
          game.put("winner", seat).put("line", new JsonArray().add(line[0]).add(line[1]).add(line[2]));
        }
      }
      if (game.getString("winner") == null) {
        startClock(room, game);
      } else {
        stopClock(room, game);
      }
      room.publish(new JsonObject().put("type", "move").put("seat", seat).put("cell", cell).put("game", view(room)));
    }

    /** A new round once a game is over; the players take turns to start. */
    private void rematch(RoomContext room, Connection conn) {
      JsonObject game = game(room);
      if (!conn.attachment().containsKey("seat")) {
        throw new RoomException(403, "not_a_player", "only the players can start a rematch");
      } else if (game.getString("winner") == null) {
        throw new RoomException(409, "not_over", "finish this game first");
      }
      JsonObject next = newGame(game.getInteger("round") + 1, game.getInteger("turnSeconds", TURN_SECONDS));
      if (seats(room).size() == 2) {
        startClock(room, next);
      } else {
        room.storage().put("game", next);
      }
      room.publish(new JsonObject().put("type", "rematch").put("game", view(room)));
    }

    /** A player's last connection left: the seat waits for them, then is freed by an alarm. */
    @Override
    public void onClose(RoomContext room, Connection conn) {
      String seat = conn.attachment().getString("seat");
      if (seat != null && !held(room, seat)) {
        room.alarms().set("away-" + seat, Instant.now().plusSeconds(AWAY_SECONDS));
      }
    }

    @Override
    public void onAlarm(RoomContext room, String alarm) {
      if (TURN.equals(alarm)) {
        timeUp(room);
      } else {
        seatFreed(room, alarm.substring("away-".length()));
      }
    }

    /** The player did not come back in time: the seat is free (the board stays as it is, its clock stops). */
    private void seatFreed(RoomContext room, String seat) {
      JsonObject seats = seats(room);
      if (!held(room, seat) && seats.remove(seat) != null) {
        room.storage().put("seats", seats);
        stopClock(room, game(room));
        room.publish(new JsonObject().put("type", "left").put("seat", seat).put("game", view(room)));
      }
    }

    /** The player whose turn it is let the clock run out: the other one wins. */
    private void timeUp(RoomContext room) {
      JsonObject game = game(room);
      String late = game.getString("turn");
      if (game.getString("winner") != null || game.getValue("deadline") == null) {
        return; // the game ended or its clock stopped in the same instant; nothing is due
      }
      game.put("winner", late.equals("X") ? "O" : "X").put("timeout", late).putNull("deadline");
      room.storage().put("game", game);
      room.publish(new JsonObject().put("type", "timeout").put("seat", late).put("game", view(room)));
    }

    /** The turn time, chosen by the first to sit in a game nobody has played yet; checked like any frame. */
    private static void chooseTurnTime(RoomContext room, JsonObject seats, Object turnSeconds) {
      JsonObject game = game(room);
      if (!(turnSeconds instanceof Integer s) || s < 1 || s > MAX_TURN_SECONDS) {
        throw new RoomException("bad_turn_seconds", "turnSeconds is a whole number from 1 to " + MAX_TURN_SECONDS);
      } else if (!seats.isEmpty() || game.getJsonArray("board").contains("X") || game.getJsonArray("board").contains("O")) {
        throw new RoomException(409, "turn_time_set", "only the first to sit in a new game chooses the turn time");
      }
      room.storage().put("game", game.put("turnSeconds", s));
    }

    /** The player to move has until the deadline, which the alarm enforces even while the room sleeps. */
    private static void startClock(RoomContext room, JsonObject game) {
      Instant deadline = Instant.now().plusSeconds(game.getInteger("turnSeconds", TURN_SECONDS));
      room.storage().put("game", game.put("deadline", deadline.toEpochMilli()));
      room.alarms().set(TURN, deadline);
    }

    private static void stopClock(RoomContext room, JsonObject game) {
      room.storage().put("game", game.putNull("deadline"));
      room.alarms().cancel(TURN);
    }

    private static boolean held(RoomContext room, String seat) {
      return room.connections().stream().anyMatch(c -> seat.equals(c.attachment().getString("seat")));
    }
  }

  /** Who holds each seat: {"X": {"client", "name"}, "O": ...} (a copy: put it back once changed). */
  static JsonObject seats(RoomContext room) {
    return room.storage().get("seats") instanceof JsonObject s ? s : new JsonObject();
  }

  /** The board (9 cells, "" when empty), whose turn, the winner (X, O, draw or null), its line, the round. */
  static JsonObject game(RoomContext room) {
    return room.storage().get("game") instanceof JsonObject g ? g : newGame(1, TURN_SECONDS);
  }

  /**
   * Round 1 starts with X, round 2 with O, and so on. {@code deadline} is when the player to move
   * runs out of time (epoch milliseconds, null while the clock stands); {@code timeout} the seat that did.
   */
  static JsonObject newGame(int round, int turnSeconds) {
    return new JsonObject().put("board", new JsonArray(new ArrayList<>(Collections.nCopies(9, ""))))
        .put("turn", round % 2 == 1 ? "X" : "O").putNull("winner").putNull("line").put("round", round)
        .put("turnSeconds", turnSeconds).putNull("deadline").putNull("timeout");
  }

  /** What everyone may see: the game and the players' names, never their client ids. */
  static JsonObject view(RoomContext room) {
    JsonObject seats = seats(room);
    JsonObject players = new JsonObject();
    seats.fieldNames().forEach(seat -> players.put(seat, seats.getJsonObject(seat).getString("name")));
    return game(room).put("players", players);
  }
}
