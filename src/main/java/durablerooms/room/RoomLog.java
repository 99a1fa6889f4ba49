package durablerooms.room;

import durablerooms.cluster.Replicas;
import durablerooms.cluster.RoomStore;
import durablerooms.state.ChatRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The write path of one activation's ordered log: each batch of records gets its second copy
 * first (the memory of a replica node, or the cluster copy), then goes to disk; records that go
 * out before the disk has them wait for their seqs to be reserved. Keeps how far each copy
 * reaches. Owned by the room's event loop; the records themselves stay with the room
 * ({@link Retained}).
 */
public final class RoomLog {
  /** How long a room's output waits for a catch-up of its cluster copy (see catchUpBriefly). */
  static final long CATCH_UP_WAIT_MS = 100;
  /**
   * Seqs are reserved on disk this many ahead of the newest, a new reservation once half of that is
   * used: one small journal write per few hundred messages, done while messages flow, so none waits.
   */
  static final long SEQ_BLOCK = 1000;

  /** Where one activation's records are copied to. Calls come from the room's loop. */
  public interface Copies {
    /** The node that holds replicas for this node's rooms now (null: none, or this node is alone). */
    String replicaNode();

    /** The records into {@code node}'s memory; fails with FencedException if a newer activation exists. */
    Future<Void> replicate(String node, List<ChatRecord> records);

    /** The records into the cluster's copy of the room; {@code gap} when older records fell out of retention first. */
    Future<Void> appendToCluster(List<ChatRecord> records, boolean gap);

    /** The records to disk: completes once they are there when {@code waitForDisk}, else at once. */
    Future<Void> appendToDisk(List<ChatRecord> records, boolean waitForDisk);

    /** Reserves the room's seqs up to {@code upTo} on disk. */
    Future<Void> reserve(long upTo);
  }

  /** The records the room retains, as the log reads them. */
  public interface Retained {
    /** The newest seq handed out (written or not). */
    long seq();

    /** The retained records with a seq above {@code after}, oldest first. */
    List<ChatRecord> after(long after);
  }

  /** The copies of {@code room}'s records at {@code epoch}: the store's disk and cluster copy, and the replica nodes. */
  public static Copies copies(RoomStore store, Replicas replicas, String room, long epoch, int historyLimit,
                              BooleanSupplier healthy) {
    return new Copies() {
      @Override
      public String replicaNode() {
        return replicas.holderNode();
      }

      @Override
      public Future<Void> replicate(String node, List<ChatRecord> records) {
        return replicas.replicate(node, room, epoch, records);
      }

      @Override
      public Future<Void> appendToCluster(List<ChatRecord> records, boolean gap) {
        return store.appendToCluster(room, epoch, records, gap, historyLimit);
      }

      @Override
      public Future<Void> appendToDisk(List<ChatRecord> records, boolean waitForDisk) {
        return store.appendToDisk(room, epoch, records, waitForDisk, healthy);
      }

      @Override
      public Future<Void> reserve(long upTo) {
        return store.reserve(room, epoch, upTo, healthy);
      }
    };
  }

  private final Copies copies;
  private final Retained retained;
  private final Durability durability;
  private final IntSupplier clusterSize;
  private final Vertx vertx;
  /** The last seq whose record is stored (the room may be ahead while a write is in flight). */
  private long committedSeq;
  /**
   * The last seq in the cluster's copy of the room. A room alone in a one-node cluster writes its
   * records to disk only: there the journal is what an ACK waits for (no second node could hold a
   * backup), and the copy has no reader while the room is active (the HTTP API asks the room).
   * With two or more nodes, a write's second copy is the replica on another node, and the cluster
   * copy is written behind too. The copy catches up when a node joins (which could take the room
   * over from it) or leaves (it may have held the replica), before the room sleeps, and every
   * second from the host's sweep.
   */
  private long clusterSeq;
  /**
   * Seqs up to here are reserved on disk or stored: a write of records that go out before the disk
   * has them waits for {@link #reservation}. A room whose newest records were lost
   * (ROOMS_DURABILITY=memory, every node killed) starts after its reservation, never at a seq that
   * members saw for another record.
   */
  private long reservedTo;
  /** The highest reservation asked for. */
  private long reservingTo;
  /** The last reservation asked for: the journal completes reservations in order, so it covers the others. */
  private Future<Void> reservation = Future.succeededFuture();
  /** The node known to hold this room's retained tail as its replica (null: none yet, or a write to it failed). */
  private String replicaHolder;
  /** Whether the cluster copy lacks written records (read by the host's sweep). */
  private volatile boolean clusterBehind;

