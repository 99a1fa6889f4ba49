package durablerooms.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The webhooks waiting to be delivered, as rows of the room store: written in the transaction of
 * the handler that caused them (so a webhook of a committed handler is never lost, and one of a
 * handler rolled back never sent), read and deleted in id order by the node that delivers them.
 * Ids come from a counter row updated in the same transaction, the same SQL on SQLite, H2 and
 * PostgreSQL. At most {@code maxPending} rows wait: past that, the oldest are dropped.
 */
public final class WebhookOutbox {
  /** A webhook to store: its room, its type ({@code room.occupied}, {@code room.emitted}, ...), its data (JSON text) and time. */
  public record Hook(String room, String type, String data, long ts) {}

  /** A stored webhook, with its id. */
  public record Stored(long id, String room, String type, String data, long ts) {}

  private WebhookOutbox() {}

  static void createTables(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS webhook_outbox (id BIGINT PRIMARY KEY, room VARCHAR(100) NOT NULL, "
          + "kind VARCHAR(64) NOT NULL, data VARCHAR(1000000) NOT NULL, ts BIGINT NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS webhook_counter (name VARCHAR(16) PRIMARY KEY, last BIGINT NOT NULL)");
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM webhook_counter WHERE name = 'outbox'")) {
        rs.next();
        if (rs.getLong(1) == 0) {
          st.execute("INSERT INTO webhook_counter (name, last) VALUES ('outbox', 0)");
        }
      }
    }
  }

  /**
   * Stores hooks (in the caller's transaction) and drops the oldest waiting ones beyond
   * {@code maxPending}; returns how many were dropped.
   */
  static int append(Connection c, List<Hook> hooks, int maxPending) throws SQLException {
    if (hooks.isEmpty()) {
      return 0;
    }
    long last;
    // the counter row is written first: on a server database that locks it until the commit, so
    // ids are handed out in commit order
    try (PreparedStatement up = c.prepareStatement("UPDATE webhook_counter SET last = last + ? WHERE name = 'outbox'")) {
      up.setLong(1, hooks.size());
      up.executeUpdate();
    }
    try (PreparedStatement q = c.prepareStatement("SELECT last FROM webhook_counter WHERE name = 'outbox'");
         ResultSet rs = q.executeQuery()) {
      rs.next();
      last = rs.getLong(1);
    }
    long id = last - hooks.size();
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO webhook_outbox (id, room, kind, data, ts) VALUES (?, ?, ?, ?, ?)")) {
      for (Hook h : hooks) {
        ins.setLong(1, ++id);
        ins.setString(2, h.room());
        ins.setString(3, h.type());
        ins.setString(4, h.data());
        ins.setLong(5, h.ts());
        ins.addBatch();
      }
      ins.executeBatch();
    }
    try (PreparedStatement drop = c.prepareStatement("DELETE FROM webhook_outbox WHERE id <= ?")) {
      drop.setLong(1, last - maxPending);
      return drop.executeUpdate();
    }
  }

  /** Up to {@code limit} waiting hooks after {@code afterId}, oldest first. */
  static List<Stored> after(Connection c, long afterId, int limit) throws SQLException {
    List<Stored> out = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement(
        "SELECT id, room, kind, data, ts FROM webhook_outbox WHERE id > ? ORDER BY id LIMIT ?")) {
      q.setLong(1, afterId);
      q.setInt(2, limit);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(new Stored(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5)));
        }
      }
    }
    return out;
  }

  /** How many hooks wait. */
  static long pending(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM webhook_outbox")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Deletes the delivered hooks up to {@code id}. */
  static void delivered(Connection c, long id) throws SQLException {
    try (PreparedStatement del = c.prepareStatement("DELETE FROM webhook_outbox WHERE id <= ?")) {
      del.setLong(1, id);
      del.executeUpdate();
    }
  }
}
