package durablerooms.storage;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The JDBC steps that every store (an earlier version's chat store, the store of room types, the
 * move of an earlier version's store) takes the same way on H2, PostgreSQL and SQLite: opening a
 * connection, a write transaction's begin, commit and rollback, and the chat tables.
 */
final class StoreSql {
  static {
    EmbeddedStore.h2OnLoopbackOnly(); // before this process's first connection loads H2
  }

  private StoreSql() {}

  /**
   * Opens a connection; retried a few times because a database may refuse for a moment (a server
   * restarting; H2 in AUTO_SERVER mode while another process opens or takes over the file). A
   * refused login (SQL state class 28) is final at once.
   */
  static Connection connect(String url, String user, String password) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        if (EmbeddedStore.isSqlite(url)) {
          return DriverManager.getConnection(url, EmbeddedStore.sqliteProperties());
        }
        boolean anonymous = (user == null || user.isEmpty()) && (password == null || password.isEmpty());
        return anonymous ? DriverManager.getConnection(url) : DriverManager.getConnection(url, user, password);
      } catch (SQLException e) {
        if (attempt >= 40 || refusedLogin(e)) {
          throw e;
        }
        try {
          Thread.sleep(200 + (long) (Math.random() * 300));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** Whether the database refused the user name or password (SQL state class 28, "invalid authorization"). */
  static boolean refusedLogin(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("28");
  }

  /**
   * Begins a write transaction. A connection in auto-commit mode (SQLite's) gets an explicit one that
   * takes the file's write lock at once, waiting for another node's transaction to end: one that
   * read first could not write once another node had committed meanwhile. Other connections are
   * in a transaction already (auto-commit off).
   */
  static void begin(Connection c) throws SQLException {
    if (c.getAutoCommit()) {
      try (Statement st = c.createStatement()) {
        st.execute("BEGIN IMMEDIATE");
      }
    }
  }

  static void commit(Connection c) throws SQLException {
    if (c.getAutoCommit()) {
      try (Statement st = c.createStatement()) {
        st.execute("COMMIT");
      }
    } else {
      c.commit();
    }
  }

  /** Rolls back the transaction begun with {@link #begin}, if it is still open. */
  static void rollback(Connection c) throws SQLException {
    if (!c.getAutoCommit()) {
      c.rollback();
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute("ROLLBACK");
    } catch (SQLException noTransaction) {
      // it ended with the error that led here: nothing to roll back
    }
  }

  /** Statements run in one transaction by {@link #createSchema}. */
  @FunctionalInterface
  interface SchemaStep {
    void run(Connection c) throws SQLException;
  }

  /**
   * The COLLATE clause that orders room names as Java's {@code String.compareTo} does (the order of
   * the room list's pages): PostgreSQL orders by its locale unless told otherwise; SQLite and H2
   * compare the characters of room names (ASCII) by their codes already.
   */
  static String byCodePoint(Connection c) throws SQLException {
    return c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres")
        ? " COLLATE \"C\"" : "";
  }

  /**
   * Runs {@code create} (CREATE ... IF NOT EXISTS statements) in a transaction of its own, and again
   * after a rollback if it fails. PostgreSQL lets two transactions create the same table at once:
   * the second does not see the first's uncommitted table, and fails on the catalog's unique index
   * ("duplicate key value violates unique constraint pg_type_typname_nsp_index") instead of finding
   * it there; nodes started together on an empty database do exactly that. Run again, it finds the
   * tables. A refused login is final at once.
   */
  static void createSchema(Connection c, SchemaStep create) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        begin(c);
        create.run(c);
        commit(c);
        return;
      } catch (SQLException e) {
        rollback(c);
        if (attempt >= 5 || refusedLogin(e)) {
          throw e;
        }
        try {
          Thread.sleep(100L * attempt + (long) (Math.random() * 100)); // on the thread that opens the store
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * Creates the chat tables where they are missing (in the connection's transaction; SQL that H2,
   * PostgreSQL and SQLite share): rooms_state, rooms_chunks and rooms_reserved (the seq up to which
   * an earlier version's chat room may have handed out numbers), as the last version with chat's
   * own storage left them, so that the import and the move of an earlier store read them alike.
   */
  static void createTables(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS rooms_state (room VARCHAR(64) PRIMARY KEY, seq BIGINT NOT NULL, "
          + "epoch BIGINT NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS rooms_chunks (room VARCHAR(64) NOT NULL, first_seq BIGINT NOT NULL, "
          + "last_seq BIGINT NOT NULL, records VARCHAR(10000000) NOT NULL, PRIMARY KEY (room, first_seq))");
      // a table of its own rather than a column of rooms_state: stores of earlier versions gain it
      // with CREATE TABLE IF NOT EXISTS, which all three databases share (ADD COLUMN IF NOT EXISTS they do not)
      st.execute("CREATE TABLE IF NOT EXISTS rooms_reserved (room VARCHAR(64) PRIMARY KEY, seq BIGINT NOT NULL, "
          + "epoch BIGINT NOT NULL)");
    }
  }
}