  /**
   * @param committedSeq the seq the room starts from, as stored or in the cluster copy
   * @param clusterSeq the last seq in the cluster copy
   * @param takeover what the room starts from may hold records from the replicas that no completed
   *     reservation covers (they go out again): the room reserves past them before anything else
   */
  public RoomLog(Copies copies, Retained retained, Durability durability, IntSupplier clusterSize, Vertx vertx,
                 long committedSeq, long clusterSeq, boolean takeover) {
    this.copies = copies;
    this.retained = retained;
    this.durability = durability;
    this.clusterSize = clusterSize;
    this.vertx = vertx;
    this.committedSeq = committedSeq;
    this.clusterSeq = clusterSeq;
    // what a room starts from was handed out under an earlier activation's reservation, or is stored
    this.reservedTo = takeover ? 0 : committedSeq;
    this.reservingTo = reservedTo;
  }

  /** The last seq whose record is stored. */
  public long committedSeq() {
    return committedSeq;
  }

  /** Whether the cluster copy holds every stored record. */
  public boolean clusterComplete() {
    return clusterSeq == committedSeq;
  }

  /** Whether the cluster copy lacks records written to disk; any thread. */
  public boolean clusterBehind() {
    return clusterBehind;
  }

  /**
   * Asks for the next block of seqs once fewer than half a block are reserved past {@code seq}: the
   * reservation's journal write runs beside the records' own writes, and in a flowing room it has
   * completed long before a record needs it.
   */
  public void reserveAhead(long seq) {
    if (seq + SEQ_BLOCK / 2 <= reservingTo) {
      return;
    }
    long upTo = seq + SEQ_BLOCK;
    reservingTo = upTo;
    reservation = copies.reserve(upTo).onSuccess(v -> reservedTo = Math.max(reservedTo, upTo));
  }

  /**
   * Completes once seqs up to {@code upTo} are reserved on disk (see {@link #reservedTo}), or once
   * the last reservation asked for has: records that waited for the disk need none (what was
   * journaled comes back when the journal is replayed), only those written behind do.
   */
  private Future<Void> reserved(long upTo) {
    return upTo <= reservedTo ? Future.succeededFuture() : reservation;
  }

  /**
   * Writes a batch of records (in seq order, after every record written before), and with
   * {@code catchUp} brings the cluster copy up to date as well. Records get their second copy first
   * (see {@link #copy}), then go to disk; records written behind the disk (ROOMS_DURABILITY=memory,
   * two or more nodes) count as written once their seqs are reserved too (see {@link #reserveAhead}).
   */
  public Future<Void> write(List<ChatRecord> batch, boolean catchUp) {
    int nodes = clusterSize.getAsInt();
    boolean toDisk = durability.waitForDisk(nodes);
    long upTo = batch.isEmpty() ? retained.seq() : batch.get(batch.size() - 1).seq();
    if (!toDisk && !batch.isEmpty()) {
      reserveAhead(upTo); // these records go out before they are on disk
    }
    Future<Long> copied = copy(batch, catchUp, nodes);
    return copied.compose(v -> copies.appendToDisk(batch, toDisk))
        .compose(v -> reserved(upTo))
        .onSuccess(v -> {
          if (!batch.isEmpty()) {
            committedSeq = batch.get(batch.size() - 1).seq();
          }
          clusterSeq = Math.max(clusterSeq, copied.result());
          clusterBehind = clusterSeq < committedSeq;
        });
  }

  /** Writes what the cluster copy lacks of the stored records (a room whose write failed, as it stops). */
  public Future<Void> catchUpCluster() {
    return toCluster(List.of()).mapEmpty();
  }

