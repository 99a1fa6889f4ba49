package durablerooms;

import durablerooms.config.ServerConfig;
import durablerooms.state.ChatRecord;
import durablerooms.storage.EarlierChatStore;
import durablerooms.storage.EmbeddedStore;
import durablerooms.storage.LogicArchive;
import durablerooms.storage.RoomArchive;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded store on disk is private to the node's user (its folder and files) and opens no port. */
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
    assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().equals("rooms.db")), files.toString());
    assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().equals("rooms.db-wal")), files.toString());
    for (Path f : files) {
      assertEquals("rw-------", permissions(f), f.toString());
    }
  }

  @Test
  @DisplayName("opening the embedded store opens no network port")
  void storeOpensNoPort(@TempDir Path dir) throws Exception {
    Set<Long> before = listeningSocketsOfThisProcess();
    Path data = dir.resolve("data");
    // as a node opens it: the earlier version's chat store read for the import, the room store written
    try (RoomArchive chats = EmbeddedStore.open(data, 100);
         LogicArchive rooms = LogicArchive.open(EmbeddedStore.url(data), "", "", 100)) {
      assertEquals(List.of(), chats.rooms());
      rooms.activate("r").get(10, TimeUnit.SECONDS);
      Set<Long> opened = listeningSocketsOfThisProcess();
      opened.removeAll(before);
      assertEquals(Set.of(), opened, "listening sockets the store opened");
    }
  }

  /** The inodes of the TCP sockets this process listens on (Linux: /proc/net/tcp and tcp6, state 0A, among /proc/self/fd). */
  private static Set<Long> listeningSocketsOfThisProcess() throws IOException {
    Set<Long> mine = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            mine.add(Long.parseLong(target.substring(8, target.length() - 1)));
          }
        } catch (IOException gone) {
          // closed meanwhile
        }
      }
    }
    Set<Long> listening = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
        String[] f = line.trim().split("\\s+");
        long inode = Long.parseLong(f[9]);
        if (f[3].equals("0A") && mine.contains(inode)) {
          listening.add(inode);
        }
      }
    }
    return listening;
  }

  private long seq(Node n, String room) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + n.httpPort() + "/api/rooms/" + room)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getLong("seq");
  }

  @Test
  @DisplayName("a node started again on its data folder finds its rooms in the store")
  void reopens(Vertx vertx, @TempDir Path dir) throws Exception {
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
  @DisplayName("the H2 store of an earlier version (with or without a password) is moved into the SQLite store at the next start, rooms intact")
  void movesAnEarlierStore(@TempDir Path dir) throws Exception {
    for (String password : List.of("", "0123456789abcdef")) {
      Path data = dir.resolve("data-" + password.length());
      ServerConfig c = configFor(data);
      Files.createDirectories(data);
      if (!password.isEmpty()) {
        Files.writeString(data.resolve("store.secret"), password + "\n");
      }
      String room = "old-" + UUID.randomUUID().toString().substring(0, 8);
      String journaled = "journaled-" + UUID.randomUUID().toString().substring(0, 8);
      // what an earlier version left: an H2 store in rooms.mv.db, and the chat journal of a process
      // that died before its last messages reached the store
      String h2 = "jdbc:h2:file:" + data.resolve("rooms").toAbsolutePath();
      List<ChatRecord> records = List.of(new ChatRecord(1, 1000, "ann", "m1", "one", "id-1", "c:ann|id-1"),
          new ChatRecord(2, 1001, "ann", "m1", "two", "id-2", "c:ann|id-2"));
      EarlierChatStore.room(h2, password, room, 1, 2, records);
      EarlierChatStore.journal(data.resolve("journal"), EarlierChatStore.records(journaled, 1, records),
          EarlierChatStore.reservation(journaled, 1, 5));
      Node n = TestNodes.start(c);
      try {
        assertEquals(2, seq(n, room));
        assertEquals(5, seq(n, journaled),
            "the earlier version's chat journal is replayed, and its room goes on after the seqs it reserved");
        assertFalse(Files.exists(data.resolve("rooms.mv.db")), "the H2 store is set aside");
        assertTrue(Files.exists(data.resolve("rooms.mv.db.moved")));
      } finally {
        TestNodes.stop(n);
      }
      Node again = TestNodes.start(c);
      try {
        assertEquals(2, seq(again, room), "the moved store opens again");
      } finally {
        TestNodes.stop(again);
      }
    }
  }
}
