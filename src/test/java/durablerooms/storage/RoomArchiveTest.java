package durablerooms.storage;

import durablerooms.state.ChatRecord;
import durablerooms.state.RoomState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The room store on disk (H2 in memory here): what a sleeping room wakes up with. */
class RoomArchiveTest {
  @TempDir
  Path journals;
  private final String url = storeUrl();

  /** The store under test: H2 in memory here; the embedded default in {@link SqliteRoomArchiveTest}. */
  String storeUrl() {
    return "jdbc:h2:mem:archive-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
  }
  private RoomArchive archive;

  @BeforeEach
  void open() throws Exception {
    archive = RoomArchive.open(url, "", "", 100, journals);
  }

  @AfterEach
  void close() {
    archive.close();
  }

  private static List<ChatRecord> records(long from, long to) {
    return LongStream.rangeClosed(from, to)
        .mapToObj(seq -> new ChatRecord(seq, 1000 + seq, "ann", "m1", "message " + seq, "id-" + seq, "c:ann|id-" + seq))
        .toList();
  }

  private static void await(CompletableFuture<Void> f) throws Exception {
    f.get(10, TimeUnit.SECONDS);
  }

  private static List<Long> seqs(RoomState state) {
    return state.messages().stream().map(ChatRecord::seq).toList();
  }

