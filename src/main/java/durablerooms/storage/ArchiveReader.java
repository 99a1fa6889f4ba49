package durablerooms.storage;

import durablerooms.state.ChatRecord;
import durablerooms.state.RoomState;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The chat archive's reads (loading a room after a restart or hibernation, listing the stored
 * rooms), on a small pool of connections of their own: they never wait for the writer's batches.
 */
final class ArchiveReader implements AutoCloseable {
  private static final int READERS = 4;

  private final int historyLimit;
  private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);

  ArchiveReader(String url, String user, String password, int historyLimit) throws SQLException {
    this.historyLimit = historyLimit;
    for (int i = 0; i < READERS; i++) {
      readers.add(StoreSql.connect(url, user, password));
    }
  }

  /** The room as stored, or null if it was never stored; its seq is past its reservation, if one is left. */
  RoomState load(String room) {
    return read(c -> {
      long seq;
      long epoch;
      long reserved;
      try (PreparedStatement ps = c.prepareStatement("SELECT s.seq, s.epoch, r.seq FROM rooms_state s "
          + "LEFT JOIN rooms_reserved r ON r.room = s.room WHERE s.room = ?")) {
        ps.setString(1, room);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          seq = rs.getLong(1);
          epoch = rs.getLong(2);
          reserved = rs.getLong(3); // 0 when none is left
        }
      }
      List<ChatRecord> history = new ArrayList<>();
      long keepAfter = seq - historyLimit;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT records FROM rooms_chunks WHERE room = ? AND last_seq > ? ORDER BY first_seq")) {
        ps.setString(1, room);
        ps.setLong(2, keepAfter);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            for (ChatRecord r : Chunks.records(rs.getString(1))) {
              if (r.seq() > keepAfter && (history.isEmpty() || r.seq() > history.get(history.size() - 1).seq())) {
                history.add(r);
              }
            }
          }
        }
      }
      // past the reservation: seqs up to it may have been handed out for messages the store lacks
      return new RoomState(epoch, Math.max(seq, reserved), history);
    });
  }

  /**
   * Up to {@code limit} stored rooms' names after {@code after}, in the order of Java's
   * String.compareTo (PostgreSQL's default collation would order them otherwise: its "C" one
   * does not), so that pages merge with the cluster's names.
   */
  List<String> roomsAfter(String after, int limit) {
    return read(c -> {
      String collate = StoreSql.byCodePoint(c);
      List<String> names = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT room FROM rooms_state WHERE room" + collate
          + " > ? ORDER BY room" + collate + " LIMIT ?")) {
        ps.setString(1, after);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            names.add(rs.getString(1));
          }
        }
      }
      return names;
    });
  }

  /** Whether the room is stored (it held a message once, or an earlier version stored it). */
  boolean exists(String room) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM rooms_state WHERE room = ?")) {
        ps.setString(1, room);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /** Every stored room's name. */
  List<String> rooms() {
    return read(c -> {
      List<String> names = new ArrayList<>();
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT room FROM rooms_state")) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      return names;
    });
  }

  private interface Read<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T read(Read<T> read) {
    Connection c;
    try {
      c = readers.poll(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
    if (c == null) {
      throw new IllegalStateException("no database connection free");
    }
    try {
      return read.apply(c);
    } catch (SQLException e) {
      throw new IllegalStateException("reading the room store failed: " + e.getMessage(), e);
    } finally {
      readers.add(c);
    }
  }

  /** Closes the connections in the pool. */
  @Override
  public void close() {
    for (Connection c : new ArrayList<>(readers)) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
  }
}
