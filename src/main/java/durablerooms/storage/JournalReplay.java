package durablerooms.storage;

import durablerooms.state.ChatRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static durablerooms.storage.ArchiveRows.INSERT_CHUNK;
import static durablerooms.storage.ArchiveRows.addChunks;
import static durablerooms.storage.StoreSql.begin;
import static durablerooms.storage.StoreSql.commit;
import static durablerooms.storage.StoreSql.rollback;

/** Writes what the chat journals of an earlier version's processes hold into its chat store, when it opens. */
final class JournalReplay {
  /** The archive's logger, whose name its lines have always carried. */
  private static final Logger LOG = LoggerFactory.getLogger(RoomArchive.class);

  private JournalReplay() {}

  /**
   * Writes what chat journals of dead processes in {@code journalDir} hold into the database, in one
   * transaction per file: records the database lacks are inserted (those it has are the same
   * messages: a record reaches a journal only after the cluster accepted its seq), each room's
   * seq and epoch raised, and its seq reservation.
   */
  static void recover(Connection c, Path journalDir) throws IOException {
    try {
      int files = Journal.recover(journalDir, entries -> replay(c, entries));
      if (files > 0) {
        LOG.info("replayed {} chat journal file(s) of stopped processes into the chat store", files);
      }
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("replaying the journal failed: " + e.getMessage(), e);
    }
  }

  private static void replay(Connection c, List<Journal.Entry> entries) throws SQLException {
    begin(c);
    try (PreparedStatement existing = c.prepareStatement(
             "SELECT first_seq, last_seq FROM rooms_chunks WHERE room = ? AND last_seq >= ? AND first_seq <= ?");
         PreparedStatement insert = c.prepareStatement(INSERT_CHUNK);
         ArchiveRows.StateRaiser state = new ArchiveRows.StateRaiser(c)) {
      Map<String, long[]> rooms = new LinkedHashMap<>(); // room -> {seq, epoch}
      for (Journal.Entry e : entries) {
        if (e.isReservation()) {
          ArchiveRows.reserve(c, e.room(), e.reserved(), e.epoch());
          // the room gets its row even if none of its records reached the journal: it is known, and
          // loads past the reservation
          long[] reached = rooms.computeIfAbsent(e.room(), r -> new long[2]);
          reached[1] = Math.max(reached[1], e.epoch());
          continue;
        }
        List<ChatRecord> records = e.records();
        existing.setString(1, e.room());
        existing.setLong(2, records.get(0).seq());
        existing.setLong(3, records.get(records.size() - 1).seq());
        List<long[]> stored = new ArrayList<>();
        try (ResultSet rs = existing.executeQuery()) {
          while (rs.next()) {
            stored.add(new long[] {rs.getLong(1), rs.getLong(2)});
          }
        }
        // the records no stored chunk covers, as runs of consecutive seqs: chunks never overlap
        List<ChatRecord> run = new ArrayList<>();
        for (ChatRecord r : records) {
          boolean have = stored.stream().anyMatch(range -> range[0] <= r.seq() && r.seq() <= range[1]);
          if (have || (!run.isEmpty() && r.seq() != run.get(run.size() - 1).seq() + 1)) {
            addChunks(insert, e.room(), run);
            run = new ArrayList<>();
          }
          if (!have) {
            run.add(r);
          }
        }
        addChunks(insert, e.room(), run);
        insert.executeBatch();
        long[] reached = rooms.computeIfAbsent(e.room(), r -> new long[2]);
        reached[0] = Math.max(reached[0], records.get(records.size() - 1).seq());
        reached[1] = Math.max(reached[1], e.epoch());
      }
      for (Map.Entry<String, long[]> room : rooms.entrySet()) {
        state.raise(room.getKey(), room.getValue()[0], room.getValue()[1]);
      }
      commit(c);
    } catch (SQLException e) {
      rollback(c);
      throw e;
    }
  }
}