  @Test
  @DisplayName("a room's messages and seq come back as they were written, after its checkpoint")
  void roundTrip() throws Exception {
    await(archive.append("r1", 1, records(1, 3)));
    await(archive.append("r1", 1, records(4, 5)));
    await(archive.checkpoint("r1", 1, 5, records(1, 5)));
    RoomState state = archive.load("r1");
    assertEquals(5, state.seq());
    assertEquals(1, state.epoch());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(state));
    assertEquals("message 4", state.messages().stream().filter(r -> r.seq() == 4).findFirst().orElseThrow().text());
  }

  @Test
  @DisplayName("a room whose write failed goes to sleep with its whole retained history on disk")
  void checkpointAfterFailedWrite() throws Exception {
    await(archive.append("r2", 1, records(1, 2)));
    await(archive.flush());
    // seq 2 is stored already: the database refuses the whole write of 2..4, so 3 and 4 are only in
    // the journal (the append completed there) and the cluster's memory
    await(archive.append("r2", 1, records(2, 4)));
    await(archive.flush());
    assertEquals(List.of(1L, 2L), seqs(archive.load("r2")));
    await(archive.append("r2", 1, records(5, 5))); // later writes of the room succeed
    await(archive.checkpoint("r2", 1, 5, records(1, 5)));
    RoomState state = archive.load("r2");
    assertEquals(5, state.seq());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(state));
  }

  @Test
  @DisplayName("the checkpoint of a fenced activation does not write its stale history over the newer one's")
  void staleCheckpointAfterFailedWrite() throws Exception {
    await(archive.append("r3", 1, records(1, 2)));
    await(archive.flush());
    await(archive.append("r3", 1, records(2, 3))); // refused by the database: seq 2 is stored
    await(archive.flush());
    await(archive.append("r3", 2, records(3, 6))); // the room moved: a newer activation stores 3..6
    await(archive.flush());
    List<ChatRecord> stale = records(1, 2).stream()
        .map(r -> new ChatRecord(r.seq(), r.ts(), r.user(), r.memberId(), "stale", r.id(), r.dedupeKey()))
        .toList();
    await(archive.checkpoint("r3", 1, 2, stale)); // the old activation, resumed, stops
    RoomState state = archive.load("r3");
    assertEquals(6, state.seq());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs(state));
    assertEquals("message 1", state.messages().get(0).text());
  }

  @Test
  @DisplayName("a journal file has a journal's name only once it is locked; a file left half-created by a killed process is removed")
  void aJournalIsNamedOnlyOnceLocked() throws Exception {
    Path dir = journals.resolve("creating");
    Files.createDirectories(dir);
    Path left = dir.resolve("journal-" + UUID.randomUUID() + ".log.creating");
    Files.createFile(left); // a process killed between creating its journal and locking it
    try (Journal journal = Journal.create(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        assertEquals(1, files.filter(f -> f.toString().endsWith(".log")).count(), "named once locked");
      }
      assertEquals(0, Journal.recover(dir, entries -> { throw new AssertionError("a live journal was replayed"); }));
      assertFalse(Files.exists(left), "the half-created file is removed");
    }
  }

  @Test
  @DisplayName("messages journaled by a process that died reach the store when the next one opens it")
  void replaysJournalOfDeadProcess() throws Exception {
    await(archive.append("r4", 3, records(1, 2)));
    await(archive.checkpoint("r4", 3, 2, records(1, 2)));
    Path dead = journals.resolve("dead");
    try (Journal journal = Journal.create(dead)) { // a process that journaled 2..5 and died before its commit
      journal.write(List.of(new Journal.Entry("r4", 3, records(2, 4)), new Journal.Entry("r5", 1, records(1, 1))));
      journal.write(List.of(new Journal.Entry("r4", 3, records(5, 5))));
    }
    try (RoomArchive next = RoomArchive.open(url, "", "", 100, dead)) {
      RoomState r4 = next.load("r4");
      assertEquals(5, r4.seq());
      assertEquals(3, r4.epoch());
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(r4));
      assertEquals("message 5", r4.messages().get(r4.messages().size() - 1).text());
      assertEquals(List.of(1L), seqs(next.load("r5")));
    }
    try (Stream<Path> left = Files.list(dead)) {
      assertEquals(List.of(), left.filter(f -> f.toString().endsWith(".log")).toList(), "replayed files are deleted");
    }
  }

  @Test
  @DisplayName("a room whose journaled reservation outlived its newest messages loads after every seq it reserved")
  void reservationOutlivesLostMessages() throws Exception {
    Path dead = journals.resolve("lost-tail");
    try (Journal journal = Journal.create(dead)) { // a process that reserved 1..1000, journaled 1..3, then died
      journal.write(List.of(Journal.Entry.reservation("r11", 1, 1000), new Journal.Entry("r11", 1, records(1, 3))));
      journal.write(List.of(Journal.Entry.reservation("r12", 1, 1000))); // its messages never reached the journal
    }
    try (RoomArchive next = RoomArchive.open(url, "", "", 100, dead)) {
      RoomState r11 = next.load("r11");
      assertEquals(1000, r11.seq(), "the next seq is past every seq that may have been handed out");
      assertEquals(List.of(1L, 2L, 3L), seqs(r11), "what was stored stays retained");
      RoomState r12 = next.load("r12");
      assertEquals(1000, r12.seq(), "a room none of whose messages were stored is still known, past its reservation");
      assertEquals(List.of(), seqs(r12));
    }
  }

  @Test
  @DisplayName("a clean checkpoint gives the reservation back: the room wakes at its next seq")
  void cleanCheckpointGivesReservationBack() throws Exception {
    await(archive.reserve("r13", 1, 1000));
    await(archive.append("r13", 1, records(1, 4)));
    await(archive.flush());
    assertEquals(1000, archive.load("r13").seq(), "while active, the room would restart past its reservation");
    await(archive.checkpoint("r13", 1, 4, records(1, 4)));
    assertEquals(4, archive.load("r13").seq());
  }

  @Test
  @DisplayName("an unclean checkpoint, or a stale activation's, leaves the reservation in place")
  void reservationStaysUnlessGivenBackCleanly() throws Exception {
    await(archive.reserve("r14", 1, 1000));
    await(archive.append("r14", 1, records(1, 2)));
    await(archive.checkpoint("r14", 1, 2, records(1, 2), false));
    assertEquals(1000, archive.load("r14").seq(), "a room that broke down may have handed out seqs it did not store");
    await(archive.reserve("r14", 3, 2003));
    await(archive.reserve("r14", 2, 1500)); // an older activation's reservation, committed later, lowers nothing
    await(archive.checkpoint("r14", 2, 2, records(1, 2))); // the older activation stops cleanly
    assertEquals(2003, archive.load("r14").seq(), "the newer activation's reservation stays");
  }

  @Test
  @DisplayName("a journal cut off in the middle of a write replays up to the last whole entry")
  void tornJournal() throws Exception {
    Path dead = journals.resolve("torn");
    Path file;
    try (Journal journal = Journal.create(dead)) {
      journal.write(List.of(new Journal.Entry("r6", 1, records(1, 3))));
      journal.write(List.of(new Journal.Entry("r6", 1, records(4, 4))));
      try (Stream<Path> files = Files.list(dead)) {
        file = files.findFirst().orElseThrow();
      }
    }
    long size = Files.size(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size - 5); // the second write was cut short
    }
    try (RoomArchive next = RoomArchive.open(url, "", "", 100, dead)) {
      assertEquals(List.of(1L, 2L, 3L), seqs(next.load("r6")));
    }
  }

  @Test
  @DisplayName("the journal of a running process is left alone, and deleted when it closes with everything stored")
  void liveJournalIsNotReplayed() throws Exception {
    await(archive.append("r7", 1, records(1, 1)));
    try (RoomArchive other = RoomArchive.open(url, "", "", 100, journals)) { // a second node on the same folder
      assertEquals(2, journalFiles(), "the running archive's journal is still there");
      await(archive.append("r7", 1, records(2, 2))); // and still written
      await(archive.flush());
      assertEquals(List.of(1L, 2L), seqs(other.load("r7")));
    }
    assertEquals(1, journalFiles());
    archive.close();
    assertEquals(0, journalFiles());
    archive = RoomArchive.open(url, "", "", 100, journals);
  }

  @Test
  @DisplayName("any text comes back as it was written: separators, digits, unicode, missing fields, long messages")
  void textComesBackExactly() throws Exception {
    String longText = "x".repeat(600_000); // two of them do not fit one chunk row
    List<ChatRecord> written = List.of(
        new ChatRecord(1, 5, "a:b,c", null, "12:34,-5:", null, null),
        new ChatRecord(2, 6, "Zoë 😀", "m-2", "", "id,2", "c:Zoë|id,2"),
        new ChatRecord(3, 7, "-", "-", longText, "-", "-"),
        new ChatRecord(4, 8, "ann", "m1", longText + "!", "id-4", "k"));
    await(archive.append("r8", 1, written.subList(0, 2)));
    await(archive.append("r8", 1, written.subList(2, 4)));
    await(archive.checkpoint("r8", 1, 4, written));
    assertEquals(written, archive.load("r8").messages());
  }

  @Test
  @DisplayName("after a takeover, the records it writes again replace the stored ones from its first seq on")
  void replaceKeepsEarlierRecords() throws Exception {
    await(archive.append("r9", 1, records(1, 5)));
    await(archive.flush());
    List<ChatRecord> again = records(3, 6).stream()
        .map(r -> new ChatRecord(r.seq(), r.ts(), r.user(), r.memberId(), "again " + r.seq(), r.id(), r.dedupeKey()))
        .toList();
    await(archive.replace("r9", 2, again));
    await(archive.append("r9", 2, records(7, 7))); // and the room goes on after them
    await(archive.flush());
    RoomState state = archive.load("r9");
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), seqs(state));
    assertEquals(List.of("message 1", "message 2", "again 3", "again 4", "again 5", "again 6", "message 7"),
        state.messages().stream().map(ChatRecord::text).toList());
    assertEquals(2, state.epoch());
  }

  @Test
  @DisplayName("a room keeps its last ROOMS_HISTORY_LIMIT messages (100 here)")
  void retention() throws Exception {
    for (long from = 1; from <= 250; from += 10) {
      await(archive.append("r10", 1, records(from, from + 9)));
    }
    await(archive.checkpoint("r10", 1, 250, List.of()));
    RoomState state = archive.load("r10");
    assertEquals(250, state.seq());
    assertEquals(LongStream.rangeClosed(151, 250).boxed().toList(), seqs(state));
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
      await(migrated.append("a", 2, records(4, 4))); // and the room goes on
      await(migrated.flush());
      assertEquals(List.of(1L, 2L, 3L, 4L), seqs(migrated.load("a")));
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

  private long journalFiles() throws Exception {
    try (Stream<Path> files = Files.list(journals)) {
      return files.filter(f -> f.toString().endsWith(".log")).count();
    }
  }

  @Test
  @DisplayName("expired messages leave the store: the chunks up to the expired seq are deleted, the room's seq stays")
  void expiredMessagesAreDeleted() throws Exception {
    // a flush after each: one stored row each (records stored in one commit share a row, which goes as a whole)
    await(archive.append("r9", 1, records(1, 2)));
    await(archive.flush());
    await(archive.append("r9", 1, records(3, 4)));
    await(archive.flush());
    await(archive.append("r9", 1, records(5, 5)));
    await(archive.flush());
    await(archive.expire("r9", 1, 4));
    await(archive.checkpoint("r9", 1, 5, records(5, 5)));
    RoomState state = archive.load("r9");
    assertEquals(5, state.seq(), "the seq goes on from where it was");
    assertEquals(List.of(5L), seqs(state));
  }
}
