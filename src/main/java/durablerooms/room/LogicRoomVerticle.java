package durablerooms.room;

import durablerooms.api.RoomContext;
import durablerooms.api.RoomException;
import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import durablerooms.api.StorageFullException;
import durablerooms.cluster.Processors.MemberChange;
import durablerooms.cluster.Replicas;
import durablerooms.cluster.RoomStore;
import durablerooms.cluster.Wire;
import durablerooms.metrics.RoomMetrics;
import durablerooms.protocol.ErrorCode;
import durablerooms.protocol.ServerFrames;
import durablerooms.state.EventSlice;
import durablerooms.state.Lease;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.storage.LogicArchive;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Hosts one active room of a user's type on one event loop: runs its {@link RoomLogic}'s handlers
 * one at a time, each as a transaction ({@link LogicTransaction}), and lets their frames out
 * through the {@link OutputGate} once their writes are durable: storage, events and ACKs by the
 * room's {@link ChangeLog} (a replica node's memory, the node's journal, or the store of room types), membership and
 * attachments in the cluster's member set.
 */
public final class LogicRoomVerticle extends RoomVerticleBase<LogicRoomVerticle.Write> {
  private static final Logger LOG = LoggerFactory.getLogger(LogicRoomVerticle.class);
  /** What one handler wrote: to the store of room types (null: nothing) and to the member set. */
  record Write(LogicArchive.Change change, List<MemberChange> members) {}

  private final String key;
  private final RoomType type;
  /** Whether the platform announces joins, leaves and renames (RoomType.announcesPresence, asked once). */
  private final boolean presence;
  private final LogicState state;
  private final Lease lease;
  private final long memberEpoch;
  private final boolean takeover;
  private final RoomStore store;
  private final LogicArchive archive;
  private final Replicas replicas;
  private final Durability durability;
  /** The write path of the room's commits: made once the room has its Vert.x (init). */
  private ChangeLog log;
  /** The seqs the store held reserved for the room when this activation loaded it (0: none). */
  private final long reservedAtStart;
  /** The store's mark of the last commit applied when this activation loaded the room. */
  private final LogicArchive.Mark appliedAtStart;
  /** Where the room's state is kept when it sleeps cleanly, for its next wake on this node. */
  private final SleepingRooms sleeping;
  /**
   * For a room woken from what this node kept (null: it was read from the store and the member
   * set): the store's epoch raised to this activation's, and the member set fenced to it and found
   * as kept. It fails if another activation came between, or the cluster lost the member set.
   */
  private final CompletionStage<?> keptConfirmed;
  private final RoomMetrics metrics;
  private final Webhooks webhooks;
  /** Whether the room was active before (its store epoch was raised before this activation). */
  private final boolean woken;
  private RoomLogic logic;
  /** The room's seq as far as its output has gone out: every event up to it is durable. */
  private long outSeq;
  /** Whether this activation committed anything of the room's own (storage, events, ACKs, alarms). */
  private boolean wrote;
  /** The alarm timer of this activation (-1: none armed). */
  private long alarmTimer = -1;
  /** Alarms whose handler threw: how many times, and when each runs again. */
  private final Map<String, Integer> retries = new java.util.HashMap<>();
  private final Map<String, Long> retryAt = new java.util.HashMap<>();
  static final int ALARM_RETRIES = 3;
  private volatile boolean retrying;

  public LogicRoomVerticle(String key, RoomType type, LogicArchive.Loaded loaded, MemberSet members, Lease lease,
                           boolean takeover, RoomStore store, LogicArchive archive, Replicas replicas,
                           Durability durability, LogicState.Limits limits,
                           int maxMembers, Supplier<Set<String>> liveNodes, BooleanSupplier healthy,
                           Consumer<HostedRoom> onBroken, RoomMetrics metrics, Webhooks webhooks,
                           SleepingRooms sleeping, CompletionStage<?> keptConfirmed) {
    super(healthy, onBroken, liveNodes, maxMembers);
    this.keptConfirmed = keptConfirmed;
    this.sleeping = sleeping;
    this.appliedAtStart = loaded.applied();
    this.metrics = metrics;
    this.webhooks = webhooks;
    this.woken = loaded.epoch() > 1;
    this.reservedAtStart = loaded.reserved();
    this.key = key;
    this.type = type;
    this.presence = announcesPresence(type);
    this.state = new LogicState(key, loaded, members, limits);
    this.lease = lease;
    this.memberEpoch = lease.epoch();
    this.takeover = takeover;
    this.store = store;
    this.archive = archive;
    this.replicas = replicas;
    this.durability = durability;
    this.outSeq = state.seq();
  }

