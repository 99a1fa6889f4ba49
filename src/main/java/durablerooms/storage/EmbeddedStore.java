package durablerooms.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The default room store: a SQLite file in the data folder ({@value #FILE}), shared by the nodes of
 * one machine through the file system's locks. No process serves it to the others and none opens a
 * network port for it, so the death of any node stops no other node's writes: a lock dies with its
 * process. The folder is rwx------ and the store's files rw-------. A store of an earlier version
 * (H2, rooms.mv.db, served to the machine's other nodes over a TCP port) is moved into it once, by
 * the first node that starts.
 */
public final class EmbeddedStore {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStore.class);
  /** The store's file in the data folder; SQLite adds rooms.db-wal and rooms.db-shm beside it. */
  static final String FILE = "rooms.db";
  private static final String FILE_PREFIX = "rooms.";
  private static final String SQLITE = "jdbc:sqlite:";
  /** How long a write waits for another node's transaction on the file (its commits take milliseconds). */
  private static final int BUSY_TIMEOUT_MS = 30_000;
  /** The H2 store of earlier versions, and the secret that some of them protected it with. */
  private static final String OLD_STORE = "rooms.mv.db";
  private static final String OLD_SECRET = "store.secret";
  private static final String H2_BIND_ADDRESS = "h2.bindAddress";

  private EmbeddedStore() {}

  /** The JDBC URL of the embedded store in {@code dataDir}. */
  public static String url(Path dataDir) {
    return SQLITE + dataDir.resolve(FILE).toAbsolutePath();
  }

  static boolean isSqlite(String url) {
    return url.startsWith(SQLITE);
  }

  /**
   * SQLite's settings for the store: write-ahead log (readers never wait for a writer, and a commit
   * is an append), commits that reach the file at once but are not flushed to the disk one by one
   * (a killed process loses nothing committed; the journal is the copy that is flushed), and a wait
   * for another node's transaction instead of an error. Write transactions are begun explicitly
   * ({@link RoomArchive#begin}).
   */
  static Properties sqliteProperties() {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout(BUSY_TIMEOUT_MS);
    return config.toProperties();
  }

  /**
   * H2 binds its servers to the system property h2.bindAddress, or to every interface without it,
   * and reads it once, when its SysProperties class loads: set before this process's first H2
   * connection (a store named by ROOMS_STORE_URL may be H2 with AUTO_SERVER). A value set on the
   * command line is kept.
   */
  static void h2OnLoopbackOnly() {
    if (System.getProperty(H2_BIND_ADDRESS) == null) {
      System.setProperty(H2_BIND_ADDRESS, "127.0.0.1");
    }
  }

  /**
   * Opens the store in {@code dataDir}: makes the folder private, moves an earlier version's store
   * into it if there is one, opens its chat tables for the import of chat rooms (replaying the chat
   * journals an earlier version left in dataDir/journal) and makes the store's files private.
   */
  public static RoomArchive open(Path dataDir, int historyLimit) throws IOException, SQLException {
    DataFolder.makePrivate(dataDir);
    String url = url(dataDir);
    moveEarlierStore(dataDir, url, historyLimit);
    RoomArchive archive = RoomArchive.open(url, "", "", historyLimit, dataDir.resolve(DataFolder.JOURNAL));
    DataFolder.restrictOwnFiles(dataDir, FILE_PREFIX);
    return archive;
  }

  /**
   * Copies the H2 store of an earlier version into the SQLite store, in one transaction that holds
   * the SQLite file's write lock: nodes that start together wait for it, and the one that finds the
   * H2 store renamed (rooms.mv.db.moved) has nothing to do. The H2 store is first opened as an
   * archive of its own, which replays the journals its nodes left, so the copy holds all they
   * stored. It is renamed, not deleted.
   */
  private static void moveEarlierStore(Path dataDir, String url, int historyLimit) throws IOException, SQLException {
    Path old = dataDir.resolve(OLD_STORE);
    if (!Files.exists(old)) {
      return;
    }
    try (Connection target = RoomArchive.connect(url, "", "")) {
      RoomArchive.begin(target); // the write lock: nodes starting together wait here
      RoomArchive.createTables(target);
      if (!Files.exists(old)) {
        RoomArchive.rollback(target);
        return; // another node moved it while this one waited
      }
      String h2 = "jdbc:h2:file:" + dataDir.resolve("rooms").toAbsolutePath();
      String secret = oldSecret(dataDir);
      RoomArchive.open(h2, "", secret, historyLimit, dataDir.resolve(DataFolder.JOURNAL)).close();
      int rooms;
      try (Connection source = RoomArchive.connect(h2, "", secret)) {
        rooms = copy(source, target, "SELECT room, seq, epoch FROM rooms_state",
            "INSERT INTO rooms_state (room, seq, epoch) VALUES (?, ?, ?)");
        copy(source, target, "SELECT room, first_seq, last_seq, records FROM rooms_chunks",
            "INSERT INTO rooms_chunks (room, first_seq, last_seq, records) VALUES (?, ?, ?, ?)");
        // a room whose last activation died goes on after the seqs it reserved, which members may have seen
        copy(source, target, "SELECT room, seq, epoch FROM rooms_reserved",
            "INSERT INTO rooms_reserved (room, seq, epoch) VALUES (?, ?, ?)");
      }
      RoomArchive.commit(target);
      Files.move(old, dataDir.resolve(OLD_STORE + ".moved"), StandardCopyOption.ATOMIC_MOVE);
      LOG.info("moved the room store of an earlier version ({} rooms) from {} into {}", rooms, OLD_STORE, FILE);
    }
  }

  /** The password an earlier version gave its H2 store, or the empty one it had before that. */
  private static String oldSecret(Path dataDir) throws IOException {
    Path file = dataDir.resolve(OLD_SECRET);
    return Files.exists(file) ? Files.readString(file, StandardCharsets.US_ASCII).trim() : "";
  }

  /** Copies the rows {@code select} reads into {@code insert} (the same columns); returns how many. */
  private static int copy(Connection from, Connection to, String select, String insert) throws SQLException {
    int rows = 0;
    try (Statement st = from.createStatement(); ResultSet rs = st.executeQuery(select);
         PreparedStatement ps = to.prepareStatement(insert)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        for (int i = 1; i <= columns; i++) {
          ps.setObject(i, rs.getObject(i));
        }
        ps.addBatch();
        if (++rows % 500 == 0) {
          ps.executeBatch();
        }
      }
      ps.executeBatch();
    }
    return rows;
  }
}
