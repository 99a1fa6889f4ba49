package durablerooms.room;

import durablerooms.cluster.Addresses;
import durablerooms.cluster.PeerSends;
import durablerooms.cluster.Wire;
import durablerooms.protocol.ErrorCode;
import durablerooms.protocol.ServerFrames;
import durablerooms.state.Member;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What every active room shares, whatever its type: commands run one at a time on the room's event
 * loop, their output waits in the {@link OutputGate} for the writes queued before it, a room that
 * stops sends commands back to its host and one whose write failed takes none, the host reads how
 * long the room has been idle, and frames go out as one event-bus message per node.
 *
 * @param <W> what one command writes
 */
public abstract class RoomVerticleBase<W> extends VerticleBase implements HostedRoom {
  private static final Logger LOG = LoggerFactory.getLogger(RoomVerticleBase.class);
  protected final OutputGate<W> gate;
  private final Consumer<HostedRoom> onBroken;
  /**
   * Nodes this room was told have left the cluster: their members are removed and a join from one
   * (sent before it died, arriving after the purge) is refused. A node id is never reused (each
   * start of a node has a new one), so a node named here cannot come back; one id per death.
   */
  protected final Set<String> departed = new HashSet<>();
  /** The nodes in the cluster now: members on any other are ghosts. */
  protected final Supplier<Set<String>> liveNodes;
  private final int maxMembers;
  /** Set when the host stops the room: commands go back to the host from then on. */
  protected boolean stopping;
  /** Commands being handled, and when the last one ended: the host's idle check reads them. */
  private volatile int inProgress;
  private volatile long lastActive = System.nanoTime();
  /** Completed on the room's loop once {@link #begin} has. */
  private final Promise<Void> running = Promise.promise();

  /**
   * @param healthy false once this process was paused: nothing more goes out (the room may have moved)
   * @param onBroken told once, when a write fails: the host drops the room, which activates afresh
   * @param liveNodes the nodes in the cluster now
   * @param maxMembers how many members the room takes (ROOMS_MAX_MEMBERS)
   */
  protected RoomVerticleBase(BooleanSupplier healthy, Consumer<HostedRoom> onBroken, Supplier<Set<String>> liveNodes,
                             int maxMembers) {
    this.onBroken = onBroken;
    this.liveNodes = liveNodes;
    this.maxMembers = maxMembers;
    this.gate = new OutputGate<>(this::commit, healthy, this::breakDown);
  }

  /** What the room does as it starts, on its loop; commands run once it has completed. */
  protected abstract Future<?> begin();

  @Override
  public final Future<?> start() {
    Future<?> begun;
    try {
      begun = begin();
    } catch (RuntimeException e) {
      begun = Future.failedFuture(e);
    }
    return begun.andThen(ar -> {
      if (ar.succeeded()) {
        running.tryComplete();
      } else {
        running.tryFail(ar.cause());
      }
    });
  }

  @Override
  public final Future<Void> running() {
    return running.future();
  }

  /** The output gate's sink: writes one batch of what commands wrote; completes once it is durable. */
  protected abstract Future<Void> commit(List<W> batch);

  /** The room was woken for its alarms (the store's alarm scan found one due). */
  protected abstract Future<Void> wake();

  /** A command of the room's own kind (a chat message, a frame for a user's type). */
  protected abstract Future<Void> command(Wire.RoomCommand command);

  /** Handles one command on the room's loop; completes once its output went out. */
  private Future<Void> dispatch(Wire.RoomCommand command) {
    if (command instanceof Wire.Join j) {
      return join(j);
    } else if (command instanceof Wire.Leave l) {
      return leave(l);
    } else if (command instanceof Wire.Purge p) {
      return purgeGhosts(p.node());
    } else if (command instanceof Wire.Wake) {
      return wake();
    }
    return command(command);
  }

  // --- presence: who is in the room, the same for every type ------------------------------------

  /** The write that stores a member's change: it joined, or left when {@code left}. */
  protected abstract W memberWrite(Member m, boolean left);

  /** The room's newest seq, which a joining member's PRESENCE names. */
  protected abstract long seq();

  /** The HISTORY frame for a member that has everything up to {@code since}. */
  protected abstract String historyFrame(long since);

  /** After a takeover, the newest this many logged frames go out again (see {@link #replayNewest}). */
  protected static final int TAKEOVER_REPLAY = 200;

  /** The retained log after {@code since}, oldest first, each frame as it was delivered. */
  protected abstract List<Logged> loggedAfter(long since);

  /**
   * After a takeover, the newest {@value #TAKEOVER_REPLAY} logged frames go out again, behind what
   * is queued (each socket skips the seqs it has): the dead owner may have committed them without
   * sending them.
   */
  protected final void replayNewest() {
    List<Logged> tail = loggedAfter(Math.max(0, seq() - TAKEOVER_REPLAY));
    gate.output(() -> tail.forEach(l -> broadcast(l.frame(), null, Wire.Delivery.MESSAGE, l.seq())));
  }

  /**
   * What the room's type does once a member joined (its PRESENCE and HISTORY are on their way):
   * {@code first} when the room was empty before. Completes once that output went out.
   */
  protected abstract Future<Void> joined(Member m, boolean first);

  /** What the room's type does once a member left (its removal is written): {@code last} when none is left. */
  protected abstract Future<Void> left(Member m, boolean last);

