package durablerooms.cluster;

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
  private Vertx vertx;
  private Replicas a;
  private Replicas b;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    WireCodec.register(vertx.eventBus());
    Set<String> live = Set.of("a", "b");
    a = new Replicas("a", () -> live, 2000);
    b = new Replicas("b", () -> live, 2000);
    await(vertx.deployVerticle(a).compose(id -> vertx.deployVerticle(b)));
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<Wire.HeldChange> changes(long epoch, long... numbers) {
    List<Wire.HeldChange> changes = new ArrayList<>();
    for (long n : numbers) {
      changes.add(new Wire.HeldChange(epoch, n, "{\"n\":" + n + "}"));
    }
    return changes;
  }

  /** Runs the owner's call on an event loop, as a room does. */
  private Future<Void> replicateChanges(String room, long epoch, long stored, long... numbers) {
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(v -> a.replicateChanges(a.holderNode(), room, epoch, changes(epoch, numbers), stored)
        .onComplete(done));
    return done.future();
  }

  private static List<String> marks(List<Wire.HeldChange> changes) {
    return changes.stream().map(c -> c.epoch() + "." + c.n()).toList();
  }

  private List<String> collected(Replicas r, String room, long epoch) throws Exception {
    return marks(await(r.collectChanges(room, epoch)).changes());
  }

  @Test
  void aTakeoverReadsWhatTheOwnerReplicated() throws Exception {
    assertEquals("b", a.holderNode(), "the next node in the ring");
    await(replicateChanges("t/r", 1, 0, 1, 2));
    await(replicateChanges("t/r", 1, 0, 2, 3)); // 2 again (a retried write): held once
    assertEquals(List.of("1.1", "1.2", "1.3"), collected(b, "t/r", 2));
    assertEquals(1, (int) await(b.heldRooms()));
  }

  @Test
  void afterATakeoverTheOldOwnersWritesAreRefused() throws Exception {
    await(replicateChanges("t/r", 1, 0, 1, 2));
    await(a.collectChanges("t/r", 2)); // the takeover at epoch 2 fences every replica
    Throwable refused = replicateChanges("t/r", 1, 0, 3).toCompletionStage().toCompletableFuture()
        .handle((v, err) -> err).get(10, TimeUnit.SECONDS);
    assertInstanceOf(RoomStore.FencedException.class, refused);
    assertEquals(List.of("1.1", "1.2"), collected(a, "t/r", 2), "the refused commit is not held");
    // the new activation writes on, and other rooms are not affected
    await(replicateChanges("t/r", 2, 0, 1));
    await(replicateChanges("t/other", 1, 0, 1));
    assertEquals(List.of("2.1"), collected(a, "t/r", 3));
  }

  @Test
  void aRoomThatSleptLeavesNoReplica() throws Exception {
    await(replicateChanges("t/r", 1, 0, 1, 2));
    await(replicateChanges("t/s", 1, 0, 1));
    a.drop("t/r", 1);
    assertEquals(1, (int) await(heldRoomsOnceAt(b, 1)), "only the room still awake has a replica");
    assertEquals(List.of(), collected(a, "t/r", 2));
  }

  @Test
  void aReplicaNodeThatDoesNotAnswerFailsTheWriteWithoutFencingIt() throws Exception {
    // node "c" is live in the cluster's view but has no replica consumer (starting, or gone):
    // the owner's write fails (the room then waits for the store), a takeover reads nothing there
    Set<String> live = Set.of("b2", "c");
    Replicas owner = new Replicas("b2", () -> live, 500);
    await(vertx.deployVerticle(owner));
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(v -> owner.replicateChanges(owner.holderNode(), "t/r", 1, changes(1, 1), 0).onComplete(done));
    Throwable err = done.future().toCompletionStage().toCompletableFuture().handle((v, e) -> e).get(10, TimeUnit.SECONDS);
    assertTrue(err != null && !(err instanceof RoomStore.FencedException), "failed, not fenced: " + err);
    assertEquals(List.of(), collected(owner, "t/r", 2));
  }

  @Test
  void writesOfManyRoomsAllComplete() throws Exception {
    List<Future<Void>> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add(replicateChanges("t/room-" + i, 1, 0, 1));
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
