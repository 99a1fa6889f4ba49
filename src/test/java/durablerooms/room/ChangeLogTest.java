package durablerooms.room;

import durablerooms.cluster.RoomStore;
import durablerooms.cluster.Wire;
import durablerooms.storage.LogicArchive;
import durablerooms.storage.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where the commits of a room of a user's type go, and when one counts as written, with copies
 * whose writes the test completes.
 */
class ChangeLogTest {
  private static final long EPOCH = 3;

  /** One replica write: the node, the numbers of the commits sent, how far the store reached, and its promise. */
  private record Sent(String node, List<Long> numbers, long stored, Promise<Void> done) {}

  private static final class Copies implements ChangeLog.Copies {
    final List<Sent> sent = new ArrayList<>();
    final List<LogicArchive.Change> toStore = new ArrayList<>();
    final List<Promise<Void>> storing = new ArrayList<>();
    final List<Promise<Void>> journaling = new ArrayList<>();
    int flushes;
    final List<Long> reservations = new ArrayList<>();
    final List<Promise<Void>> reserving = new ArrayList<>();
    String replicaNode;

    Copies(String replicaNode) {
      this.replicaNode = replicaNode;
    }

    @Override
    public String replicaNode() {
      return replicaNode;
    }

    @Override
    public Future<Void> replicate(String node, List<Wire.HeldChange> changes, long stored) {
      Promise<Void> done = Promise.promise();
      sent.add(new Sent(node, changes.stream().map(Wire.HeldChange::n).toList(), stored, done));
      return done.future();
    }

    @Override
    public ChangeLog.Written store(LogicArchive.Change change) {
      Promise<Void> done = Promise.promise();
      Promise<Void> onDisk = Promise.promise();
      toStore.add(change);
      storing.add(done);
      journaling.add(onDisk);
      return new ChangeLog.Written(onDisk.future(), done.future());
    }

    @Override
    public Future<Void> flush() {
      flushes++;
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> reserve(long upTo) {
      Promise<Void> done = Promise.promise();
      reservations.add(upTo);
      reserving.add(done);
      return done.future();
    }

    Sent lastSent() {
      return sent.get(sent.size() - 1);
    }
  }

  private static LogicArchive.Change change(long seq) {
    LinkedHashMap<String, String> values = new LinkedHashMap<>();
    values.put("count", String.valueOf(seq));
    return new LogicArchive.Change("board/r1", EPOCH, values,
        List.of(new LogicArchive.Event(seq, 1000 + seq, "{\"n\":" + seq + "}")), List.of(), seq);
  }

  /** A commit of storage alone, at the room's seq {@code seq}. */
  private static LogicArchive.Change storageOnly(long seq) {
    LinkedHashMap<String, String> values = new LinkedHashMap<>();
    values.put("k", "1");
    return new LogicArchive.Change("board/r1", EPOCH, values, List.of(), List.of(), seq);
  }

  /** Completes every reservation asked for so far. */
  private static void reserveAll(Copies copies) {
    copies.reserving.forEach(p -> p.tryComplete());
  }

  private static ChangeLog log(Copies copies, Durability durability, int nodes) {
    return new ChangeLog(copies, durability, () -> nodes, EPOCH, 0, false);
  }

  @Test
  void withMemoryDurabilityOnTwoNodesACommitIsWrittenOnceTheReplicaHoldsItBeforeTheStoreHasIt() {
    Copies copies = new Copies("n2");
    ChangeLog log = log(copies, Durability.MEMORY, 2);
    Future<Void> written = log.write(change(1));
    assertEquals(1, copies.toStore.size(), "the store write is queued at once, behind the replica's");
    assertEquals(new LogicArchive.Mark(EPOCH, 1), copies.toStore.get(0).mark());
    assertEquals(List.of(ChangeLog.SEQ_BLOCK + 1), copies.reservations, "its seq reserved, a block ahead");
    assertFalse(written.isComplete());
    copies.lastSent().done().complete();
    assertFalse(written.isComplete(), "its event goes out once its seq is reserved too");
    reserveAll(copies);
    assertTrue(written.succeeded(), "written once the replica holds it");
    assertEquals(1, log.unstoredCount());
    copies.storing.get(0).complete();
    assertEquals(0, log.unstoredCount(), "forgotten once the store has it");
    assertTrue(log.allStored().succeeded());
  }

