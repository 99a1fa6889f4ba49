package durablerooms.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

/**
 * The default room store: an H2 file in the data folder, opened with a password. The password is
 * a random secret written at the first start into {@value #SECRET_FILE} beside the store (rw-------,
 * in a rwx------ folder), and read from there by every node that shares the folder. A store made
 * by an earlier version, without a password, gets this one when a node first opens it.
 *
 * <p>H2's AUTO_SERVER mode, which lets the nodes of one machine share the file, opens a TCP port
 * in the process that holds the file and writes its address into rooms.lock.db for the others: it
 * listens on loopback only here (see {@link #serveOnLoopbackOnly}). Whoever holds the password may
 * still run any SQL, CREATE ALIAS (Java code in the node) included: H2 lets every admin do that,
 * and has no setting that limits it to some connections.
 */
public final class EmbeddedStore {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStore.class);
  static final String SECRET_FILE = "store.secret";
  /** The store's files in the data folder: rooms.mv.db, rooms.lock.db, rooms.trace.db (see ServerConfig.effectiveStoreUrl). */
  private static final String FILE_PREFIX = "rooms.";
  /** The user H2 creates when a connection names none: what earlier versions used, kept so their stores open. */
  static final String USER = "";
  private static final String BIND_ADDRESS = "h2.bindAddress";

  private EmbeddedStore() {}

  /**
   * H2 binds its servers (AUTO_SERVER's among them) to the system property h2.bindAddress, or to
   * every interface without it, and reads it once, when its SysProperties class loads: this runs
   * before this process's first JDBC connection (from {@link #open} and from RoomArchive's class
   * initialisation). A value set on the command line is kept.
   */
  static void serveOnLoopbackOnly() {
    if (System.getProperty(BIND_ADDRESS) == null) {
      System.setProperty(BIND_ADDRESS, "127.0.0.1");
    }
  }

  /**
   * Opens the store at {@code url} (an H2 file in {@code dataDir}): makes the folder private,
   * reads or creates the secret, gives a store without a password this one, opens the archive
   * with it (journal in dataDir/journal) and makes the files H2 created private.
   */
  public static RoomArchive open(Path dataDir, String url, int historyLimit) throws IOException, SQLException {
    serveOnLoopbackOnly();
    DataFolder.makePrivate(dataDir);
    String secret = secret(dataDir);
    setPasswordIfNone(url, secret);
    RoomArchive archive = RoomArchive.open(url, USER, secret, historyLimit, dataDir.resolve(DataFolder.JOURNAL));
    DataFolder.restrictOwnFiles(dataDir, FILE_PREFIX, SECRET_FILE);
    return archive;
  }

  /**
   * The secret in {@code dataDir}, created if there is none. Nodes of one machine may start
   * together: the file appears whole (a hard link to a finished temporary file) or not at all, and
   * a node that finds another's there takes that one.
   */
  static String secret(Path dataDir) throws IOException {
    Path file = dataDir.resolve(SECRET_FILE);
    if (!Files.exists(file)) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      Path fresh = Files.createTempFile(dataDir, SECRET_FILE, ".new");
      try {
        DataFolder.restrict(fresh);
        Files.writeString(fresh, HexFormat.of().formatHex(random) + "\n", StandardCharsets.US_ASCII);
        try {
          Files.createLink(file, fresh);
        } catch (UnsupportedOperationException noLinks) {
          Files.move(fresh, file);
        }
      } catch (FileAlreadyExistsException another) {
        // another node wrote it first: its secret is the store's
      } finally {
        Files.deleteIfExists(fresh);
      }
    }
    DataFolder.restrict(file);
    String secret = Files.readString(file, StandardCharsets.US_ASCII).trim();
    if (secret.isEmpty()) {
      throw new IOException(file + " is empty: delete it only if the store has no password yet");
    }
    return secret;
  }

  /**
   * Gives a store created without a password (by an earlier version) the secret: one connection
   * with the empty password sets it. A new store is created with the secret by the first
   * connection, and one that has it already opens. If another node sets the password meanwhile,
   * the empty one is refused and the secret then opens the store.
   */
  private static void setPasswordIfNone(String url, String secret) throws SQLException {
    try (Connection c = RoomArchive.connect(url, USER, secret)) {
      return;
    } catch (SQLException e) {
      if (!RoomArchive.refusedLogin(e)) {
        throw e;
      }
    }
    // without a user and password, as the earlier versions connected
    try (Connection c = RoomArchive.connect(url, "", "");
         Statement st = c.createStatement()) {
      st.execute("SET PASSWORD '" + secret + "'"); // hexadecimal: nothing to quote
      LOG.info("the embedded room store had no password: it has one now (in {})", SECRET_FILE);
    } catch (SQLException e) {
      if (!RoomArchive.refusedLogin(e)) {
        throw e;
      }
    }
  }
}