  /**
   * A member joins (or joins again, with what it missed since {@code since}): refused from a node
   * that left, or past ROOMS_MAX_MEMBERS; its PRESENCE (and HISTORY) go out once its membership is
   * written, then the room's type hears of it.
   */
  private Future<Void> join(Wire.Join j) {
    Member m = j.member();
    if (departed.contains(m.node())) { // a join in flight from a node that has died since
      return Future.failedFuture(RoomFailure.unavailable("node " + m.node() + " left the cluster"));
    }
    Roster roster = roster();
    if (roster.member(m.id()) == null && roster.size() >= maxMembers) {
      return Future.failedFuture(RoomFailure.client(ErrorCode.ROOM_FULL, "room is full"));
    }
    boolean first = roster.size() == 0;
    roster.join(m);
    gate.write(memberWrite(m, false));
    long seq = seq();
    String presence = ServerFrames.presence(roster.members(), m, seq);
    String history = j.since() < 0 ? null : historyFrame(j.since());
    gate.output(() -> {
      sendTo(m, presence, Wire.Delivery.ADMIT, seq);
      if (history != null) {
        sendTo(m, history, Wire.Delivery.PLAIN, 0);
      }
    });
    return joined(m, first);
  }

  /** A member's connection closed. */
  private Future<Void> leave(Wire.Leave l) {
    Roster roster = roster();
    Member m = roster.leave(l.connId());
    if (m == null) {
      return gate.output(() -> {});
    }
    gate.write(memberWrite(m, true));
    return left(m, roster.size() == 0);
  }

  /**
   * Removes the members whose node is no longer in the cluster, or is {@code node} (a node the
   * sweep names as gone, which this node's view may still list; null: none named). Like every
   * leave, each one's output goes once the write that removes it has committed: a client that asks
   * the HTTP API right after must not find it listed (if the write fails, the next activation
   * removes it again).
   */
  protected final Future<Void> purgeGhosts(String node) {
    if (node != null) {
      departed.add(node);
    }
    Roster roster = roster();
    Future<Void> last = gate.output(() -> {});
    for (Member g : roster.notOn(liveNodes.get(), departed)) {
      roster.leave(g.id());
      gate.write(memberWrite(g, true));
      last = left(g, roster.size() == 0);
    }
    return last;
  }

  /** Answers a call from outside on the room's loop (JSON text), once its output went out. */
  protected abstract Future<String> answer(Wire.Call call);

  /** Whether the room stays awake although no command is in progress (a room of a user's type retrying an alarm). */
  protected boolean busy() {
    return false;
  }

  @Override
  public final Future<Void> submit(Wire.RoomCommand command, Context replyContext) {
    return onRoomLoop(() -> dispatch(command), replyContext);
  }

  @Override
  public final Future<String> call(Wire.Call call, Context replyContext) {
    return onRoomLoop(() -> answer(call), replyContext);
  }

  /** Runs {@code work} on this room's loop as a command; completes on {@code replyContext}. */
  private <T> Future<T> onRoomLoop(Supplier<Future<T>> work, Context replyContext) {
    Promise<T> reply = Promise.promise();
    context.runOnContext(v -> guarded(work).onComplete(ar -> replyContext.runOnContext(x -> reply.handle(ar))));
    return reply.future();
  }

  @Override
  public final long idleNanos(long now) {
    return inProgress > 0 || busy() ? 0 : now - lastActive;
  }

  /**
   * Runs work that the room started itself (an alarm's timer) as a command in progress: the room
   * does not go idle under it.
   */
  protected final <T> Future<T> tracked(Supplier<Future<T>> work) {
    inProgress++;
    Future<T> done;
    try {
      done = work.get();
    } catch (RuntimeException e) {
      LOG.error("room {}: a command failed", name(), e);
      done = Future.failedFuture(RoomFailure.unavailable("room unavailable"));
    }
    return done.andThen(ar -> {
      inProgress--;
      lastActive = System.nanoTime();
    });
  }

  /**
   * A command or call: one that arrives once the room is stopping fails with NOT_OWNER and no owner,
   * so the caller asks the host, which wakes the room again; one that arrives after a write failed
   * is told the room is moving.
   */
  private <T> Future<T> guarded(Supplier<Future<T>> work) {
    if (stopping) {
      return Future.failedFuture(RoomFailure.notOwner(""));
    }
    if (gate.broken()) {
      return Future.failedFuture(RoomFailure.unavailable("room is moving"));
    }
    return tracked(work);
  }

  /** A write failed (fenced, or the store is gone): nothing more goes out; the host drops the room. */
  private void breakDown(Throwable cause) {
    LOG.info("room {}: a write failed ({}); the room is dropped and activates afresh", name(), cause.toString());
    onBroken.accept(this);
  }

  // --- delivery: one event-bus message per node (published to each of its gateway loops) ----------

  protected final void sendTo(Member m, String frame, byte kind, long seq) {
    PeerSends.publish(vertx.eventBus(), Addresses.delivery(m.node()), new Wire.Delivery(name(), m.id(), null, frame, kind, seq));
  }

  /**
   * Sends {@code frame} to every member but the one with id {@code except} (null: none). A node
   * where that member is alone gets no message, unless it is a MESSAGE: its seq counts as seen there.
   */
  protected final void broadcast(String frame, String except, byte kind, long seq) {
    Roster roster = roster();
    Member excepted = except == null ? null : roster.member(except);
    for (Map.Entry<String, Integer> e : roster.membersPerNode().entrySet()) {
      String node = e.getKey();
      if (e.getValue() == 1 && excepted != null && excepted.node().equals(node) && kind != Wire.Delivery.MESSAGE) {
        continue;
      }
      PeerSends.publish(vertx.eventBus(), Addresses.delivery(node), new Wire.Delivery(name(), null, except, frame, kind, seq));
    }
  }

  /** The room's members as they are now. */
  protected abstract Roster roster();
}
