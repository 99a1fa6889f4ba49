package durablerooms.storage;

import durablerooms.state.EventSlice;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SQL of the store of room types (LogicArchive runs it on its writer thread, in its
 * transactions): the tables, a room's activation and load, a room's commit, the due alarms. The
 * same statements on SQLite, H2 and PostgreSQL.
 */
final class LogicRows {
  private LogicRows() {}

  /**
   * The commit path's statements, prepared once on the writer's connection and reused: a commit runs
   * about eight, and preparing them anew for each cost the writer more than running them.
   */
  static final class Statements implements AutoCloseable {
    private final Connection c;
    private final Map<String, PreparedStatement> prepared = new HashMap<>();

    Statements(Connection c) {
      this.c = c;
    }

    PreparedStatement get(String sql) throws SQLException {
      PreparedStatement p = prepared.get(sql);
      if (p == null) {
        p = c.prepareStatement(sql);
        prepared.put(sql, p);
      }
      return p;
    }

    /** Closes them all (after a failure, the next use prepares them again). */
    @Override
    public void close() {
      for (PreparedStatement p : prepared.values()) {
        try {
          p.close();
        } catch (SQLException ignored) {
          // closing anyway
        }
      }
      prepared.clear();
    }
  }

  static void createTables(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS logic_rooms (room VARCHAR(100) PRIMARY KEY, epoch BIGINT NOT NULL, "
          + "seq BIGINT NOT NULL, acks BIGINT NOT NULL, mark_epoch BIGINT NOT NULL DEFAULT 0, "
          + "mark_n BIGINT NOT NULL DEFAULT 0, reserved BIGINT NOT NULL DEFAULT 0)");
      // the last commit applied (its mark) and the seqs reserved: columns a store of an earlier
      // version lacks
      for (String column : List.of("mark_epoch", "mark_n", "reserved")) {
        if (!hasColumn(c, "logic_rooms", column)) {
          st.execute("ALTER TABLE logic_rooms ADD COLUMN " + column + " BIGINT NOT NULL DEFAULT 0");
        }
      }
      st.execute("CREATE TABLE IF NOT EXISTS logic_values (room VARCHAR(100) NOT NULL, k VARCHAR(1024) NOT NULL, "
          + "v VARCHAR(1000000) NOT NULL, PRIMARY KEY (room, k))");
      st.execute("CREATE TABLE IF NOT EXISTS logic_events (room VARCHAR(100) NOT NULL, seq BIGINT NOT NULL, "
          + "ts BIGINT NOT NULL, body VARCHAR(1000000) NOT NULL, PRIMARY KEY (room, seq))");
      st.execute("CREATE TABLE IF NOT EXISTS logic_acks (room VARCHAR(100) NOT NULL, k VARCHAR(400) NOT NULL, "
          + "n BIGINT NOT NULL, seq BIGINT NOT NULL, ts BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (room, k))");
      // the time an ACK repeats: a store of an earlier version lacks it (its ACKs repeat 0)
      if (!hasColumn(c, "logic_acks", "ts")) {
        st.execute("ALTER TABLE logic_acks ADD COLUMN ts BIGINT NOT NULL DEFAULT 0");
      }
      st.execute("CREATE TABLE IF NOT EXISTS logic_alarms (room VARCHAR(100) NOT NULL, k VARCHAR(200) NOT NULL, "
          + "due BIGINT NOT NULL, PRIMARY KEY (room, k))");
      st.execute("CREATE INDEX IF NOT EXISTS logic_alarms_due ON logic_alarms (due)");
    }
    WebhookOutbox.createTables(c);
  }

  /** Whether {@code table} has {@code column} (the three databases fold the case of names differently). */
  private static boolean hasColumn(Connection c, String table, String column) throws SQLException {
    for (String t : List.of(table, table.toUpperCase(java.util.Locale.ROOT))) {
      try (ResultSet rs = c.getMetaData().getColumns(null, null, t, null)) {
        while (rs.next()) {
          if (rs.getString("COLUMN_NAME").equalsIgnoreCase(column)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Raises the room's epoch (creating the room at epoch 1) and reads it back, in the caller's
   * transaction, with the writer's statements (prepared once: a wake pays for the reads alone).
   */
  static LogicArchive.Loaded activate(Statements s, String room, int historyLimit) throws SQLException {
    PreparedStatement lock = s.get("UPDATE logic_rooms SET epoch = epoch + 1 WHERE room = ?");
    lock.setString(1, room); // a write first: on a server database the row is locked before it is read
    if (lock.executeUpdate() == 0) {
      PreparedStatement ins = s.get("INSERT INTO logic_rooms (room, epoch, seq, acks) VALUES (?, 1, 0, 0)");
      ins.setString(1, room);
      ins.executeUpdate();
    }
    return load(s, room, historyLimit);
  }

  /**
   * The room's epoch raised from {@code epoch}; or, when it is not {@code epoch} any more, -1 and the
   * room's epoch raised once more, so that neither the commits of the caller (at {@code epoch + 1})
   * nor those of an activation that raised it to that meanwhile are taken from then on.
   */
  static long raise(Statements s, String room, long epoch) throws SQLException {
    PreparedStatement up = s.get("UPDATE logic_rooms SET epoch = epoch + 1 WHERE room = ? AND epoch = ?");
    up.setString(1, room);
    up.setLong(2, epoch);
    if (up.executeUpdate() == 1) {
      return epoch + 1;
    }
    PreparedStatement again = s.get("UPDATE logic_rooms SET epoch = epoch + 1 WHERE room = ?");
    again.setString(1, room);
    again.executeUpdate();
    return -1;
  }

  /** Reads the room as it is, in the caller's transaction. */
  static LogicArchive.Loaded load(Statements s, String room, int historyLimit) throws SQLException {
    long epoch;
    long seq;
    LogicArchive.Mark applied;
    long reserved;
    PreparedStatement q = s.get("SELECT epoch, seq, mark_epoch, mark_n, reserved FROM logic_rooms WHERE room = ?");
    q.setString(1, room);
    try (ResultSet rs = q.executeQuery()) {
      rs.next();
      epoch = rs.getLong(1);
      seq = rs.getLong(2);
      applied = new LogicArchive.Mark(rs.getLong(3), rs.getLong(4));
      reserved = rs.getLong(5);
    }
    TreeMap<String, String> values = new TreeMap<>();
    read(s, "SELECT k, v FROM logic_values WHERE room = ?", room, rs -> values.put(rs.getString(1), rs.getString(2)));
    List<LogicArchive.Event> events = new ArrayList<>();
    PreparedStatement e = s.get("SELECT seq, ts, body FROM logic_events WHERE room = ? AND seq > ? ORDER BY seq");
    e.setString(1, room);
    e.setLong(2, seq - historyLimit);
    try (ResultSet rs = e.executeQuery()) {
      while (rs.next()) {
        events.add(new LogicArchive.Event(rs.getLong(1), rs.getLong(2), rs.getString(3)));
      }
    }
    LinkedHashMap<String, LogicArchive.Ack> acks = new LinkedHashMap<>();
    read(s, "SELECT k, seq, ts FROM logic_acks WHERE room = ? ORDER BY n", room,
        rs -> acks.put(rs.getString(1), new LogicArchive.Ack(rs.getString(1), rs.getLong(2), rs.getLong(3))));
    TreeMap<String, Long> alarms = new TreeMap<>();
    read(s, "SELECT k, due FROM logic_alarms WHERE room = ?", room, rs -> alarms.put(rs.getString(1), rs.getLong(2)));
    return new LogicArchive.Loaded(epoch, seq, values, events, acks, alarms, applied, reserved);
  }

  private interface Row {
    void read(ResultSet rs) throws SQLException;
  }

  private static void read(Statements s, String sql, String room, Row row) throws SQLException {
    PreparedStatement q = s.get(sql);
    q.setString(1, room);
    try (ResultSet rs = q.executeQuery()) {
      while (rs.next()) {
        row.read(rs);
      }
    }
  }

  /**
   * Applies one room's change if its epoch is current and (with {@code inOrder}) its mark follows the
   * room's last one, in the caller's transaction; false when fenced (nothing applied).
   */
  static boolean apply(Connection c, LogicArchive.Change ch, int historyLimit, boolean inOrder) throws SQLException {
    try (Statements s = new Statements(c)) {
      return apply(s, ch, historyLimit, inOrder && ch.mark() != null ? ch.mark().n() : 0);
    }
  }

  /**
   * Applies one room's change if its epoch is current and, when {@code firstN} is not 0, the room's
   * last applied commit is the one before commit {@code firstN} of the change's epoch (the change is
   * that commit, or several from it on, merged); false when fenced (nothing applied).
   */
  static boolean apply(Statements s, LogicArchive.Change ch, int historyLimit, long firstN) throws SQLException {
    String room = ch.room();
    if (!fence(s, room, ch.epoch(), ch.mark(), firstN)) {
      return false;
    }
    long acks = 0;
    if (!ch.acks().isEmpty()) {
      PreparedStatement q = s.get("SELECT acks FROM logic_rooms WHERE room = ?");
      q.setString(1, room);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        acks = rs.getLong(1);
      }
    }
    replace(s, "logic_values", "v", room, ch.values());
    replace(s, "logic_alarms", "due", room, ch.alarms());
    if (!ch.events().isEmpty()) {
      long retainedFrom = ch.seq() - historyLimit;
      PreparedStatement ins = s.get("INSERT INTO logic_events (room, seq, ts, body) VALUES (?, ?, ?, ?)");
      for (LogicArchive.Event e : ch.events()) {
        if (e.seq() <= retainedFrom) {
          continue; // out of the retention already (several commits merged)
        }
        ins.setString(1, room);
        ins.setLong(2, e.seq());
        ins.setLong(3, e.ts());
        ins.setString(4, e.body());
        ins.addBatch();
      }
      ins.executeBatch();
      prune(s, "logic_events", "seq", room, retainedFrom);
    }
    if (!ch.acks().isEmpty()) {
      LinkedHashMap<String, Object> numbered = new LinkedHashMap<>();
      for (LogicArchive.Ack a : ch.acks()) {
        numbered.remove(a.key());
        numbered.put(a.key(), new long[] {++acks, a.seq(), a.ts()});
      }
      replace(s, "logic_acks", "n, seq, ts", room, numbered);
      prune(s, "logic_acks", "n", room, acks - historyLimit);
      PreparedStatement up = s.get("UPDATE logic_rooms SET seq = ?, acks = ? WHERE room = ?");
      up.setLong(1, ch.seq());
      up.setLong(2, acks);
      up.setString(3, room);
      up.executeUpdate();
    } else {
      PreparedStatement up = s.get("UPDATE logic_rooms SET seq = ? WHERE room = ?");
      up.setLong(1, ch.seq());
      up.setString(2, room);
      up.executeUpdate();
    }
    return true;
  }

  /**
   * Whether {@code epoch} is the room's, checked by a write, which locks the row first (on a server
   * database a check by a read could pass just before another node's activation commits a newer
   * epoch). With a {@code mark}, the same statement records it as the room's last applied commit,
   * with {@code firstN} (not 0) only if the last one is the commit before {@code firstN}: a commit
   * written behind the replica (ROOMS_DURABILITY=memory) after one whose store write failed must not
   * mark the failed one as stored, which a takeover would then skip in the replica.
   */
  private static boolean fence(Statements s, String room, long epoch, LogicArchive.Mark mark, long firstN)
      throws SQLException {
    boolean inOrder = mark != null && firstN != 0;
    boolean first = firstN == 1;
    String sql = mark == null ? "UPDATE logic_rooms SET epoch = epoch WHERE room = ? AND epoch = ?"
        : "UPDATE logic_rooms SET mark_epoch = ?, mark_n = ? WHERE room = ? AND epoch = ?"
            + (!inOrder ? "" : first ? " AND mark_epoch < ?" : " AND mark_epoch = ? AND mark_n = ?");
    PreparedStatement up = s.get(sql);
    int i = 1;
    if (mark != null) {
      up.setLong(i++, mark.epoch());
      up.setLong(i++, mark.n());
    }
    up.setString(i++, room);
    up.setLong(i++, epoch);
    if (inOrder) {
      up.setLong(i++, mark.epoch());
      if (!first) {
        up.setLong(i, firstN - 1);
      }
    }
    return up.executeUpdate() > 0;
  }

  /**
   * Raises the room's reservation to {@code upTo} (0: gives it back) if {@code epoch} is the room's,
   * in the caller's transaction; false when fenced.
   */
  static boolean reserve(Connection c, String room, long epoch, long upTo) throws SQLException {
    String sql = upTo == 0 ? "UPDATE logic_rooms SET reserved = 0 WHERE room = ? AND epoch = ?"
        : "UPDATE logic_rooms SET reserved = CASE WHEN reserved < ? THEN ? ELSE reserved END WHERE room = ? AND epoch = ?";
    try (PreparedStatement up = c.prepareStatement(sql)) {
      int i = 1;
      if (upTo != 0) {
        up.setLong(i++, upTo);
        up.setLong(i++, upTo);
      }
      up.setString(i++, room);
      up.setLong(i, epoch);
      return up.executeUpdate() > 0;
    }
  }

  /**
   * Replaces rows of a table keyed by (room, k): each key's row is deleted, then inserted with its
   * value unless that is null; a value is one column's, or a long[] for several ({@code columns}).
   */
  private static void replace(Statements s, String table, String columns, String room, Map<String, ?> rows)
      throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    int n = columns.split(",").length;
    PreparedStatement del = s.get("DELETE FROM " + table + " WHERE room = ? AND k = ?");
    PreparedStatement ins = s.get("INSERT INTO " + table + " (room, k, " + columns + ") VALUES (?, ?"
        + ", ?".repeat(n) + ")");
    boolean inserts = false;
    for (Map.Entry<String, ?> e : rows.entrySet()) {
      del.setString(1, room);
      del.setString(2, e.getKey());
      del.addBatch();
      Object v = e.getValue();
      if (v != null) {
        ins.setString(1, room);
        ins.setString(2, e.getKey());
        if (v instanceof long[] several) {
          for (int i = 0; i < several.length; i++) {
            ins.setLong(3 + i, several[i]);
          }
        } else {
          ins.setObject(3, v);
        }
        ins.addBatch();
        inserts = true;
      }
    }
    del.executeBatch();
    if (inserts) {
      ins.executeBatch();
    }
  }

  /** Deletes a room's rows whose {@code column} is at most {@code upTo} (what fell out of the retention). */
  private static void prune(Statements s, String table, String column, String room, long upTo) throws SQLException {
    PreparedStatement prune = s.get("DELETE FROM " + table + " WHERE room = ? AND " + column + " <= ?");
    prune.setString(1, room);
    prune.setLong(2, upTo);
    prune.executeUpdate();
  }

  /** The rooms with an alarm due at {@code upTo} or before, the most overdue first, at most {@code limit}. */
  static List<String> due(Connection c, long upTo, int limit) throws SQLException {
    List<String> rooms = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement(
        "SELECT room, MIN(due) AS first FROM logic_alarms WHERE due <= ? GROUP BY room ORDER BY first LIMIT ?")) {
      q.setLong(1, upTo);
      q.setInt(2, limit);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          rooms.add(rs.getString(1));
        }
      }
    }
    return rooms;
  }

  /**
   * The room's seq and up to {@code limit} of its retained events after {@code since}, oldest first;
   * null for a room the store does not hold. Events stamped before {@code notBefore} have expired
   * (ROOMS_MESSAGE_TTL) and are left out. {@code gap} when some events after {@code since} are no
   * longer retained.
   */
  static EventSlice log(Connection c, String room, long since, int limit, int historyLimit, long notBefore)
      throws SQLException {
    long seq;
    try (PreparedStatement q = c.prepareStatement("SELECT seq FROM logic_rooms WHERE room = ?")) {
      q.setString(1, room);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        seq = rs.getLong(1);
      }
    }
    List<EventSlice.Entry> events = new ArrayList<>();
    if (limit > 0) {
      try (PreparedStatement q = c.prepareStatement(
          "SELECT seq, body FROM logic_events WHERE room = ? AND seq > ? AND ts >= ? ORDER BY seq LIMIT ?")) {
        q.setString(1, room);
        q.setLong(2, Math.max(since, seq - historyLimit));
        q.setLong(3, notBefore);
        q.setInt(4, limit);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            events.add(new EventSlice.Entry(rs.getLong(1), rs.getString(2)));
          }
        }
      }
    }
    // the page's events hold every seq from since + 1 on, or some are gone
    boolean gap = since < seq && limit > 0
        && (events.isEmpty() || events.get(events.size() - 1).seq() - since != events.size());
    return new EventSlice(seq, events, gap);
  }

  /**
   * Deletes the events of every room stamped before {@code notBefore} (ROOMS_MESSAGE_TTL), asleep or
   * awake: a room keeps its seq, and its next events follow it. The first call indexes the events'
   * times, which only a store with a TTL needs.
   */
  static int expire(Connection c, long notBefore, boolean indexed) throws SQLException {
    if (!indexed) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE INDEX IF NOT EXISTS logic_events_ts ON logic_events (ts)");
      }
    }
    try (PreparedStatement d = c.prepareStatement("DELETE FROM logic_events WHERE ts < ?")) {
      d.setLong(1, notBefore);
      return d.executeUpdate();
    }
  }

  /** Up to {@code limit} rooms the store holds with a key after {@code after}, in key order (String.compareTo). */
  static List<String> roomsAfter(Connection c, String after, int limit) throws SQLException {
    String collate = StoreSql.byCodePoint(c);
    List<String> rooms = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement("SELECT room FROM logic_rooms WHERE room" + collate
        + " > ? ORDER BY room" + collate + " LIMIT ?")) {
      q.setString(1, after);
      q.setInt(2, limit);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          rooms.add(rs.getString(1));
        }
      }
    }
    return rooms;
  }

  /**
   * Deletes the row of a room that its first activation (epoch 1) left as it found it: seq 0, and no
   * values, events, ACKs or alarms. False, deleting nothing, for a room that holds anything or was
   * activated again.
   */
  static boolean forget(Connection c, String room) throws SQLException {
    for (String table : List.of("logic_values", "logic_events", "logic_acks", "logic_alarms")) {
      try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM " + table + " WHERE room = ?")) {
        q.setString(1, room);
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            return false;
          }
        }
      }
    }
    try (PreparedStatement d = c.prepareStatement(
        "DELETE FROM logic_rooms WHERE room = ? AND epoch = 1 AND seq = 0 AND reserved = 0")) {
      d.setString(1, room);
      return d.executeUpdate() == 1;
    }
  }

  /** How many rooms the store holds. */
  static long count(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM logic_rooms")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static boolean exists(Connection c, String room) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM logic_rooms WHERE room = ?")) {
      q.setString(1, room);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }
}