  /**
   * The second copy of a batch of records, before it goes to disk; completes with how far the
   * cluster copy then reaches. On a cluster of two or more nodes: in the memory of the replica node
   * (one event-bus request for the writes of all rooms of this loop), the cluster copy written
   * behind; if the replica cannot be reached, the cluster copy at once. A node that is new as this
   * room's replica (a node joined or left, or the last write to it failed) gets the whole retained
   * tail first. A room alone in a one-node cluster writes its records to disk only (see
   * clusterSeq). A catch-up writes the cluster copy.
   */
  private Future<Long> copy(List<ChatRecord> batch, boolean catchUp, int nodes) {
    String holder = nodes > 1 ? copies.replicaNode() : null;
    boolean newHolder = holder != null && !holder.equals(replicaHolder);
    if (holder == null) {
      return catchUp || nodes > 1 ? toCluster(batch) : Future.succeededFuture(clusterSeq);
    }
    Future<Void> replicated = batch.isEmpty() && !newHolder ? Future.succeededFuture()
        : copies.replicate(holder, newHolder ? retainedTail(batch) : batch)
            .andThen(ar -> replicaHolder = ar.succeeded() ? holder : null);
    if (catchUp) {
      return replicated.transform(ar -> ar.succeeded() ? catchUpBriefly(batch)
          : unlessFenced(ar.cause(), () -> toCluster(batch)));
    }
    return replicated.map(v -> clusterSeq).recover(err -> unlessFenced(err, () -> elsewhere(holder, batch)));
  }

  /**
   * A catch-up of the cluster copy once the records are in a replica, waited for at most
   * {@value #CATCH_UP_WAIT_MS} ms: the Hazelcast write waits for the nodes that own and back up the
   * room's entry, and one that hangs (a long GC pause) is a member until the failure timeout. The
   * room's output does not wait for it that long: what it sends is in the replica, which a takeover
   * reads. A copy not written in time is written again at the next catch-up (an append skips the
   * seqs it holds).
   */
  private Future<Long> catchUpBriefly(List<ChatRecord> batch) {
    Promise<Long> done = Promise.promise();
    long timer = vertx.setTimer(CATCH_UP_WAIT_MS, t -> done.tryComplete(clusterSeq));
    toCluster(batch).onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        done.tryComplete(ar.result());
      } else {
        done.tryFail(ar.cause());
      }
    });
    return done.future();
  }

  /**
   * The replica write to {@code failed} got no answer: the whole retained tail to the node that holds
   * replicas now (a node that hangs is passed over for a while: see Replicas.holderNode), else the
   * cluster copy, whose Hazelcast write may itself wait for the hanging node (a backup it holds).
   */
  private Future<Long> elsewhere(String failed, List<ChatRecord> batch) {
    String next = copies.replicaNode();
    if (next == null || next.equals(failed)) {
      return toCluster(batch);
    }
    return copies.replicate(next, retainedTail(batch))
        .andThen(ar -> replicaHolder = ar.succeeded() ? next : null)
        .map(v -> clusterSeq)
        .recover(err -> unlessFenced(err, () -> toCluster(batch)));
  }

  /** A replica write's failure: a newer activation stays a failure; anything else (no reply) falls back to {@code instead}. */
  private static <T> Future<T> unlessFenced(Throwable err, Supplier<Future<T>> instead) {
    return err instanceof RoomStore.FencedException ? Future.failedFuture(err) : instead.get();
  }

  /** The whole retained history up to the end of {@code batch} (or up to what is written), oldest first. */
  private List<ChatRecord> retainedTail(List<ChatRecord> batch) {
    return retained(0, batch.isEmpty() ? committedSeq : batch.get(batch.size() - 1).seq());
  }

  /** The retained records with {@code after < seq <= upTo}, oldest first. */
  private List<ChatRecord> retained(long after, long upTo) {
    List<ChatRecord> out = new ArrayList<>();
    for (ChatRecord r : retained.after(after)) {
      if (r.seq() > upTo) {
        break;
      }
      out.add(r);
    }
    return out;
  }

  /** Writes what the cluster copy lacks up to the end of {@code batch} (or up to what is written). */
  private Future<Long> toCluster(List<ChatRecord> batch) {
    List<ChatRecord> backlog = clusterBacklog(batch);
    if (backlog.isEmpty()) {
      return Future.succeededFuture(clusterSeq);
    }
    boolean gap = backlog.get(0).seq() > clusterSeq + 1;
    long upTo = backlog.get(backlog.size() - 1).seq();
    return copies.appendToCluster(backlog, gap).map(upTo);
  }

  /**
   * What the cluster copy lacks up to the end of {@code batch} (or, for a catch-up alone, up to
   * what is written): the batch itself unless the copy was behind.
   */
  private List<ChatRecord> clusterBacklog(List<ChatRecord> batch) {
    long upTo = batch.isEmpty() ? committedSeq : batch.get(batch.size() - 1).seq();
    if (clusterSeq >= upTo) {
      return List.of();
    }
    if (!batch.isEmpty() && batch.get(0).seq() == clusterSeq + 1) {
      return batch;
    }
    return retained(clusterSeq, upTo);
  }
}
