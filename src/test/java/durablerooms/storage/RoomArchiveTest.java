package durablerooms.storage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The room store on disk (H2 in memory here): what a sleeping room wakes up with. */
class RoomArchiveTest {
  private RoomArchive archive;

  @BeforeEach
  void open() throws Exception {
    archive = RoomArchive.open("jdbc:h2:mem:archive-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "", "", 100);
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
    // seq 2 is stored already: the whole write of 2..4 fails, so 3 and 4 are in memory only
    ExecutionException failed = assertThrows(ExecutionException.class, () -> await(archive.append("r2", 1, records(2, 4))));
    await(archive.append("r2", 1, records(5, 5))); // later writes of the room succeed
    await(archive.checkpoint("r2", 1, 5, records(1, 5)));
    RoomState state = archive.load("r2");
    assertEquals(5, state.seq());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(state), "after " + failed.getCause());
  }

  @Test
  @DisplayName("the checkpoint of a fenced activation does not write its stale history over the newer one's")
  void staleCheckpointAfterFailedWrite() throws Exception {
    await(archive.append("r3", 1, records(1, 2)));
    assertThrows(ExecutionException.class, () -> await(archive.append("r3", 1, records(2, 3))));
    await(archive.append("r3", 2, records(3, 6))); // the room moved: a newer activation stores 3..6
    List<ChatRecord> stale = records(1, 2).stream()
        .map(r -> new ChatRecord(r.seq(), r.ts(), r.user(), r.memberId(), "stale", r.id(), r.dedupeKey()))
        .toList();
    await(archive.checkpoint("r3", 1, 2, stale)); // the old activation, resumed, stops
    RoomState state = archive.load("r3");
    assertEquals(6, state.seq());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs(state));
    assertEquals("message 1", state.history().peekFirst().text());
  }
}