  @Override
  public void init(Vertx vertx, Context context) {
    super.init(vertx, context);
    ChangeLog.Copies copies = ChangeLog.copies(replicas, key, state.epoch(),
        change -> {
          LogicArchive.Appended appended = archive.append(change);
          return new ChangeLog.Written(Future.fromCompletionStage(appended.onDisk(), context),
              Future.fromCompletionStage(appended.inStore(), context));
        },
        () -> Future.fromCompletionStage(archive.flush(), context),
        upTo -> Future.fromCompletionStage(archive.reserve(key, state.epoch(), upTo), context));
    log = new ChangeLog(copies, durability, () -> liveNodes.get().size(), state.epoch(),
        Math.max(state.seq(), reservedAtStart), reservedAtStart > 0);
  }

  @Override
  public String name() {
    return key;
  }

  /** A fresh instance of the logic, {@code onStart}, then (after a takeover) the newest events again and the ghosts removed. */
  @Override
  protected Future<?> begin() {
    logic = type.create();
    if (keptConfirmed != null) {
      // nothing goes out before what the room started from is confirmed (or the gate breaks); writes go on
      gate.holdUntil(Future.fromCompletionStage(keptConfirmed, context));
    }
    if (woken) {
      lifecycle(Webhooks.WOKEN);
    }
    handle("onStart", (ctx, tx) -> logic.onStart(ctx));
    if (takeover) {
      replayNewest();
    }
    purgeGhosts(null);
    fireDueAlarms();
    return Future.succeededFuture();
  }

  /**
   * Hibernation: commands from now on go back to the host; what is in flight completes and the store
   * has every commit (the room's seq reservation given back), then the lease goes back and the
   * replicas forget the room, and its state is kept in this node's memory for its next wake here
   * (if it fits: {@link SleepingRooms}). If the store lacks a commit, the lease goes back unclean:
   * the next activation takes over from the replicas.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(alarmTimer);
    if (!gate.broken()) {
      lifecycle(Webhooks.HIBERNATED);
    }
    return gate.drained()
        .compose(v -> log.allStored())
        .compose(v -> log.giveBack())
        .transform(ar -> {
          boolean clean = ar.succeeded() && !gate.broken();
          if (clean) {
            replicas.drop(key, state.epoch());
          }
          if (clean && leavesNothing()) {
            return forget();
          }
          return store.release(key, lease, clean)
              .compose(released -> clean && released ? keepAsleep() : Future.succeededFuture());
        })
        .otherwiseEmpty();
  }

  /**
   * Keeps the room's state, which the store now holds exactly, for a wake on this node. Its values
   * are encoded again on a worker thread (up to ROOMS_STORAGE_MAX_BYTES of them: too long for an
   * event loop); no handler runs any more, so the state stays as it is meanwhile.
   */
  private Future<Void> keepAsleep() {
    if (!sleeping.keeps()) {
      return Future.succeededFuture();
    }
    LogicArchive.Mark applied = log.lastMark(appliedAtStart);
    List<Member> members = List.copyOf(state.members());
    return vertx.executeBlocking(() -> state.asStored(applied), false)
        .onSuccess(asStored -> {
          if (asStored != null) {
            sleeping.put(key, lease.epoch(), asStored, members);
          }
        })
        .<Void>mapEmpty()
        .recover(err -> {
          LOG.warn("room {}: its state is not kept for its next wake", key, err);
          return Future.succeededFuture();
        });
  }

