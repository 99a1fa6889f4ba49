package durablerooms.cluster;

import durablerooms.state.ChatRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two nodes' replicas on one (local) event bus: node a owns the room, node b holds its replica. */
class ReplicasTest {
  private static final int LIMIT = 5;
  private Vertx vertx;
  private Replicas a;
  private Replicas b;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    WireCodec.register(vertx.eventBus());
    Set<String> live = Set.of("a", "b");
    a = new Replicas("a", () -> live, LIMIT, 2000);
    b = new Replicas("b", () -> live, LIMIT, 2000);
    await(vertx.deployVerticle(a).compose(id -> vertx.deployVerticle(b)));
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<ChatRecord> records(long from, long to) {
    List<ChatRecord> out = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      out.add(new ChatRecord(seq, seq, "ann", "c1", "m" + seq, "id" + seq, "k/id" + seq));
    }
    return out;
  }

  /** Runs the owner's call on an event loop, as a room does. */
  private Future<Void> replicate(String room, long epoch, List<ChatRecord> records) {
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(v -> a.replicate(a.holderNode(), room, epoch, records).onComplete(done));
    return done.future();
  }

  private static List<Long> seqs(List<ChatRecord> records) {
    return records.stream().map(ChatRecord::seq).toList();
  }

  @Test
  void aTakeoverReadsTheTailTheOwnerReplicated() throws Exception {
    assertEquals("b", a.holderNode(), "the next node in the ring");
    await(replicate("r", 1, records(1, 3)));
    await(replicate("r", 1, records(3, 4))); // 3 again (a retried write): held once
    assertEquals(List.of(1L, 2L, 3L, 4L), seqs(await(b.collect("r", 2))));
    assertEquals(1, (int) await(b.heldRooms()));
  }

  @Test
  void aNewActivationContinuesTheTailAndAGapStartsItAgain() throws Exception {
    await(replicate("r", 1, records(1, 2)));
    await(replicate("r", 2, records(3, 3))); // the next activation: what the first wrote stays
    assertEquals(List.of(1L, 2L, 3L), seqs(await(a.collect("r", 3))));
    await(replicate("r", 3, records(7, 8))); // older ones fell out of the owner's retention
    assertEquals(List.of(7L, 8L), seqs(await(a.collect("r", 4))));
  }

  @Test
  void aReplicaKeepsAtMostTheHistoryLimit() throws Exception {
    await(replicate("r", 1, records(1, 8)));
    assertEquals(List.of(4L, 5L, 6L, 7L, 8L), seqs(await(a.collect("r", 2))));
  }

  @Test
  void afterATakeoverTheOldOwnersWritesAreRefused() throws Exception {
    await(replicate("r", 1, records(1, 2)));
    await(a.collect("r", 2)); // the takeover at epoch 2 fences every replica
    Throwable refused = replicate("r", 1, records(3, 3)).toCompletionStage().toCompletableFuture()
        .handle((v, err) -> err).get(10, TimeUnit.SECONDS);
    assertInstanceOf(RoomStore.FencedException.class, refused);
    assertEquals(List.of(1L, 2L), seqs(await(a.collect("r", 2))), "the refused record is not held");
    // the new activation writes on, and other rooms are not affected
    await(replicate("r", 2, records(3, 3)));
    await(replicate("other", 1, records(1, 1)));
    assertEquals(List.of(1L, 2L, 3L), seqs(await(a.collect("r", 3))));
  }

  @Test
  void aRoomThatSleptLeavesNoReplica() throws Exception {
    await(replicate("r", 1, records(1, 2)));
    await(replicate("s", 1, records(1, 1)));
    a.drop("r", 1);
    assertEquals(1, (int) await(heldRoomsOnceAt(b, 1)), "only the room still awake has a replica");
    assertEquals(List.of(), seqs(await(a.collect("r", 2))));
  }

  @Test
  void aReplicaNodeThatDoesNotAnswerFailsTheWriteWithoutFencingIt() throws Exception {
    // node "c" is live in the cluster's view but has no replica consumer (starting, or gone):
    // the owner's write fails (the room then writes its cluster copy), a takeover reads nothing there
    Set<String> live = Set.of("b2", "c");
    Replicas owner = new Replicas("b2", () -> live, LIMIT, 500);
    await(vertx.deployVerticle(owner));
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(v -> owner.replicate(owner.holderNode(), "r", 1, records(1, 1)).onComplete(done));
    Throwable err = done.future().toCompletionStage().toCompletableFuture().handle((v, e) -> e).get(10, TimeUnit.SECONDS);
    assertTrue(err != null && !(err instanceof RoomStore.FencedException), "failed, not fenced: " + err);
    assertEquals(List.of(), seqs(await(owner.collect("r", 2))));
  }

  @Test
  void writesOfManyRoomsAllComplete() throws Exception {
    List<Future<Void>> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add(replicate("room-" + i, 1, records(1, 1)));
    }
    await(Future.all(all));
    assertEquals(200, (int) await(b.heldRooms()));
  }

  /** How many rooms {@code r} holds, asked every 20 ms (on a timer) until it is {@code expected}, for up to 2 s. */
  private Future<Integer> heldRoomsOnceAt(Replicas r, int expected) {
    Promise<Integer> result = Promise.promise();
    poll(r, expected, 100, result);
    return result.future();
  }

  private void poll(Replicas r, int expected, int triesLeft, Promise<Integer> result) {
    r.heldRooms().onSuccess(n -> {
      if (n == expected || triesLeft == 0) {
        result.complete(n);
      } else {
        vertx.setTimer(20, t -> poll(r, expected, triesLeft - 1, result));
      }
    });
  }

  private Future<Void> replicateChanges(String room, long epoch, long stored, long... numbers) {
    List<Wire.HeldChange> changes = new ArrayList<>();
    for (long n : numbers) {
      changes.add(new Wire.HeldChange(epoch, n, "{\"n\":" + n + "}"));
    }
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(v -> a.replicateChanges(a.holderNode(), room, epoch, changes, stored).onComplete(done));
    return done.future();
  }

  private static List<String> marks(List<Wire.HeldChange> changes) {
    return changes.stream().map(c -> c.epoch() + "." + c.n()).toList();
  }

  @Test
  void aReplicaHoldsTheCommitsOfARoomOfAUsersTypeUntilTheStoreHasThemAndANewerActivationsReplaceThem()
      throws Exception {
    await(replicateChanges("t/r", 1, 0, 1, 2));
    await(replicateChanges("t/r", 1, 0, 2, 3)); // 2 again (sent whole to a node new to the room): held once
    assertEquals(List.of("1.1", "1.2", "1.3"), marks(await(a.collectChanges("t/r", 1)).changes()));
    await(replicateChanges("t/r", 1, 2, 4)); // the store has 1 and 2
    assertEquals(List.of("1.3", "1.4"), marks(await(a.collectChanges("t/r", 1)).changes()));
    // the takeover at epoch 2 stored those before its own first commit
    await(replicateChanges("t/r", 2, 0, 1));
    Replicas.HeldChanges held = await(a.collectChanges("t/r", 2));
    assertEquals(List.of("2.1"), marks(held.changes()));
    assertEquals(2, held.newestEpoch());
    assertEquals(0, await(a.collectChanges("t/other", 1)).newestEpoch(), "no node holds a replica of that room");
    Throwable refused = replicateChanges("t/r", 1, 0, 5).toCompletionStage().toCompletableFuture()
        .handle((v, err) -> err).get(10, TimeUnit.SECONDS);
    assertInstanceOf(RoomStore.FencedException.class, refused, "a write of the activation taken over is refused");
  }
}
