package durablerooms;

import durablerooms.config.ServerConfig;
import durablerooms.storage.ChatRecord;
import durablerooms.storage.RoomArchive;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded store on disk is private to the node's user: its folder, its files, its password and its port. */
@ExtendWith(VertxExtension.class)
class StoreSecurityTest {
  /** A file of someone else's in the data folder: the node leaves it as it is. */
  private static final String OTHER_FILE = "notes.txt";
  @TempDir
  static Path shared;
  private static ServerConfig config;
  private static Node node;
  private final HttpClient http = HttpClient.newHttpClient();

  private static ServerConfig configFor(Path dataDir) {
    return ServerConfig.of(TestNodes.settings("store-" + UUID.randomUUID(), TestNodes.clusterPort(),
        Map.of("ROOMS_DATA_DIR", dataDir.toString())));
  }

  @BeforeAll
  static void startNode() throws IOException {
    Path dataDir = shared.resolve("data");
    // a folder left open to everyone (umask 022), as earlier versions created it
    Files.createDirectories(dataDir);
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path other = Files.writeString(dataDir.resolve(OTHER_FILE), "not the node's");
    Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-r--r--"));
    config = configFor(dataDir);
    node = TestNodes.start(config);
  }

  @AfterAll
  static void stopNode() {
    TestNodes.stop(node);
  }

  private static String permissions(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  @DisplayName("the data folder is rwx------ and every file of the store and journal rw-------, also when the folder existed; other files are left alone")
  void dataFolderIsPrivate() throws IOException {
    Path dir = Path.of(config.dataDir());
    assertEquals("rwx------", permissions(dir));
    assertEquals("rwx------", permissions(dir.resolve("journal")));
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals(OTHER_FILE)).toList();
    }
    assertEquals("rw-r--r--", permissions(dir.resolve(OTHER_FILE)));
    assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().equals("rooms.mv.db")), files.toString());
    assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().equals("rooms.lock.db")), files.toString());
    for (Path f : files) {
      assertEquals("rw-------", permissions(f), f.toString());
    }
  }

  @Test
  @DisplayName("the embedded store refuses a connection without its password")
  void emptyPasswordRefused() {
    SQLException refused = assertThrows(SQLException.class,
        () -> DriverManager.getConnection(config.effectiveStoreUrl(), "", "").close());
    assertEquals(28000, refused.getErrorCode(), refused.getMessage());
  }

  @Test
  @DisplayName("the store's server for the machine's other nodes listens on loopback only")
  void storeServerOnLoopbackOnly() throws IOException {
    Properties lock = new Properties();
    try (InputStream in = Files.newInputStream(Path.of(config.dataDir(), "rooms.lock.db"))) {
      lock.load(in);
    }
    String server = lock.getProperty("server");
    int port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
    assertTrue(connects(InetAddress.getByName("127.0.0.1"), port), "loopback: " + server);
    InetAddress other = otherLocalAddress();
    assertFalse(connects(other, port), "the store's port " + port + " reachable on " + other.getHostAddress());
  }

  /** A non-loopback address of this machine, else 127.0.0.2 (loopback, but not the bound 127.0.0.1). */
  private static InetAddress otherLocalAddress() throws IOException {
    for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
      for (InetAddress a : nif.isUp() ? nif.inetAddresses().toList() : List.<InetAddress>of()) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return a;
        }
      }
    }
    return InetAddress.getByName("127.0.0.2");
  }

  private static boolean connects(InetAddress address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 2000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  private long seq(Node n, String room) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + n.httpPort() + "/api/rooms/" + room)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getLong("seq");
  }

  @Test
  @DisplayName("a node started again on its data folder opens the store with the secret kept there, rooms intact")
  void reopensWithTheSecret(Vertx vertx, @TempDir Path dir) throws Exception {
    ServerConfig c = configFor(dir.resolve("data"));
    String room = "kept-" + UUID.randomUUID().toString().substring(0, 8);
    Node first = TestNodes.start(c);
    try (WsClient a = WsClient.join(vertx, first.httpPort(), "/chat/" + room + "?name=ann")) {
      a.say("before the restart", "m1");
      a.nextOfType("ACK");
    } finally {
      TestNodes.stop(first);
    }
    Node second = TestNodes.start(configFor(dir.resolve("data")));
    try {
      assertEquals(1, seq(second, room));
    } finally {
      TestNodes.stop(second);
    }
  }

  @Test
  @DisplayName("a store an earlier version created without a password gets one at the next start, rooms intact")
  void migratesAStoreWithoutPassword(@TempDir Path dir) throws Exception {
    ServerConfig c = configFor(dir.resolve("data"));
    Files.createDirectories(dir.resolve("data"));
    String room = "old-" + UUID.randomUUID().toString().substring(0, 8);
    // what an earlier version left: the store opened with no user and no password
    try (RoomArchive old = RoomArchive.open(c.effectiveStoreUrl(), "", "", 100, dir.resolve("data").resolve("journal"))) {
      List<ChatRecord> records = List.of(new ChatRecord(1, 1000, "ann", "m1", "one", "id-1", "c:ann|id-1"),
          new ChatRecord(2, 1001, "ann", "m1", "two", "id-2", "c:ann|id-2"));
      old.append(room, 1, records).get(10, TimeUnit.SECONDS);
      old.checkpoint(room, 1, 2, records).get(10, TimeUnit.SECONDS);
    }
    Node n = TestNodes.start(c);
    try {
      assertEquals(2, seq(n, room));
      SQLException refused = assertThrows(SQLException.class,
          () -> DriverManager.getConnection(c.effectiveStoreUrl(), "", "").close());
      assertEquals(28000, refused.getErrorCode(), refused.getMessage());
    } finally {
      TestNodes.stop(n);
    }
    Node again = TestNodes.start(c);
    try {
      assertEquals(2, seq(again, room), "the migrated store opens again");
    } finally {
      TestNodes.stop(again);
    }
  }
}