  /**
   * Whether this room, going to sleep, can leave nothing behind: this is its first activation
   * (epoch 1 of both lease and store: no row existed, and no earlier activation can still be
   * running) and it committed nothing of its own. Rooms joined by the thousand and never written in
   * then cost no row, lease or member set once asleep.
   */
  private boolean leavesNothing() {
    return !wrote && state.epoch() == 1 && memberEpoch == 1 && state.seq() == 0 && reservedAtStart == 0;
  }

  /** The room's store row, lease and (when no member is left) member set go; the lease is released if that fails. */
  private Future<Void> forget() {
    return Future.fromCompletionStage(archive.forget(key), context)
        .compose(forgotten -> forgotten ? store.forget(key, lease, memberEpoch)
            : store.release(key, lease, true).mapEmpty(),
            err -> store.release(key, lease, true).mapEmpty());
  }

  /**
   * The log as far as it is durable (the HTTP API: the store is written behind, and a node that
   * is not the owner reads it from here); completes on {@code replyContext}.
   */
  @Override
  public Future<EventSlice> events(long since, int limit, Context replyContext) {
    Promise<EventSlice> reply = Promise.promise();
    context.runOnContext(v -> {
      EventSlice slice = state.slice(since, limit, outSeq);
      replyContext.runOnContext(x -> reply.complete(slice));
    });
    return reply.future();
  }

  /** A room stays awake while an alarm of it waits to be retried: the count of its failures is kept in memory. */
  @Override
  protected boolean busy() {
    return retrying;
  }

  @Override
  protected Future<Void> command(Wire.RoomCommand command) {
    if (command instanceof Wire.Custom c) {
      return message(c);
    }
    return Future.failedFuture(RoomFailure.client(ErrorCode.BAD_REQUEST, "not a frame for a room of type " + type.name()));
  }

  @Override
  protected Write memberWrite(Member m, boolean left) {
    return new Write(null, List.of(new MemberChange(m, left)));
  }

  @Override
  protected long seq() {
    return state.seq();
  }

  @Override
  protected String historyFrame(long since) {
    return state.historyFrame(since);
  }

  @Override
  protected List<Logged> loggedAfter(long since) {
    return state.eventsAfter(since);
  }

  /**
   * The logic's onConnect runs for a member who joined (the webhook: the room is occupied), after
   * the others heard of it when the type announces presence.
   */
  @Override
  protected Future<Void> joined(Member m, boolean first) {
    if (first) {
      lifecycle(Webhooks.OCCUPIED);
    }
    announce("JOIN", m);
    return handle("onConnect", (ctx, tx) -> logic.onConnect(ctx, tx.connection(m.id()))).output();
  }

  /** The logic's onClose runs for a member who left (the webhook: the room is vacated), after the others heard of it. */
  @Override
  protected Future<Void> left(Member m, boolean last) {
    if (last) {
      lifecycle(Webhooks.VACATED);
    }
    announce("LEAVE", m);
    return handle("onClose", (ctx, tx) -> logic.onClose(ctx, tx.gone(m))).output();
  }

  /** Tells every member but {@code m} of its JOIN or LEAVE, when the type announces presence. */
  private void announce(String kind, Member m) {
    if (presence) {
      String frame = ServerFrames.presenceChange(kind, m);
      gate.output(() -> broadcast(frame, m.id(), Wire.Delivery.PLAIN, 0));
    }
  }

  /** A lifecycle webhook, in a transaction of its own (a handler that throws does not take it with it). */
  private void lifecycle(String event) {
    if (webhooks.on()) {
      int members = state.memberCount();
      handle(event, (ctx, tx) -> tx.hook(event, Webhooks.lifecycle(key, members)));
    }
  }
  private Future<Void> message(Wire.Custom c) {
    Member from = state.member(c.connId());
    if (from == null) {
      return Future.failedFuture(RoomFailure.notMember());
    }
    String ackKey = c.id() == null ? null : c.clientKey() + "\n" + c.id();
    if (ackKey != null) {
      LogicArchive.Ack seen = state.acked(ackKey);
      if (seen != null) { // a retry of a frame whose handler ran: the same ACK, not a second run
        String ack = ack(c.id(), seen.seq(), seen.ts());
        return gate.output(() -> sendTo(from, ack, Wire.Delivery.ACK, seen.seq()));
      }
    }
    JsonObject json = c.message();
    long now = System.currentTimeMillis();
    Handled h = handle("onMessage", ackKey, now, (ctx, tx) -> logic.onMessage(ctx, tx.connection(from.id()), json));
    if (h.failure() != null) {
      return h.output().compose(v -> Future.failedFuture(failure(h.failure())));
    }
    if (c.id() == null) {
      return h.output();
    }
    long seq = state.seq();
    String ack = ack(c.id(), seq, now);
    return gate.output(() -> sendTo(from, ack, Wire.Delivery.ACK, seq));
  }

