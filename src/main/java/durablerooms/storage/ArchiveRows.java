package durablerooms.storage;

import durablerooms.state.ChatRecord;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The chat archive's rows as its writer, its replay of journals and its migration write them: a
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
   * Deletes a room's stored records from seq {@code from} on; the earlier ones of the chunk that
   * holds {@code from} are added to {@code insert}'s batch again.
   */
  static void clearFrom(Connection c, PreparedStatement insert, String room, long from) throws SQLException {
    List<ChatRecord> kept = new ArrayList<>();
    try (PreparedStatement straddling = c.prepareStatement(
             "SELECT records FROM rooms_chunks WHERE room = ? AND first_seq < ? AND last_seq >= ?");
         PreparedStatement delete = c.prepareStatement("DELETE FROM rooms_chunks WHERE room = ? AND last_seq >= ?")) {
      straddling.setString(1, room);
      straddling.setLong(2, from);
      straddling.setLong(3, from);
      try (ResultSet rs = straddling.executeQuery()) {
        while (rs.next()) {
          Chunks.records(rs.getString(1)).stream().filter(r -> r.seq() < from).forEach(kept::add);
        }
      }
      delete.setString(1, room);
      delete.setLong(2, from);
      delete.executeUpdate();
    }
    addChunks(insert, room, kept);
  }

  /**
   * Whether {@code epoch} is still the room's newest on disk. A fenced activation (its node was
   * paused while the room moved) must not write its stale history over what the newer one stored.
   */
  static boolean current(Connection c, String room, long epoch) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM rooms_state WHERE room = ?")) {
      ps.setString(1, room);
      try (ResultSet rs = ps.executeQuery()) {
        return !rs.next() || rs.getLong(1) <= epoch;
      }
    }
  }

  /**
   * Raises the room's reservation (rooms_reserved) to {@code upTo}, and its epoch to {@code epoch}:
   * a reservation only rises, whatever order the nodes' writers commit in.
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

  /**
   * Drops the room's reservation if no activation newer than {@code epoch} made it: that activation
   * ended with every seq it handed out stored (a clean checkpoint), and a newer one's stays.
   */
  static void giveBack(Connection c, String room, long epoch) throws SQLException {
    try (PreparedStatement delete = c.prepareStatement("DELETE FROM rooms_reserved WHERE room = ? AND epoch <= ?")) {
      delete.setString(1, room);
      delete.setLong(2, epoch);
      delete.executeUpdate();
    }
  }

  /** Raises rooms' stored seq and epoch to at least the given ones (creating a room's row if it has none); one per transaction. */
  static final class StateRaiser implements AutoCloseable {
    private final PreparedStatement update;
    private final PreparedStatement create;
    private final PreparedStatement read;

    StateRaiser(Connection c) throws SQLException {
      // CASE rather than GREATEST, which SQLite lacks
      update = c.prepareStatement("UPDATE rooms_state SET seq = CASE WHEN seq < ? THEN ? ELSE seq END, "
          + "epoch = CASE WHEN epoch < ? THEN ? ELSE epoch END WHERE room = ?");
      create = c.prepareStatement("INSERT INTO rooms_state (room, seq, epoch) VALUES (?, ?, ?)");
      read = c.prepareStatement("SELECT seq FROM rooms_state WHERE room = ?");
    }

    /** The room's stored seq (0 if it has none): its records go up to there. */
    long stored(String room) throws SQLException {
      read.setString(1, room);
      try (ResultSet rs = read.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
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
      try (update; create; read) {
        // all three closed
      }
    }
  }
}
