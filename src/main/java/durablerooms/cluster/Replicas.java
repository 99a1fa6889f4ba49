package durablerooms.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The second copy of each active room's commits that the store may still lack, in another node's
 * memory, on a cluster of two or more nodes: what a commit's output waits for there (with
 * {@code ROOMS_DURABILITY=memory}) instead of the store, which is written behind. The room's owner
 * sends its commits to the next node after itself (node ids in order), batched: the writes of all
 * rooms of one event loop that come while a batch to that node is in flight go as the next one. A
 * replica forgets the commits the store has; the owner sends all that the store lacks to a node that
 * is new to the room.
 *
 * <p>A takeover reads every live node's replica of the room after it raised the room's epoch, and
 * fences them to that epoch: a write of the activation it replaces is refused from then on, so what
 * that activation ACKed is either in what the takeover read or was never ACKed.
 *
 * <p>The holder side (the maps below) runs on this verticle's context; the sender side on the rooms'
 * event loops, one batcher per loop thread.
 */
public final class Replicas extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Replicas.class);
  /** A room's commits that this node holds for another node's activation of it, in order (see replicateChanges). */
  private static final class Replica {
    long epoch;
    final ArrayDeque<Wire.HeldChange> changes = new ArrayDeque<>();

    Replica(long epoch) {
      this.epoch = epoch;
    }
  }

  /** The writes of one event loop to one node: those of the batch in flight, and those queued behind it. */
  private static final class Outgoing {
    List<Pending> queued = new ArrayList<>();
    boolean inFlight;
    boolean scheduled;
  }

  private record Pending(Wire.ReplicaWrite write, Promise<Void> done, Context context) {}

  /** The batches of one event-loop thread, run on a context of their own on that loop (see loopContext). */
  private final class Batcher {
    final Context context;
    final Map<String, Outgoing> byNode = new HashMap<>();

    Batcher(Context context) {
      this.context = context;
    }

    void add(String node, Pending p) {
      Outgoing out = byNode.computeIfAbsent(node, n -> new Outgoing());
      out.queued.add(p);
      if (!out.inFlight && !out.scheduled) {
        out.scheduled = true; // the writes of this loop turn go together
        context.runOnContext(v -> send(node, out));
      }
    }

    void send(String node, Outgoing out) {
      out.scheduled = false;
      if (out.queued.isEmpty()) {
        return;
      }
      List<Pending> batch = out.queued;
      out.queued = new ArrayList<>();
      out.inFlight = true;
      List<Wire.ReplicaWrite> writes = new ArrayList<>(batch.size());
      batch.forEach(p -> writes.add(p.write()));
      vertx.eventBus().<Wire.Fenced>request(Addresses.replicas(node), new Wire.Replicate(writes), options)
          .onComplete(ar -> {
            out.inFlight = false;
            if (ar.failed() && ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) {
              unresponsive(node);
            }
            Set<String> fenced = ar.succeeded() ? Set.copyOf(ar.result().body().rooms()) : Set.of();
            for (Pending p : batch) {
              p.context().runOnContext(v -> {
                if (ar.failed()) {
                  p.done().fail(ar.cause());
                } else if (fenced.contains(p.write().room())) {
                  p.done().fail(new RoomStore.FencedException(p.write().room()));
                } else {
                  p.done().complete();
                }
              });
            }
            send(node, out);
          });
    }
  }

  private final String nodeId;
  private final Supplier<Set<String>> liveNodes;
  private final DeliveryOptions options;
  private final ConcurrentHashMap<Thread, Batcher> batchers = new ConcurrentHashMap<>();
  /** The replicas held here, by room (holder context only). */
  private final Map<String, Replica> held = new HashMap<>();
  /** The epoch below which a room's replica here refuses writes, set by a takeover (holder context only). */
  private final Map<String, Long> fences = new HashMap<>();
  private Set<String> ringOf;
  /** The other live nodes in the order they are asked to hold replicas: the next ids after this node's first. */
  private List<String> ring = List.of();
  /** Nodes that let a replica write time out, and until when (nanoTime) they are passed over. */
  private final Map<String, Long> unresponsiveUntil = new HashMap<>();
  static final long UNRESPONSIVE_MS = 10_000;
  /** The room of the message that makes this node's event bus look up another node's replica address (none has it). */
  private static final String WARM_UP = "";

  /** {@code timeoutMs}: how long a write waits for the holder's answer before it fails. */
  public Replicas(String nodeId, Supplier<Set<String>> liveNodes, long timeoutMs) {
    this.nodeId = nodeId;
    this.liveNodes = liveNodes;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMs);
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Wire>consumer(Addresses.replicas(nodeId), this::onMessage).completion();
  }

  /**
   * Sends the commits of a room to the node that holds its replica (call on an event loop: the
   * room's), with the number of the last commit the store has: the replica forgets those. The owner
   * bounds what the store may lack, so a replica holds at most that. Completes on the caller's
   * context once that node has them, fails with FencedException if a newer activation exists, or
   * with another error (no other node, a timeout): the caller then waits for the store instead.
   * {@code node}: the one {@link #holderNode()} named. {@code changes} is sent as it is: the caller
   * no longer changes it.
   */
  public Future<Void> replicateChanges(String node, String room, long epoch, List<Wire.HeldChange> changes,
                                       long stored) {
    return send(node, new Wire.ReplicaWrite(room, epoch, changes, stored));
  }

  /** Queues a write with the batch of the caller's event loop to {@code node}; completes on the caller's context. */
  private Future<Void> send(String node, Wire.ReplicaWrite write) {
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    Promise<Void> done = Promise.promise();
    batchers.computeIfAbsent(Thread.currentThread(), t -> new Batcher(loopContext(context)))
        .add(node, new Pending(write, done, context));
    return done.future();
  }

  /**
   * A context of the caller's event loop that belongs to no deployment: a batch in flight must
   * outlive the room that started it (undeploying a verticle unregisters the reply handlers
   * registered from its context).
   */
  private ContextInternal loopContext(ContextInternal caller) {
    return ((VertxInternal) vertx).contextBuilder().withEventLoop(caller.nettyEventLoop()).build();
  }

  /**
   * What the replicas of a room hold: its commits in the order they were made (by epoch, then
   * number), each once, and the newest epoch any live node holds a replica of (0: none).
   */
  public record HeldChanges(List<Wire.HeldChange> changes, long newestEpoch) {}

  /**
   * For a takeover of a room at {@code epoch}: what every live node's replica of the room holds (see
   * {@link HeldChanges}), each replica fenced to the epoch. Fails if a node does not answer (what it
   * holds may have been ACKed): the activation then fails and is tried again.
   */
  public Future<HeldChanges> collectChanges(String room, long epoch) {
    return held(room, epoch).map(held -> {
      TreeMap<List<Long>, Wire.HeldChange> inOrder = new TreeMap<>(
          Comparator.<List<Long>>comparingLong(k -> k.get(0)).thenComparingLong(k -> k.get(1)));
      held.forEach(h -> h.changes().forEach(c -> inOrder.put(List.of(c.epoch(), c.n()), c)));
      long newest = held.stream().mapToLong(Wire.Held::epoch).max().orElse(0);
      return new HeldChanges(List.copyOf(inOrder.values()), newest);
    });
  }

  /** What every live node's replica of {@code room} holds, each fenced to {@code epoch}. */
  private Future<List<Wire.Held>> held(String room, long epoch) {
    List<Future<Message<Wire.Held>>> answers = new ArrayList<>();
    for (String node : liveNodes.get()) {
      answers.add(vertx.eventBus().<Wire.Held>request(Addresses.replicas(node), new Wire.Collect(room, epoch), options)
          .recover(err -> noReplicas(err) ? Future.succeededFuture(null) : Future.failedFuture(err)));
    }
    return Future.all(answers).map(all -> answers.stream().map(Future::result).filter(m -> m != null)
        .map(Message::body).toList());
  }

  /** A node with no replica consumer (starting, or stopped meanwhile) holds no replica. */
  private static boolean noReplicas(Throwable err) {
    return err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
  }

  /** The room slept with every commit in the store: every node drops its replica of activations up to {@code epoch}. */
  public void drop(String room, long epoch) {
    for (String node : liveNodes.get()) {
      if (node.equals(nodeId)) {
        // this node's own replica directly: a room that sleeps as the node stops would otherwise
        // send it to a consumer already unregistered (a WARN of Vert.x's for each)
        context.runOnContext(v -> dropHeld(room, epoch));
      } else {
        vertx.eventBus().send(Addresses.replicas(node), new Wire.DropReplica(room, epoch));
      }
    }
  }

  private void dropHeld(String room, long epoch) {
    Replica replica = held.get(room);
    if (replica != null && replica.epoch <= epoch) {
      held.remove(room);
    }
    fences.remove(room, epoch); // a fence of a newer takeover stays
  }

  /** How many rooms this node holds a replica of (for tests). */
  public Future<Integer> heldRooms() {
    Promise<Integer> p = Promise.promise();
    context.runOnContext(v -> p.complete(held.size()));
    return p.future();
  }

  /**
   * The node that holds this node's replicas: the next one in the ring of live node ids after this
   * one that has not let a replica write time out in the last {@value #UNRESPONSIVE_MS} ms, or null
   * when alone (or when every other node has). A node that hangs (a long GC pause, SIGSTOP) is still
   * a member until the failure timeout: passing it over keeps the rooms of this node from waiting
   * for it at every write meanwhile (they wait once, for the write that timed out).
   */
  public synchronized String holderNode() {
    Set<String> live = liveNodes.get();
    if (live != ringOf) {
      ringOf = live;
      ring = new ArrayList<>(live);
      ring.remove(nodeId);
      ring.sort(null);
      int after = (int) ring.stream().filter(n -> n.compareTo(nodeId) < 0).count();
      Collections.rotate(ring, -after); // the next ids after this node's first, then from the lowest
      // the event bus looks a new address up in Hazelcast before its first send, on whichever node
      // owns that entry: a lookup made only once a holder hangs could wait for the hanging node
      ring.forEach(n -> vertx.eventBus().send(Addresses.replicas(n), new Wire.DropReplica(WARM_UP, 0)));
    }
    if (unresponsiveUntil.isEmpty()) {
      return ring.isEmpty() ? null : ring.get(0); // every batch asks: the common case does no more
    }
    long now = System.nanoTime();
    unresponsiveUntil.values().removeIf(until -> until - now <= 0);
    return ring.stream().filter(n -> !unresponsiveUntil.containsKey(n)).findFirst().orElse(null);
  }

  /** A replica write to {@code node} got no answer in time: another node holds the replicas for a while. */
  private synchronized void unresponsive(String node) {
    if (unresponsiveUntil.put(node, System.nanoTime() + UNRESPONSIVE_MS * 1_000_000) == null) {
      LOG.info("node {} did not answer a replica write in time; replicas go to another node for {} s", node,
          UNRESPONSIVE_MS / 1000);
    }
  }

  // --- the holder side ---------------------------------------------------------------------------

  private void onMessage(Message<Wire> msg) {
    Wire body = msg.body();
    if (body instanceof Wire.Replicate r) {
      List<String> fenced = new ArrayList<>();
      for (Wire.ReplicaWrite w : r.writes()) {
        if (!hold(w)) {
          fenced.add(w.room());
        }
      }
      PeerSends.reply(msg, new Wire.Fenced(fenced));
    } else if (body instanceof Wire.Collect c) {
      fences.merge(c.room(), c.epoch(), Math::max);
      Replica replica = held.get(c.room());
      PeerSends.reply(msg, replica == null ? new Wire.Held(0, List.of())
          : new Wire.Held(replica.epoch, List.copyOf(replica.changes)));
    } else if (body instanceof Wire.DropReplica d) {
      dropHeld(d.room(), d.epoch());
    } else {
      PeerSends.fail(msg, 400, "unknown replica message");
    }
  }

  /** Applies one write; false when fenced (a newer activation of the room exists). */
  private boolean hold(Wire.ReplicaWrite w) {
    if (w.epoch() < fences.getOrDefault(w.room(), 0L)) {
      return false;
    }
    Replica replica = held.get(w.room());
    if (replica != null && replica.epoch > w.epoch()) {
      return false;
    }
    if (replica == null) {
      replica = new Replica(w.epoch());
      held.put(w.room(), replica);
    }
    if (replica.epoch < w.epoch()) {
      // a newer activation stored the older one's commits before it made any of its own
      replica.changes.clear();
    }
    holdChanges(replica.changes, w);
    replica.epoch = w.epoch();
    return true;
  }

  /** Adds the commits this replica lacks, and forgets those that the store has. */
  private static void holdChanges(ArrayDeque<Wire.HeldChange> changes, Wire.ReplicaWrite w) {
    for (Wire.HeldChange c : w.changes()) {
      if (changes.isEmpty() || c.n() > changes.peekLast().n()) {
        changes.addLast(c);
      }
    }
    while (!changes.isEmpty() && changes.peekFirst().n() <= w.stored()) {
      changes.removeFirst();
    }
  }
}
