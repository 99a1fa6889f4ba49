package durablerooms.storage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The room store on disk (H2 in memory here): what a sleeping room wakes up with. */
class RoomArchiveTest {
  @TempDir
  Path journals;
  private final String url = "jdbc:h2:mem:archive-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
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
    return state.history().stream().map(ChatRecord::seq).toList();
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
    assertEquals("message 4", state.history().stream().filter(r -> r.seq() == 4).findFirst().orElseThrow().text());
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
    assertEquals("message 1", state.history().peekFirst().text());
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
      assertEquals("message 5", r4.history().peekLast().text());
      assertEquals(List.of(1L), seqs(next.load("r5")));
    }
    try (Stream<Path> left = Files.list(dead)) {
      assertEquals(List.of(), left.filter(f -> f.toString().endsWith(".log")).toList(), "replayed files are deleted");
    }
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

  private long journalFiles() throws Exception {
    try (Stream<Path> files = Files.list(journals)) {
      return files.filter(f -> f.toString().endsWith(".log")).count();
    }
  }
}
