package durablerooms.storage;

import durablerooms.state.ChatRecord;
import durablerooms.state.RoomState;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * An earlier version's chat store, read once for the upgrade: the last seq and epoch of each chat
 * room (rooms_state), the seqs its last activation reserved (rooms_reserved) and its retained
 * messages, in rows of a run of records each (rooms_chunks, see {@link Chunks}). Opening it creates
 * the tables it lacks, moves the row per message of still earlier versions into chunks
 * ({@link ArchiveSchema}) and replays the chat journals that version's processes left
 * ({@link JournalReplay}), so that it holds all they stored; the import of chat rooms then reads
 * it, as does the move of an earlier H2 store ({@link EmbeddedStore}). One connection, one thread
 * at a time, blocking: never called on an event loop.
 */
public final class RoomArchive implements AutoCloseable {
  private final Connection connection;
  private final int historyLimit;

  private RoomArchive(Connection connection, int historyLimit) {
    this.connection = connection;
    this.historyLimit = historyLimit;
  }

  /**
   * Opens the chat store at a JDBC URL (creating its tables where missing) and replays into it the
   * chat journals that processes of an earlier version left in {@code journalDir}. A room loads
   * with its last {@code historyLimit} messages.
   */
  public static RoomArchive open(String url, String user, String password, int historyLimit, Path journalDir)
      throws SQLException, IOException {
    Connection c = StoreSql.connect(url, user, password);
    try {
      // SQLite: transactions are begun explicitly (see begin); its driver would begin the next one as
      // soon as one commits, holding the file's write lock (or a stale snapshot) meanwhile
      c.setAutoCommit(EmbeddedStore.isSqlite(url));
      ArchiveSchema.create(c);
      JournalReplay.recover(c, journalDir);
      c.setAutoCommit(true); // only reads from here on: none holds a transaction open
      return new RoomArchive(c, historyLimit);
    } catch (SQLException | IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** Opens a connection to a store: see {@link StoreSql#connect}. */
  static Connection connect(String url, String user, String password) throws SQLException {
    return StoreSql.connect(url, user, password);
  }

  /** Begins a write transaction: see {@link StoreSql#begin}. */
  static void begin(Connection c) throws SQLException {
    StoreSql.begin(c);
  }

  static void commit(Connection c) throws SQLException {
    StoreSql.commit(c);
  }

  /** Rolls back the transaction begun with {@link #begin}, if it is still open. */
  static void rollback(Connection c) throws SQLException {
    StoreSql.rollback(c);
  }

  /** Creates the chat store's tables where they are missing: see {@link StoreSql#createTables}. */
  static void createTables(Connection c) throws SQLException {
    StoreSql.createTables(c);
  }

  /**
   * The room as stored, or null if it was never stored; its seq is past its reservation, if one is
   * left (its last activation did not end cleanly, and may have handed out seqs the store lacks).
   */
  public RoomState load(String room) throws SQLException {
    long seq;
    long epoch;
    long reserved;
    try (PreparedStatement ps = connection.prepareStatement("SELECT s.seq, s.epoch, r.seq FROM rooms_state s "
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
    try (PreparedStatement ps = connection.prepareStatement(
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
  }

  /** Every stored room's name. */
  public List<String> rooms() throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT room FROM rooms_state")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // closing anyway: nothing was written since the open
    }
  }
}