  @Test
  void onANodeAloneACommitIsWrittenOnceTheJournalHasItAndGoesToNoReplica() {
    Copies alone = new Copies("n2");
    ChangeLog log = log(alone, Durability.MEMORY, 1); // a node alone has no second node to hold it
    Future<Void> written = log.write(change(1));
    assertTrue(alone.sent.isEmpty());
    assertTrue(alone.reservations.isEmpty(), "its events go out once on disk: no seq to reserve");
    assertFalse(written.isComplete());
    alone.journaling.get(0).complete();
    assertTrue(written.succeeded(), "written once in the journal, before the store has it");
    assertFalse(log.allStored().isComplete());
    alone.storing.get(0).complete();
    assertTrue(log.allStored().succeeded());
  }

  @Test
  void withDiskDurabilityOnTwoNodesACommitIsWrittenOnceTheReplicaAndTheJournalHoldIt() {
    Copies disk = new Copies("n2");
    Future<Void> written = log(disk, Durability.DISK, 2).write(change(1));
    assertEquals(1, disk.sent.size(), "a takeover on another node cannot read this node's journal");
    disk.lastSent().done().complete();
    reserveAll(disk);
    assertFalse(written.isComplete(), "not on disk yet");
    disk.journaling.get(0).complete();
    assertTrue(written.succeeded());
  }

  @Test
  void aJournalWriteThatFailsOnANodeAloneLeavesTheCommitToWaitForTheStore() {
    Copies alone = new Copies(null);
    Future<Void> written = log(alone, Durability.MEMORY, 1).write(change(1));
    alone.journaling.get(0).fail(new RuntimeException("disk full"));
    assertFalse(written.isComplete());
    assertEquals(1, alone.flushes, "the store's writer is told not to wait for more");
    alone.storing.get(0).complete();
    assertTrue(written.succeeded());
  }

  @Test
  void aNewReplicaNodeGetsEveryUnstoredCommitAKnownOneOnlyTheNewCommitEachWithHowFarTheStoreReaches() {
    Copies copies = new Copies("n2");
    ChangeLog log = log(copies, Durability.MEMORY, 3);
    log.write(change(1));
    copies.lastSent().done().complete();
    log.write(change(2));
    assertEquals(List.of(2L), copies.lastSent().numbers());
    copies.lastSent().done().complete();
    copies.storing.get(0).complete();
    copies.replicaNode = "n3"; // n2 left
    log.write(change(3));
    Sent toNew = copies.lastSent();
    assertEquals("n3", toNew.node());
    assertEquals(List.of(2L, 3L), toNew.numbers(), "commit 1 is stored, 2 and 3 are not");
    assertEquals(1, toNew.stored());
  }

  @Test
  void aReplicaThatDoesNotAnswerLeavesTheCommitToWaitForTheStoreAndTheNextWriteSendsAllAgain() {
    Copies copies = new Copies("n2");
    ChangeLog log = log(copies, Durability.MEMORY, 2);
    Future<Void> written = log.write(change(1));
    copies.lastSent().done().fail(new RuntimeException("timeout"));
    assertFalse(written.isComplete(), "no second copy: the store is what counts");
    assertEquals(1, copies.flushes, "the store's writer is told not to wait for more");
    copies.storing.get(0).complete();
    assertTrue(written.succeeded());
    log.write(change(2));
    copies.lastSent().done().complete();
    log.write(change(3));
    assertEquals(List.of(3L), copies.lastSent().numbers());
    copies.storing.get(1).complete();
    log.write(change(4));
    assertEquals(List.of(4L), copies.lastSent().numbers());
    assertEquals(2, copies.lastSent().stored());
  }

  @Test
  void aFencedReplicaWriteFailsTheCommit() {
    Copies copies = new Copies("n2");
    Future<Void> written = log(copies, Durability.MEMORY, 2).write(change(1));
    copies.lastSent().done().fail(new RoomStore.FencedException("board/r1"));
    assertInstanceOf(RoomStore.FencedException.class, written.cause());
  }

  @Test
  void aStoreWriteThatFailsBehindTheReplicaFailsEveryLaterWriteSoTheRoomIsTakenOverFromItsReplica() {
    Copies copies = new Copies("n2");
    ChangeLog log = log(copies, Durability.MEMORY, 2);
    Future<Void> first = log.write(change(1));
    copies.lastSent().done().complete();
    reserveAll(copies);
    assertTrue(first.succeeded());
    copies.storing.get(0).fail(new RuntimeException("disk full"));
    assertTrue(log.write(change(2)).failed());
    assertEquals(1, copies.toStore.size(), "nothing more goes to the store");
    assertTrue(log.allStored().failed());
    assertEquals(1, log.unstoredCount(), "what the store lacks stays in the replica");
  }

