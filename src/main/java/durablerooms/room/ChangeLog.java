package durablerooms.room;

import durablerooms.cluster.Replicas;
import durablerooms.cluster.RoomStore;
import durablerooms.cluster.Wire;
import durablerooms.storage.LogicArchive;
import io.vertx.core.Future;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The write path of the commits of one activation of a room of a user's type, under the same
 * {@code ROOMS_DURABILITY} rules as chat's messages. A commit goes to the node's journal, the store
 * written behind it; on a cluster of two or more nodes it also goes to the memory of a replica node,
 * since a takeover elsewhere cannot read this node's journal. It counts as written once the replica
 * holds it ({@code memory}), once the replica and the journal do ({@code disk}), or, on a node alone,
 * once the journal does. Each commit carries a {@link LogicArchive.Mark}, so that a takeover applies
 * exactly what the replicas hold and the store lacks, once ({@link #unstored}); seqs of events that go
 * out before the store has them are reserved there first. Owned by the room's event loop.
 */
final class ChangeLog {
  /**
   * At most this many commits, or this many characters of them, wait for the store behind the
   * replica: past that a commit waits for the store (a store that falls behind slows its rooms
   * rather than fill the memory of this node and of the replica's).
   */
  static final int MAX_UNSTORED = 1000;
  static final long MAX_UNSTORED_CHARS = 8L * 1024 * 1024;
  /**
   * Seqs are reserved in the store this many ahead of the newest, a new reservation once half of
   * that is used: in a room in use, no commit waits for one.
   */
  static final long SEQ_BLOCK = 1000;

  /** Where one activation's commits are copied to. Calls come from the room's loop. */
  interface Copies {
    /** The node that holds replicas for this node's rooms now (null: none, or this node is alone). */
    String replicaNode();

    /** The commits into {@code node}'s memory; fails with FencedException if a newer activation exists. */
    Future<Void> replicate(String node, List<Wire.HeldChange> changes, long stored);

    /**
     * The commit into the journal and the store, after every one before; both complete on the
     * room's context.
     */
    Written store(LogicArchive.Change change);

    /** Completes once the store has every commit queued before (the store's writer stops gathering). */
    Future<Void> flush();

    /** Reserves the room's seqs up to {@code upTo} in the store (0: gives the reservation back). */
    Future<Void> reserve(long upTo);
  }

  /** A commit's two writes: to the node's journal (on disk), and to the store. */
  record Written(Future<Void> onDisk, Future<Void> inStore) {}

  /** The copies of {@code room}'s commits at {@code epoch}: the store of room types and the replica nodes. */
  static Copies copies(Replicas replicas, String room, long epoch, Function<LogicArchive.Change, Written> store,
                       Supplier<Future<Void>> flush, LongFunction<Future<Void>> reserve) {
    return new Copies() {
      @Override
      public String replicaNode() {
        return replicas.holderNode();
      }

      @Override
      public Future<Void> replicate(String node, List<Wire.HeldChange> changes, long stored) {
        return replicas.replicateChanges(node, room, epoch, changes, stored);
      }

      @Override
      public Written store(LogicArchive.Change change) {
        return store.apply(change);
      }

      @Override
      public Future<Void> flush() {
        return flush.get();
      }

      @Override
      public Future<Void> reserve(long upTo) {
        return reserve.apply(upTo);
      }
    };
  }

  private final Copies copies;
  private final Durability durability;
  private final IntSupplier clusterSize;
  private final long epoch;
  /** The number of the last commit made, and of the last one the store has. */
  private long made;
  private long stored;
  /** The commits written behind the replica that the store does not have yet, oldest first. */
  private final ArrayDeque<Wire.HeldChange> unstored = new ArrayDeque<>();
  private long unstoredChars;
  /** The node known to hold this room's unstored commits (null: none yet, or a write to it failed). */
  private String replicaHolder;
  /** The store write of the last commit. */
  private Future<Void> lastStore = Future.succeededFuture();
  /** Why a store write behind the replica failed (null: none did). */
  private Throwable storeFailure;
  /** Seqs up to here are stored or reserved; the highest reservation asked for; the last one asked for. */
  private long reservedTo;
  private long reservingTo;
  private Future<Void> reservation = Future.succeededFuture();
  /** Whether the store holds a reservation of the room (this activation's, or one left by an earlier one). */
  private boolean holdsReservation;

  /**
   * @param reservedTo the seqs up to here are stored, or reserved ({@code reserved}: the store holds a
   *     reservation of the room, which a clean stop gives back)
   */
  ChangeLog(Copies copies, Durability durability, IntSupplier clusterSize, long epoch, long reservedTo,
            boolean reserved) {
    this.copies = copies;
    this.durability = durability;
    this.clusterSize = clusterSize;
    this.epoch = epoch;
    this.reservedTo = reservedTo;
    this.reservingTo = reservedTo;
    this.holdsReservation = reserved;
  }

  /**
   * Writes one commit (the merged writes of a batch of handlers); completes once it counts as
   * written. A replica that does not answer, or a store more than {@link #MAX_UNSTORED} commits
   * behind, makes the commit wait for the store. A commit written behind the store whose store write
   * then fails makes every later write fail: the room stops, and its next activation takes over from
   * the replica.
   */
  Future<Void> write(LogicArchive.Change change) {
    if (storeFailure != null) {
      return Future.failedFuture(storeFailure);
    }
    long n = ++made;
    LogicArchive.Change marked = change.at(epoch, new LogicArchive.Mark(epoch, n));
    int nodes = clusterSize.getAsInt();
    boolean bounded = unstored.size() < MAX_UNSTORED && unstoredChars < MAX_UNSTORED_CHARS;
    String holder = nodes > 1 && bounded ? copies.replicaNode() : null;
    Wire.HeldChange held = holder == null ? null : new Wire.HeldChange(epoch, n, encode(marked));
    if (held != null) {
      unstored.addLast(held);
      unstoredChars += held.change().length();
    }
    Written written = copies.store(marked);
    Future<Void> inStore = written.inStore().andThen(ar -> stored(n, ar.cause()));
    lastStore = inStore;
    if (held == null) {
      // a node alone: its journal is what a restart on its data folder reads; with other nodes,
      // which cannot read it, the store
      return nodes > 1 ? storeNow(inStore) : written.onDisk().recover(err -> storeNow(inStore));
    }
    long upTo = marked.events().isEmpty() ? 0 : marked.seq();
    if (upTo > 0) {
      reserveAhead(upTo); // its events go out before the store has them
    }
    boolean newHolder = !holder.equals(replicaHolder);
    Future<Void> replicated = copies.replicate(holder, newHolder ? List.copyOf(unstored) : List.of(held), stored)
        .andThen(ar -> replicaHolder = ar.succeeded() ? holder : null);
    Future<Void> counted = durability.waitForDisk(nodes) ? replicated.compose(v -> written.onDisk()) : replicated;
    return counted
        .compose(v -> upTo <= reservedTo ? Future.succeededFuture() : reservation)
        .recover(err -> err instanceof RoomStore.FencedException ? Future.failedFuture(err) : storeNow(inStore));
  }

  /** {@code inStore}, the store's writer told not to gather further commits before it. */
  private Future<Void> storeNow(Future<Void> inStore) {
    return copies.flush().transform(ar -> inStore);
  }

  /** Asks for the next block of seqs once fewer than half a block are reserved past {@code seq}. */
  private void reserveAhead(long seq) {
    if (seq + SEQ_BLOCK / 2 <= reservingTo) {
      return;
    }
    long upTo = seq + SEQ_BLOCK;
    reservingTo = upTo;
    holdsReservation = true;
    reservation = copies.reserve(upTo).onSuccess(v -> reservedTo = Math.max(reservedTo, upTo));
  }

  /**
   * A room that stops cleanly, once the store has every commit: gives its reservation back, so that
   * its next activation numbers on from its seq.
   */
  Future<Void> giveBack() {
    return holdsReservation ? reservation.transform(ar -> copies.reserve(0)) : Future.succeededFuture();
  }

  private void stored(long n, Throwable failure) {
    if (failure != null) {
      if (storeFailure == null) {
        storeFailure = failure;
      }
      return;
    }
    stored = Math.max(stored, n);
    while (!unstored.isEmpty() && unstored.peekFirst().n() <= stored) {
      unstoredChars -= unstored.removeFirst().change().length();
    }
  }

  /** Completes once the store has every commit made, or fails if one of them failed there. */
  Future<Void> allStored() {
    return storeNow(lastStore)
        .compose(v -> storeFailure == null ? Future.succeededFuture() : Future.failedFuture(storeFailure));
  }

  /** The mark of this activation's last commit, or {@code before} (the store's) when it made none. */
  LogicArchive.Mark lastMark(LogicArchive.Mark before) {
    return made == 0 ? before : new LogicArchive.Mark(epoch, made);
  }

  /** How many commits wait for the store behind the replica (for tests). */
  int unstoredCount() {
    return unstored.size();
  }

  static String encode(LogicArchive.Change c) {
    return c.encode();
  }

  static LogicArchive.Change decode(String text) {
    return LogicArchive.Change.decode(text);
  }
}
