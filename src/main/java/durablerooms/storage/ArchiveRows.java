package durablerooms.storage;

import durablerooms.state.ChatRecord;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * The chat store's rows as its replay of journals and its migration of message rows write them: a
 * room's records as chunk rows (rooms_chunks), its seq and epoch (rooms_state) and its seq
 * reservation (rooms_reserved).
 */
final class ArchiveRows {
  static final String INSERT_CHUNK =
      "INSERT INTO rooms_chunks (room, first_seq, last_seq, records) VALUES (?, ?, ?, ?)";

  private ArchiveRows() {}

  /** Adds the records (in seq order, none stored) to {@code insert}'s batch as chunk rows. */
  static void addChunks(PreparedStatement insert, String room, List<ChatRecord> records) throws SQLException {
    if (records.isEmpty()) {
      return;
    }
    for (Chunks.Chunk chunk : Chunks.of(records)) {
      insert.setString(1, room);
      insert.setLong(2, chunk.firstSeq());
      insert.setLong(3, chunk.lastSeq());
      insert.setString(4, chunk.text());
      insert.addBatch();
    }
  }

  /**
   * Raises the room's reservation (rooms_reserved) to {@code upTo}, and its epoch to {@code epoch}:
   * a reservation only rises, whatever order the journals of several processes are replayed in.
   */
  static void reserve(Connection c, String room, long upTo, long epoch) throws SQLException {
    try (PreparedStatement update = c.prepareStatement("UPDATE rooms_reserved SET seq = CASE WHEN seq < ? THEN ? "
        + "ELSE seq END, epoch = CASE WHEN epoch < ? THEN ? ELSE epoch END WHERE room = ?")) {
      update.setLong(1, upTo);
      update.setLong(2, upTo);
      update.setLong(3, epoch);
      update.setLong(4, epoch);
      update.setString(5, room);
      if (update.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO rooms_reserved (room, seq, epoch) VALUES (?, ?, ?)")) {
      insert.setString(1, room);
      insert.setLong(2, upTo);
      insert.setLong(3, epoch);
      insert.executeUpdate();
    }
  }

  /** Raises rooms' stored seq and epoch to at least the given ones (creating a room's row if it has none); one per transaction. */
  static final class StateRaiser implements AutoCloseable {
    private final PreparedStatement update;
    private final PreparedStatement create;

    StateRaiser(Connection c) throws SQLException {
      // CASE rather than GREATEST, which SQLite lacks
      update = c.prepareStatement("UPDATE rooms_state SET seq = CASE WHEN seq < ? THEN ? ELSE seq END, "
          + "epoch = CASE WHEN epoch < ? THEN ? ELSE epoch END WHERE room = ?");
      create = c.prepareStatement("INSERT INTO rooms_state (room, seq, epoch) VALUES (?, ?, ?)");
    }

    void raise(String room, long seq, long epoch) throws SQLException {
      update.setLong(1, seq);
      update.setLong(2, seq);
      update.setLong(3, epoch);
      update.setLong(4, epoch);
      update.setString(5, room);
      if (update.executeUpdate() == 0) {
        create.setString(1, room);
        create.setLong(2, seq);
        create.setLong(3, epoch);
        create.executeUpdate();
      }
    }

    @Override
    public void close() throws SQLException {
      try (update; create) {
        // both closed
      }
    }
  }
}