  // --- alarms -----------------------------------------------------------------------------------

  @Override
  protected Future<Void> wake() {
    return fireDueAlarms();
  }

  /**
   * Runs onAlarm for each alarm that is due (and not waiting to be retried), each in its own
   * transaction that removes the alarm unless the handler sets it again; then arms the timer for
   * the next one. A handler that throws is retried after 1, 2 and 4 s, then its alarm is dropped.
   */
  private Future<Void> fireDueAlarms() {
    long now = System.currentTimeMillis();
    Future<Void> last = gate.output(() -> {});
    for (Map.Entry<String, Long> due : state.dueAlarms(now)) {
      String name = due.getKey();
      if (retryAt.getOrDefault(name, 0L) > now) {
        continue;
      }
      Handled h = handle("onAlarm " + name, (ctx, tx) -> {
        tx.firing(name);
        logic.onAlarm(ctx, name);
      });
      last = h.output();
      if (h.failure() == null) {
        retries.remove(name);
        metrics.alarmFired(now - due.getValue());
      } else {
        int failures = retries.merge(name, 1, Integer::sum);
        retryAt.put(name, now + (1000L << Math.min(failures - 1, 10)));
        if (failures > ALARM_RETRIES) {
          retries.remove(name);
          retryAt.remove(name);
          LOG.warn("room {}: alarm {} failed {} times; it is dropped", key, name, failures);
          metrics.alarmDropped();
          last = handle("dropping alarm " + name, (ctx, tx) -> tx.firing(name)).output();
        }
      }
    }
    armAlarmTimer();
    return last;
  }

  /** Arms the timer for the earliest alarm (or retry of a failed one); none while the room stops. */
  private void armAlarmTimer() {
    vertx.cancelTimer(alarmTimer);
    alarmTimer = -1;
    retryAt.keySet().retainAll(state.alarms().keySet());
    retries.keySet().retainAll(state.alarms().keySet());
    retrying = !retries.isEmpty();
    if (stopping) {
      return;
    }
    long next = -1;
    for (Map.Entry<String, Long> a : state.alarms().entrySet()) {
      long at = Math.max(a.getValue(), retryAt.getOrDefault(a.getKey(), 0L));
      if (next < 0 || at < next) {
        next = at;
      }
    }
    if (next < 0) {
      return;
    }
    alarmTimer = vertx.setTimer(Math.max(1, next - System.currentTimeMillis()), t -> {
      alarmTimer = -1;
      if (!stopping && !gate.broken()) {
        tracked(this::fireDueAlarms);
      }
    });
  }

  /** A type's announcesPresence(); one that throws is taken as false (a user's code may fail anywhere). */
  private static boolean announcesPresence(RoomType type) {
    try {
      return type.announcesPresence();
    } catch (RuntimeException e) {
      LOG.warn("room type {}: announcesPresence() threw; taken as false", type.name(), e);
      return false;
    }
  }

  /** What the client learns of a handler that threw: the logic's refusal, storage_full, or room_error. */
  private static Throwable failure(Throwable thrown) {
    if (thrown instanceof RoomException refusal) {
      return RoomFailure.refused(refusal);
    }
    if (thrown instanceof StorageFullException) {
      return RoomFailure.client(ErrorCode.STORAGE_FULL, thrown.getMessage());
    }
    return RoomFailure.client(ErrorCode.ROOM_ERROR, "the room's logic failed: nothing of it was kept");
  }

