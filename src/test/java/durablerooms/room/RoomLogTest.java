package durablerooms.room;

import durablerooms.cluster.RoomStore;
import durablerooms.state.ChatRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where a room's records go, and when a write counts as done, with copies whose writes the test
 * completes: the log is a state machine over them.
 */
class RoomLogTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** One call to a copy: what it was, the records, and the promise the test completes. */
  private record Call(String what, List<Long> seqs, Promise<Void> done) {}

  /** Copies that record every call and complete each as the test says (disk writes not waited for complete at once). */
  private static final class Copies implements RoomLog.Copies {
    /** Written from a Vert.x timer's thread too (a catch-up's deadline). */
    final List<Call> calls = new CopyOnWriteArrayList<>();
    /** Completed at the first write to disk (which a catch-up's deadline may start from a Vert.x thread). */
    final CompletableFuture<Void> diskWritten = new CompletableFuture<>();
    String replicaNode;

    Copies(String replicaNode) {
      this.replicaNode = replicaNode;
    }

    private Future<Void> call(String what, List<ChatRecord> records) {
      Promise<Void> done = Promise.promise();
      calls.add(new Call(what, records.stream().map(ChatRecord::seq).toList(), done));
      return done.future();
    }

    @Override
    public String replicaNode() {
      return replicaNode;
    }

    @Override
    public Future<Void> replicate(String node, List<ChatRecord> records) {
      return call("replica " + node, records);
    }

    @Override
    public Future<Void> appendToCluster(List<ChatRecord> records, boolean gap) {
      return call(gap ? "cluster after a gap" : "cluster", records);
    }

    @Override
    public Future<Void> appendToDisk(List<ChatRecord> records, boolean waitForDisk) {
      if (records.isEmpty()) {
        return Future.succeededFuture();
      }
      Future<Void> f = call(waitForDisk ? "disk" : "disk behind", records);
      diskWritten.complete(null);
      return waitForDisk ? f : Future.succeededFuture();
    }

    @Override
    public Future<Void> reserve(long upTo) {
      return call("reserve " + upTo, List.of());
    }

    Call last() {
      return calls.get(calls.size() - 1);
    }

    List<String> names() {
      return calls.stream().map(Call::what).toList();
    }
  }

  /** The records a room retains: appended as the room hands them out. */
  private static final class Room implements RoomLog.Retained {
    final List<ChatRecord> records = new ArrayList<>();

    List<ChatRecord> say(int count) {
      List<ChatRecord> batch = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        long seq = seq() + 1;
        ChatRecord r = new ChatRecord(seq, seq, "ann", "c1", "m" + seq, null, null);
        records.add(r);
        batch.add(r);
      }
      return batch;
    }

    @Override
    public long seq() {
      return records.isEmpty() ? 0 : records.get(records.size() - 1).seq();
    }

    @Override
    public List<ChatRecord> after(long after) {
      return records.stream().filter(r -> r.seq() > after).toList();
    }
  }

  private static RoomLog log(Copies copies, Room room, Durability durability, int nodes, boolean takeover) {
    return new RoomLog(copies, room, durability, () -> nodes, vertx, room.seq(), room.seq(), takeover);
  }

  @Test
  void aRoomAloneInItsClusterWritesToDiskOnlyAndCountsWhatTheDiskHas() {
    Copies copies = new Copies(null);
    Room room = new Room();
    RoomLog log = log(copies, room, Durability.MEMORY, 1, false);
    Future<Void> written = log.write(room.say(3), false);
    assertEquals(List.of("disk"), copies.names(), "no second node: the disk is the copy an ACK waits for");
    assertFalse(written.isComplete());
    copies.last().done().complete();
    assertTrue(written.succeeded());
    assertEquals(3, log.committedSeq());
    assertTrue(log.clusterBehind(), "the cluster copy is written behind, by a catch-up");

    log.write(List.of(), true);
    assertEquals(List.of(1L, 2L, 3L), copies.last().seqs(), "a catch-up writes what the cluster copy lacks");
    assertEquals("cluster", copies.last().what());
    copies.last().done().complete();
    assertFalse(log.clusterBehind());
    assertTrue(log.clusterComplete());
  }

  @Test
  void aNewReplicaNodeGetsTheWholeRetainedTailThenOnlyEachBatch() {
    Copies copies = new Copies("n2");
    Room room = new Room();
    room.say(5);
    RoomLog log = log(copies, room, Durability.MEMORY, 2, false);

    Future<Void> first = log.write(room.say(2), false);
    assertEquals("replica n2", copies.last().what());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), copies.last().seqs(), "a node new as the replica gets the whole tail");
    copies.last().done().complete();
    assertEquals(List.of("reserve 1007", "replica n2", "disk behind"), copies.names(),
        "records that go out before the disk has them reserve their seqs ahead");
    assertFalse(first.isComplete(), "not written until their seqs are reserved");
    copies.calls.get(0).done().complete();
    assertTrue(first.succeeded());
    assertEquals(7, log.committedSeq());

    log.write(room.say(1), false);
    assertEquals(List.of(8L), copies.calls.get(3).seqs(), "the same node: only the batch");
    assertEquals("replica n2", copies.calls.get(3).what());
  }

  @Test
  void aReplicaThatDoesNotAnswerIsReplacedByTheNextNodeOrTheClusterCopy() {
    Copies copies = new Copies("n2");
    Room room = new Room();
    RoomLog log = log(copies, room, Durability.DISK, 3, false);
    log.write(room.say(1), false);
    copies.last().done().complete();
    copies.last().done().complete(); // the disk

    Future<Void> second = log.write(room.say(1), false);
    copies.replicaNode = "n3";
    copies.last().done().fail(new RuntimeException("no reply"));
    assertEquals("replica n3", copies.last().what());
    assertEquals(List.of(1L, 2L), copies.last().seqs(), "the next node gets the whole tail");
    copies.last().done().fail(new RuntimeException("no reply either"));
    assertEquals("cluster", copies.last().what(), "no node answers: the cluster copy");
    assertEquals(List.of(1L, 2L), copies.last().seqs());
    copies.last().done().complete();
    assertEquals("disk", copies.last().what(), "then the disk, as always");
    copies.last().done().complete();
    assertTrue(second.succeeded());
    assertFalse(log.clusterBehind(), "the cluster copy was written on the way");
  }

  @Test
  void aFencedReplicaWriteFailsTheWriteWithoutAFallback() {
    Copies copies = new Copies("n2");
    Room room = new Room();
    RoomLog log = log(copies, room, Durability.MEMORY, 2, false);
    Future<Void> written = log.write(room.say(1), false);
    Call replica = copies.calls.get(1);
    replica.done().fail(new RoomStore.FencedException("r"));
    assertInstanceOf(RoomStore.FencedException.class, written.cause());
    assertEquals(List.of("reserve 1001", "replica n2"), copies.names(), "nothing more is written for a stale activation");
    assertEquals(0, log.committedSeq());
  }

  @Test
  void aTakeoverReservesPastWhatItStartsFromBeforeItsRecordsCountAsWritten() {
    Copies copies = new Copies("n2");
    Room room = new Room();
    room.say(10);
    RoomLog log = log(copies, room, Durability.MEMORY, 2, true);
    log.reserveAhead(room.seq());
    assertEquals("reserve 1010", copies.last().what());
    Future<Void> written = log.write(room.say(1), false);
    assertEquals(List.of("reserve 1010", "replica n2"), copies.names(),
        "a reservation is on its way: no second one for the same block");
    copies.last().done().complete();
    assertFalse(written.isComplete(), "seq 11 is not reserved yet");
    copies.calls.get(0).done().complete();
    assertTrue(written.succeeded());
  }

  @Test
  void aCatchUpWaitsForTheClusterCopyOnlyBriefly() throws Exception {
    Copies copies = new Copies("n2");
    Room room = new Room();
    RoomLog log = log(copies, room, Durability.DISK, 2, false);
    Future<Void> written = log.write(room.say(1), true);
    copies.last().done().complete(); // the replica
    assertEquals("cluster", copies.last().what());
    // the cluster write never completes: the catch-up's deadline passes on a Vert.x timer
    copies.diskWritten.get(5, TimeUnit.SECONDS);
    assertEquals("disk", copies.last().what(), "the disk write follows the deadline");
    copies.last().done().complete();
    assertTrue(written.succeeded());
    assertTrue(log.clusterBehind(), "the cluster copy did not answer in time: it is caught up again later");
  }
}
