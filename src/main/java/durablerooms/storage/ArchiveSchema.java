package durablerooms.storage;

import durablerooms.state.ChatRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static durablerooms.storage.ArchiveRows.INSERT_CHUNK;
import static durablerooms.storage.ArchiveRows.addChunks;
import static durablerooms.storage.StoreSql.begin;
import static durablerooms.storage.StoreSql.commit;
import static durablerooms.storage.StoreSql.rollback;

/** The chat store's tables: created where missing, and the message rows of still earlier versions moved into them. */
final class ArchiveSchema {
  /** The archive's logger, whose name its lines have always carried. */
  private static final Logger LOG = LoggerFactory.getLogger(RoomArchive.class);

  private ArchiveSchema() {}

  /** Creates the tables the store lacks and moves an earlier version's message rows into chunks. */
  static void create(Connection c) throws SQLException {
    StoreSql.createSchema(c, StoreSql::createTables);
    migrateMessageRows(c);
  }

  /**
   * Stores of earlier versions kept a row per message (rooms_messages): they are moved into chunks,
   * and that table dropped. Safe to repeat if a crash cuts it short: a room's chunks are made anew.
   * Nodes started together on one store may move it at the same time: one of them may then fail on
   * the other's rows, and tries again (by then the table is usually gone).
   */
  private static void migrateMessageRows(Connection c) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        moveMessageRows(c);
        return;
      } catch (SQLException e) {
        rollback(c);
        if (attempt >= 5) {
          throw e;
        }
        LOG.info("moving stored messages into chunk rows failed ({}); trying again", e.getMessage());
        try {
          Thread.sleep(500L * attempt); // on the thread that opens the archive, never an event loop
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static void moveMessageRows(Connection c) throws SQLException {
    boolean found = false;
    try (ResultSet rs = c.getMetaData().getTables(null, c.getSchema(), null, new String[] {"TABLE"})) {
      while (rs.next()) {
        found |= rs.getString("TABLE_NAME").equalsIgnoreCase("rooms_messages");
      }
    }
    if (!found) {
      return;
    }
    begin(c);
    int moved = 0;
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT room, seq, ts, user_name, member_id, body, client_id, dedupe_key "
             + "FROM rooms_messages ORDER BY room, seq");
         PreparedStatement clear = c.prepareStatement(
             "DELETE FROM rooms_chunks WHERE room = ? AND first_seq BETWEEN ? AND ?");
         PreparedStatement insert = c.prepareStatement(INSERT_CHUNK)) {
      String room = null;
      List<ChatRecord> records = new ArrayList<>();
      while (true) {
        boolean more = rs.next();
        if (room != null && (!more || !room.equals(rs.getString(1)))) {
          clear.setString(1, room);
          clear.setLong(2, records.get(0).seq());
          clear.setLong(3, records.get(records.size() - 1).seq());
          clear.executeUpdate();
          addChunks(insert, room, records);
          insert.executeBatch();
          moved += records.size();
          records.clear();
        }
        if (!more) {
          break;
        }
        room = rs.getString(1);
        records.add(new ChatRecord(rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5), rs.getString(6),
            rs.getString(7), rs.getString(8)));
      }
      st.execute("DROP TABLE IF EXISTS rooms_messages"); // another node may have moved it meanwhile
      commit(c);
    }
    LOG.info("moved {} stored messages into chunk rows", moved);
  }
}