  /**
   * A call from outside: onRequest as a transaction; its answer once its writes are durable. A call
   * with an idempotency key runs once: a retry is answered with the first one's seq and time.
   */
  @Override
  protected Future<String> answer(Wire.Call call) {
    String ackKey = call.id() == null ? null : CALLER + "\n" + call.id();
    LogicArchive.Ack seen = ackKey == null ? null : state.acked(ackKey);
    if (seen != null) {
      String again = new JsonObject().put("seq", seen.seq()).put("ts", seen.ts()).encode();
      return gate.output(() -> {}).map(again);
    }
    JsonObject body = new JsonObject(call.json());
    String[] answer = {null};
    Handled h = handle("onRequest", ackKey, System.currentTimeMillis(), (ctx, tx) -> {
      JsonObject out = logic.onRequest(ctx, body);
      answer[0] = out == null ? "{}" : out.encode();
    });
    return h.failure() == null ? h.output().map(v -> answer[0])
        : h.output().compose(v -> Future.failedFuture(failure(h.failure())));
  }

  /**
   * Whose ids a call's idempotency key is deduplicated among: no client's key (a connection id, or
   * {@code c:}/{@code t:} and a client id) can be this.
   */
  static final String CALLER = "api";

  private static String ack(String id, long seq, long ts) {
    return new JsonObject().put("type", "ACK").put("id", id).put("seq", seq).put("ts", ts).encode();
  }

  // --- handlers as transactions -------------------------------------------------------------------

  /** A handler's outcome: when its output has gone out, and what it threw (null: it committed). */
  private record Handled(Future<Void> output, Throwable failure) {}

  private interface Body {
    void run(RoomContext ctx, LogicTransaction tx);
  }

  private Handled handle(String what, Body body) {
    return handle(what, null, System.currentTimeMillis(), body);
  }

  /**
   * Runs a handler at {@code now} in a transaction of its own; if it returns, its writes are applied and queued
   * (with the frame's ACK key, if any) and its frames queued behind them; if it throws, nothing of
   * it is kept.
   */
  private Handled handle(String what, String ackKey, long now, Body body) {
    LogicTransaction tx = new LogicTransaction(state, type.name(), this::deliver, webhooks.on(), now, presence);
    try {
      body.run(tx.context(), tx);
    } catch (RuntimeException | StackOverflowError e) {
      tx.close();
      if (e instanceof StorageFullException || e instanceof RoomException) {
        LOG.info("room {}: {} refused: {}", key, what, e.getMessage());
      } else {
        LOG.warn("room {}: {} threw; its writes and frames are discarded", key, what, e);
      }
      return new Handled(gate.output(() -> {}), e);
    }
    LogicTransaction.Committed done = tx.commit(ackKey);
    if (done.change() != null && !done.change().hooksOnly()) {
      wrote = true;
    }
    if (done.change() != null || !done.members().isEmpty()) {
      gate.write(new Write(done.change(), done.members()));
    }
    if (done.change() != null && !done.change().alarms().isEmpty() && logic != null) {
      armAlarmTimer();
    }
    long seqAfter = state.seq();
    return new Handled(gate.output(() -> {
      outSeq = seqAfter;
      done.frames().forEach(Runnable::run);
    }), null);
  }

  /** The gate's sink: one commit of the room's log and one write of the member set, for a batch of handlers. */
  @Override
  protected Future<Void> commit(List<Write> batch) {
    LogicArchive.Change merged = LogicTransaction.merge(key, state.epoch(), batch.stream().map(Write::change).toList());
    List<MemberChange> members = new ArrayList<>();
    batch.forEach(w -> members.addAll(w.members()));
    Future<Void> written = merged == null ? Future.succeededFuture() : log.write(merged);
    Future<Void> set = members.isEmpty() ? Future.succeededFuture() : store.changeMembers(key, memberEpoch, members);
    return Future.join(written, set).mapEmpty();
  }


  // --- delivery ---------------------------------------------------------------------------------

  /** Sends a frame the logic made: to one member, or to all but one (null: all). */
  private void deliver(LogicTransaction.Frame f) {
    if (f.to() != null) {
      sendTo(f.to(), f.frame(), f.kind(), f.seq());
    } else {
      broadcast(f.frame(), f.except(), f.kind(), f.seq());
    }
  }

  @Override
  protected Roster roster() {
    return state.roster();
  }
}
