package durablerooms.storage;

import durablerooms.state.ChatRecord;
import durablerooms.state.RoomState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static durablerooms.storage.EarlierChatStore.journal;
import static durablerooms.storage.EarlierChatStore.reservation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * An earlier version's chat store as the upgrade reads it (H2 in memory here): its rooms, the
 * journals its processes left, and its older form of a row per message.
 */
class RoomArchiveTest {
  @TempDir
  Path journals;
  private final String url = storeUrl();

  /** The store under test: H2 in memory here; the embedded default in {@link SqliteRoomArchiveTest}. */
  String storeUrl() {
    return "jdbc:h2:mem:archive-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
  }

  private RoomArchive open(Path journalDir) throws Exception {
    return RoomArchive.open(url, "", "", 100, journalDir);
  }

  private static List<ChatRecord> records(long from, long to) {
    return LongStream.rangeClosed(from, to)
        .mapToObj(seq -> new ChatRecord(seq, 1000 + seq, "ann", "m1", "message " + seq, "id-" + seq, "c:ann|id-" + seq))
        .toList();
  }

  private static List<Long> seqs(RoomState state) {
    return state.messages().stream().map(ChatRecord::seq).toList();
  }

  @SafeVarargs
  private void stored(String room, long epoch, long seq, List<ChatRecord>... chunks) throws Exception {
    EarlierChatStore.room(url, "", room, epoch, seq, chunks);
  }