  @Test
  void pastTheBoundOfUnstoredCommitsACommitWaitsForTheStore() {
    Copies copies = new Copies("n2");
    ChangeLog log = log(copies, Durability.MEMORY, 2);
    for (int i = 1; i <= ChangeLog.MAX_UNSTORED; i++) {
      log.write(storageOnly(0));
      copies.lastSent().done().complete();
    }
    assertTrue(copies.reservations.isEmpty(), "commits without events reserve no seq");
    assertEquals(ChangeLog.MAX_UNSTORED, log.unstoredCount());
    int sent = copies.sent.size();
    Future<Void> over = log.write(storageOnly(0));
    assertEquals(sent, copies.sent.size(), "not sent to the replica");
    assertFalse(over.isComplete());
    copies.storing.forEach(Promise::complete);
    assertTrue(over.succeeded());
    assertEquals(0, log.unstoredCount());
  }

  @Test
  void aFlowingRoomReservesItsNextBlockOfSeqsLongBeforeItNeedsItAndACleanStopGivesItBack() {
    Copies copies = new Copies("n2");
    ChangeLog log = log(copies, Durability.MEMORY, 2);
    long half = ChangeLog.SEQ_BLOCK / 2;
    for (long seq = 1; seq <= half + 2; seq++) {
      Future<Void> written = log.write(change(seq));
      copies.lastSent().done().complete();
      reserveAll(copies);
      assertTrue(written.succeeded());
    }
    assertEquals(List.of(ChangeLog.SEQ_BLOCK + 1, half + 2 + ChangeLog.SEQ_BLOCK), copies.reservations,
        "the next block once fewer than half a block are left");
    copies.storing.forEach(Promise::complete);
    assertTrue(log.allStored().succeeded());
    log.giveBack();
    assertEquals(0L, copies.reservations.get(copies.reservations.size() - 1), "given back");
  }

  @Test
  void aRoomThatReservedNothingWritesNothingWhenItStops() {
    Copies copies = new Copies("n2");
    ChangeLog log = log(copies, Durability.DISK, 2);
    log.write(storageOnly(0));
    copies.storing.forEach(Promise::complete);
    assertTrue(log.giveBack().succeeded());
    assertTrue(copies.reservations.isEmpty());
    Copies left = new Copies("n2");
    new ChangeLog(left, Durability.DISK, () -> 2, EPOCH, 1000, true).giveBack();
    assertEquals(List.of(0L), left.reservations, "a reservation an earlier activation left is given back");
  }

  @Test
  void aCommitAsAReplicaHoldsItDecodesToTheSameChange() {
    LinkedHashMap<String, String> values = new LinkedHashMap<>();
    values.put("b", "{\"x\":[1,2]}");
    values.put("a", null);
    values.put("é", "\"snow ☃\"");
    LinkedHashMap<String, Long> alarms = new LinkedHashMap<>();
    alarms.put("tick", 123456789L);
    alarms.put("gone", null);
    LogicArchive.Change c = new LogicArchive.Change("board/r1", EPOCH, values,
        List.of(new LogicArchive.Event(7, 70, "{\"a\":1}"), new LogicArchive.Event(8, 80, "{}")),
        List.of(new LogicArchive.Ack("client\nid-1", 7, 70)), 8, alarms,
        List.of(new WebhookOutbox.Hook("board/r1", "room.emitted", "{\"k\":true}", 99)), new LogicArchive.Mark(EPOCH, 5));
    LogicArchive.Change back = ChangeLog.decode(ChangeLog.encode(c));
    assertEquals(c, back);
    assertEquals(List.copyOf(c.values().keySet()), List.copyOf(back.values().keySet()), "the order of the writes");
    assertNull(back.values().get("a"));
    // a commit an earlier version wrote to its journal or replica: its ACKs have no time
    String earlier = c.encode().replace("[\"client\\nid-1\",7,70]", "[\"client\\nid-1\",7]");
    assertEquals(List.of(new LogicArchive.Ack("client\nid-1", 7, 0)), ChangeLog.decode(earlier).acks());
  }
}