  @Test
  @DisplayName("a stored room is listed and loads with its seq, epoch and messages, across its chunk rows")
  void aStoredRoomLoadsAsStored() throws Exception {
    stored("r1", 1, 5, records(1, 3), records(4, 5));
    try (RoomArchive archive = open(journals)) {
      assertEquals(List.of("r1"), archive.rooms());
      RoomState state = archive.load("r1");
      assertEquals(5, state.seq());
      assertEquals(1, state.epoch());
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(state));
      assertEquals("message 4", state.messages().stream().filter(r -> r.seq() == 4).findFirst().orElseThrow().text());
    }
  }

  @Test
  @DisplayName("a chat journal file left half-created by a killed process is removed when the store opens")
  void aHalfCreatedJournalIsRemoved() throws Exception {
    Path dir = journals.resolve("creating");
    Files.createDirectories(dir);
    Path left = dir.resolve("journal-" + UUID.randomUUID() + ".log.creating");
    Files.createFile(left); // a process killed between creating its journal and locking it
    try (RoomArchive archive = open(dir)) {
      assertFalse(Files.exists(left), "the half-created file is removed");
      assertEquals(List.of(), archive.rooms());
    }
  }

  @Test
  @DisplayName("messages journaled by a process that died reach the store when it opens")
  void replaysJournalOfDeadProcess() throws Exception {
    stored("r4", 3, 2, records(1, 2));
    Path dead = journals.resolve("dead");
    // a process that journaled 2..5 and died before its commit
    journal(dead, EarlierChatStore.records("r4", 3, records(2, 4)), EarlierChatStore.records("r5", 1, records(1, 1)),
        EarlierChatStore.records("r4", 3, records(5, 5)));
    try (RoomArchive next = open(dead)) {
      RoomState r4 = next.load("r4");
      assertEquals(5, r4.seq());
      assertEquals(3, r4.epoch());
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(r4));
      assertEquals("message 5", r4.messages().get(r4.messages().size() - 1).text());
      assertEquals(List.of(1L), seqs(next.load("r5")));
    }
    assertEquals(0, journalFiles(dead), "replayed files are deleted");
  }

  @Test
  @DisplayName("a room whose journaled reservation outlived its newest messages loads after every seq it reserved")
  void reservationOutlivesLostMessages() throws Exception {
    Path dead = journals.resolve("lost-tail");
    // a process that reserved 1..1000, journaled 1..3, then died; r12's messages never reached the journal
    journal(dead, reservation("r11", 1, 1000), EarlierChatStore.records("r11", 1, records(1, 3)),
        reservation("r12", 1, 1000));
    try (RoomArchive next = open(dead)) {
      RoomState r11 = next.load("r11");
      assertEquals(1000, r11.seq(), "the next seq is past every seq that may have been handed out");
      assertEquals(List.of(1L, 2L, 3L), seqs(r11), "what was stored stays retained");
      RoomState r12 = next.load("r12");
      assertEquals(1000, r12.seq(), "a room none of whose messages were stored is still known, past its reservation");
      assertEquals(List.of(), seqs(r12));
    }
  }

  @Test
  @DisplayName("a journal cut off in the middle of a write replays up to the last whole entry")
  void tornJournal() throws Exception {
    Path dead = journals.resolve("torn");
    Path file = journal(dead, EarlierChatStore.records("r6", 1, records(1, 3)),
        EarlierChatStore.records("r6", 1, records(4, 4)));
    long size = Files.size(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size - 5); // the second write was cut short
    }
    try (RoomArchive next = open(dead)) {
      assertEquals(List.of(1L, 2L, 3L), seqs(next.load("r6")));
    }
  }

  @Test
  @DisplayName("the journal of a process that still runs is left alone, and replayed once that process is gone")
  void liveJournalIsNotReplayed() throws Exception {
    Path dir = journals.resolve("live");
    Path file = journal(dir, EarlierChatStore.records("r7", 1, records(1, 2)));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE); FileLock held = ch.lock()) {
      try (RoomArchive archive = open(dir)) {
        assertNull(archive.load("r7"), "not replayed while its process holds it");
      }
      assertEquals(1, journalFiles(dir), "and not deleted");
    }
    try (RoomArchive archive = open(dir)) {
      assertEquals(List.of(1L, 2L), seqs(archive.load("r7")));
    }
    assertEquals(0, journalFiles(dir));
  }

  @Test
  @DisplayName("any text comes back as it was written, stored or journaled: separators, digits, unicode, missing fields, long messages")
  void textComesBackExactly() throws Exception {
    String longText = "x".repeat(600_000); // two of them do not fit one chunk row
    List<ChatRecord> written = List.of(
        new ChatRecord(1, 5, "a:b,c", null, "12:34,-5:", null, null),
        new ChatRecord(2, 6, "Zoë 😀", "m-2", "", "id,2", "c:Zoë|id,2"),
        new ChatRecord(3, 7, "-", "-", longText, "-", "-"),
        new ChatRecord(4, 8, "ann", "m1", longText + "!", "id-4", "k"));
    stored("r8", 1, 4, written.subList(0, 2), written.subList(2, 3), written.subList(3, 4));
    Path dead = journals.resolve("text");
    journal(dead, EarlierChatStore.records("r8j", 1, written.subList(0, 2)),
        EarlierChatStore.records("r8j", 1, written.subList(2, 4)));
    try (RoomArchive archive = open(dead)) {
      assertEquals(written, archive.load("r8").messages());
      assertEquals(written, archive.load("r8j").messages());
    }
  }

  @Test
  @DisplayName("a room loads with its last ROOMS_HISTORY_LIMIT messages (100 here)")
  void retention() throws Exception {
    @SuppressWarnings("unchecked")
    List<ChatRecord>[] chunks = LongStream.range(0, 25).mapToObj(i -> records(10 * i + 1, 10 * i + 10))
        .toArray(List[]::new);
    stored("r10", 1, 250, chunks);
    try (RoomArchive archive = open(journals)) {
      RoomState state = archive.load("r10");
      assertEquals(250, state.seq());
      assertEquals(LongStream.rangeClosed(151, 250).boxed().toList(), seqs(state));
    }
  }

  /** An H2 store as earlier versions wrote it (a row per message), with rooms a (3 messages) and b (1). */
  private static String oldStore() throws Exception {
    String old = "jdbc:h2:mem:old-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    try (Connection c = DriverManager.getConnection(old); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE rooms_state (room VARCHAR(64) PRIMARY KEY, seq BIGINT NOT NULL, epoch BIGINT NOT NULL)");
      st.execute("CREATE TABLE rooms_messages (room VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, "
          + "ts BIGINT NOT NULL, user_name VARCHAR(1000) NOT NULL, member_id VARCHAR(100), "
          + "body VARCHAR(1000000) NOT NULL, client_id VARCHAR(1000), dedupe_key VARCHAR(2000), "
          + "PRIMARY KEY (room, seq))");
      st.execute("INSERT INTO rooms_state VALUES ('a', 3, 2), ('b', 1, 1)");
      st.execute("INSERT INTO rooms_messages VALUES ('a', 1, 11, 'ann', 'm1', 'one', 'i1', 'k1'), "
          + "('a', 2, 12, 'bob', NULL, 'two', NULL, NULL), ('a', 3, 13, 'ann', 'm1', 'three', 'i3', 'k3'), "
          + "('b', 1, 21, 'cy', 'm9', 'hello', NULL, NULL)");
    }
    return old;
  }

  @Test
  @DisplayName("a store of an earlier version (a row per message) is moved into chunks when it opens")
  void migratesMessageRows() throws Exception {
    String old = oldStore();
    try (RoomArchive migrated = RoomArchive.open(old, "", "", 100, journals.resolve("old"))) {
      RoomState a = migrated.load("a");
      assertEquals(3, a.seq());
      assertEquals(2, a.epoch());
      assertEquals(List.of(new ChatRecord(1, 11, "ann", "m1", "one", "i1", "k1"),
          new ChatRecord(2, 12, "bob", null, "two", null, null),
          new ChatRecord(3, 13, "ann", "m1", "three", "i3", "k3")), a.messages());
      assertEquals(List.of("hello"), migrated.load("b").messages().stream().map(ChatRecord::text).toList());
    }
    try (Connection c = DriverManager.getConnection(old);
         ResultSet rs = c.getMetaData().getTables(null, null, "ROOMS_MESSAGES", null)) {
      assertFalse(rs.next(), "the old table is dropped");
    }
  }

  @Test
  @DisplayName("two nodes opening an earlier version's store at once both start, and every message is there once")
  void migratesOnceWhenOpenedTogether() throws Exception {
    String old = oldStore();
    try (Connection c = DriverManager.getConnection(old); Statement st = c.createStatement()) {
      // enough rows that the two migrations overlap
      st.execute("INSERT INTO rooms_messages SELECT 'c', X, X, 'ann', 'm1', 'message ' || X, NULL, NULL "
          + "FROM SYSTEM_RANGE(1, 20000)");
      st.execute("INSERT INTO rooms_state VALUES ('c', 20000, 1)");
    }
    CompletableFuture<RoomArchive> first = CompletableFuture.supplyAsync(() -> openQuietly(old, "n1"));
    CompletableFuture<RoomArchive> second = CompletableFuture.supplyAsync(() -> openQuietly(old, "n2"));
    try (RoomArchive a = first.get(60, TimeUnit.SECONDS); RoomArchive b = second.get(60, TimeUnit.SECONDS)) {
      for (RoomArchive archive : List.of(a, b)) {
        assertEquals(List.of(1L, 2L, 3L), seqs(archive.load("a")));
        assertEquals(LongStream.rangeClosed(19901, 20000).boxed().toList(), seqs(archive.load("c")));
      }
    }
  }

  private RoomArchive openQuietly(String url, String node) {
    try {
      return RoomArchive.open(url, "", "", 100, journals.resolve(node));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static long journalFiles(Path dir) throws Exception {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".log")).count();
    }
  }
}
