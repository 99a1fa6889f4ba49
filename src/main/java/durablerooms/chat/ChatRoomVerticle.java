package durablerooms.chat;

import durablerooms.cluster.Processors.MemberChange;
import durablerooms.cluster.Replicas;
import durablerooms.cluster.RoomStore;
import durablerooms.cluster.Wire;
import durablerooms.protocol.ErrorCode;
import durablerooms.protocol.Protocol;
import durablerooms.protocol.ServerFrames;
import durablerooms.room.Durability;
import durablerooms.room.HostedRoom;
import durablerooms.room.RoomFailure;
import durablerooms.room.RoomVerticleBase;
import durablerooms.room.Roster;
import durablerooms.room.Webhooks;
import durablerooms.state.ChatRecord;
import durablerooms.state.HistorySlice;
import durablerooms.state.Lease;
import durablerooms.state.Member;
import durablerooms.state.MessageTtl;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Hosts one active chat room on one event loop. Commands change the {@link ChatRoom} at once, but their
 * output (frames, the command's reply) waits in the {@link OutputGate} until the writes queued
 * before it have completed.
 */
public final class ChatRoomVerticle extends RoomVerticleBase<ChatRoomVerticle.Write> {
  private final ChatRoom room;
  private final Lease lease;
  /** This activation's fencing token: writes carry it and are refused once a newer activation exists. */
  private final long epoch;
  private final Durability durability;
  private final RoomStore store;
  private final Replicas replicas;
  private final int historyLimit;
  private final BooleanSupplier healthy;
  private final boolean takeover;
  private final Webhooks webhooks;
  /** After a takeover, the tail of history is sent again: the dead owner may have stored it without sending it. */
  static final int TAKEOVER_REPLAY = 200;
  /** The sender of messages published from outside the room: not a connection, never a member. */
  static final String SERVER_MEMBER = "api";
  /**
   * Seqs are reserved on disk this many ahead of the newest, a new reservation once half of that is
   * used: one small journal write per few hundred messages, done while messages flow, so none waits.
   */
  static final long SEQ_BLOCK = 1000;

  /** What one command writes: a chat record, a member change, or (both null) a catch-up of the cluster copy. */
  record Write(ChatRecord record, MemberChange change) {}

  private static final Write CATCH_UP = new Write(null, null);

  /** The last seq whose record is stored (the working ChatRoom may be ahead while a write is in flight). */
  private long committedSeq;
  /**
   * The last seq in the cluster's copy of the room. A room alone in a one-node cluster writes its
   * messages to disk only: there the journal is what an ACK waits for (no second node could hold
   * a backup), and the copy has no reader while the room is active (the HTTP API asks the room).
   * With two or more nodes, a write's second copy is the replica on another node (Replicas), and
   * the cluster copy is written behind too. The copy catches up when a node joins (which could take
   * the room over from it) or leaves (it may have held the replica), before the room sleeps, and
   * every second from the host's sweep.
   */
  private long clusterSeq;
  /**
   * Seqs up to here are reserved on disk (RoomStore.reserve) or stored: a write of records that go
   * out before the disk has them waits for {@link #reservation}. A room whose newest messages were
   * lost (ROOMS_DURABILITY=memory, every node killed) starts after its reservation, never at a seq
   * that members saw for another message.
   */
  private long reservedTo;
  /** The highest reservation asked for. */
  private long reservingTo;
  /** The last reservation asked for: the journal completes reservations in order, so it covers the others. */
  private Future<Void> reservation = Future.succeededFuture();
  /** The node known to hold this room's retained tail as its replica (null: none yet, or a write to it failed). */
  private String replicaHolder;
  /** Whether the cluster copy lacks written messages (read by the host's sweep). */
  private volatile boolean clusterBehind;
  /** How long a room's output waits for a catch-up of its cluster copy (see catchUpBriefly). */
  static final long CATCH_UP_WAIT_MS = 100;
  /** The name of a chat room's alarm for its next expiring message. */
  static final String EXPIRY_ALARM = "rooms.expire";
  /** A busy room deletes its expired messages from the store at most this often (a sleeping one as it goes to sleep). */
  private static final long EXPIRE_STORED_EVERY_NANOS = 10_000_000_000L;
  /** The newest expired message deleted from the store (asked for), and when. */
  private long expiredStoredUpTo;
  private long expiredStoredAt = System.nanoTime() - EXPIRE_STORED_EVERY_NANOS;
  public ChatRoomVerticle(RoomStore.Snapshot snapshot, String name, RoomStore store, Replicas replicas, int historyLimit,
                      int maxMembers, Durability durability, Supplier<Set<String>> liveNodes, BooleanSupplier healthy,
                      Consumer<HostedRoom> onBroken, Webhooks webhooks) {
    super(healthy, onBroken, liveNodes, maxMembers);
    this.webhooks = webhooks;
    this.healthy = healthy;
    this.room = new ChatRoom(name, snapshot.state(), snapshot.members(), historyLimit, store.messageTtl());
    this.lease = snapshot.lease();
    this.epoch = snapshot.state().epoch();
    this.committedSeq = snapshot.state().seq();
    this.clusterSeq = snapshot.clusterSeq();
    this.durability = durability;
    this.store = store;
    this.replicas = replicas;
    this.historyLimit = historyLimit;
    this.takeover = snapshot.takeover();
    // what a room starts from was handed out under an earlier activation's reservation, or is
    // stored; after a takeover it may hold records from the replicas that no completed reservation
    // covers, and they go out again: start() reserves past them first
    this.reservedTo = takeover ? 0 : committedSeq;
    this.reservingTo = reservedTo;
  }

  public String name() {
    return room.name();
  }

  /**
   * After a takeover, members see again the tail of history (each socket skips what it has) and
   * members of nodes that left are removed; both go out through the output gate like any event.
   */
  @Override
  public Future<?> start() {
    if (takeover) {
      if (room.seq() > 0) {
        reserveAhead(room.seq());
      }
      store.persistAgain(room.name(), epoch, room.since(0).messages());
      // what came from the replicas goes to the cluster copy (and this room's tail to its replica
      // node) before anything goes out
      gate.write(CATCH_UP);
      for (ChatRecord r : room.since(Math.max(0, room.seq() - TAKEOVER_REPLAY)).messages()) {
        String frame = ServerFrames.message(r);
        gate.output(() -> broadcast(frame, null, Wire.Delivery.MESSAGE, r.seq()));
      }
    }
    purgeGhosts(null);
    if (epoch > 1) {
      webhooks.record(room.name(), Webhooks.WOKEN, room.members().size());
    }
    return Future.succeededFuture();
  }

  /**
   * Hibernation (the host stops rooms that were idle): commands that arrive from now on are sent
   * back to the host, the writes still in flight complete and the cluster copy catches up (if the
   * checkpoint below fails, the state stays in the cluster's memory, and the next activation starts
   * from it), then state to disk and the lease back. A room whose gate broke still brings the
   * cluster copy up to what it committed: the checkpoint may fail for the same reason its write did.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    boolean wasBroken = gate.broken();
    gate.write(CATCH_UP);
    if (!wasBroken) {
      webhooks.record(room.name(), Webhooks.HIBERNATED, room.members().size());
    }
    return gate.drained()
        .compose(v -> wasBroken ? toCluster(List.of()).<Void>mapEmpty().otherwiseEmpty() : Future.succeededFuture())
        .compose(v -> leavesNothing() ? store.forget(room.name(), lease, epoch)
            : expireStored().compose(x -> armExpiryAlarm()).compose(x -> store.hibernate(room.name(), lease, epoch,
                committedSeq, List.copyOf(room.since(0).messages()), !gate.broken())))
        .onSuccess(v -> {
          if (!gate.broken() && clusterSeq == committedSeq) {
            replicas.drop(room.name(), epoch); // the cluster copy and the disk hold everything
          }
        })
        .otherwiseEmpty();
  }

  /**
   * With ROOMS_MESSAGE_TTL, a room that goes to sleep sets its alarm for when its oldest message
   * expires (or removes it, holding none): the oldest node wakes it then (a Wake), and it deletes
   * what expired and sets the alarm for the next. So a room that sleeps for good still loses its
   * expired messages from the store. The alarm lives in the store of room types, like theirs.
   */
  private Future<Void> armExpiryAlarm() {
    MessageTtl ttl = store.messageTtl();
    if (!ttl.on()) {
      return Future.succeededFuture();
    }
    long oldest = room.oldestTime();
    return store.setAlarm(room.name(), EXPIRY_ALARM, oldest < 0 ? null : oldest + ttl.millis() + 1).otherwiseEmpty();
  }

  /**
   * Deletes from the store the messages this room dropped as expired since it last did; a failure
   * leaves them stored (every read leaves them out), and is not the room's concern.
   */
  private Future<Void> expireStored() {
    long upTo = room.expire();
    if (upTo <= expiredStoredUpTo) {
      return Future.succeededFuture();
    }
    expiredStoredUpTo = upTo;
    expiredStoredAt = System.nanoTime();
    return store.expire(room.name(), epoch, upTo).otherwiseEmpty();
  }

  /**
   * Whether this room, going to sleep, can leave nothing behind: it never held a message and this
   * is its first activation (epoch 1 of both lease and state: no store row existed, none was
   * written, and no earlier activation can still be running). Rooms created by the thousand and
   * never written in then cost nothing once asleep.
   */
  private boolean leavesNothing() {
    return !gate.broken() && committedSeq == 0 && room.seq() == 0 && epoch == 1 && lease.epoch() == 1;
  }

  /**
   * Brings the cluster copy up to date (with whatever is being written now) before any further
   * output: a node joined the cluster, which from now on may take the room over from that copy,
   * or the copy lags; any thread.
   */
  public void catchUpCluster() {
    context.runOnContext(v -> {
      if (!stopping && !gate.broken()) {
        gate.write(CATCH_UP);
      }
    });
  }

  /**
   * The room's seq and up to {@code limit} messages after {@code since}, as far as they are
   * written (the HTTP API; the cluster copy may lag while the node is alone); completes on the
   * caller's context.
   */
  public Future<HistorySlice> history(long since, int limit, Context replyContext) {
    Promise<HistorySlice> reply = Promise.promise();
    context.runOnContext(v -> {
      HistorySlice all = room.since(since);
      List<ChatRecord> out = new ArrayList<>();
      for (ChatRecord r : all.messages()) {
        if (r.seq() > committedSeq || out.size() == limit) {
          break;
        }
        out.add(r);
      }
      HistorySlice slice = new HistorySlice(out, committedSeq, all.gap() && since < committedSeq);
      replyContext.runOnContext(x -> reply.complete(slice));
    });
    return reply.future();
  }

  /** Whether the cluster copy lacks messages written to disk; any thread. */
  public boolean clusterBehind() {
    return clusterBehind;
  }

  @Override
  protected Future<Void> command(Wire.RoomCommand command) {
    if (command instanceof Wire.Say s) {
      return say(s);
    } else if (command instanceof Wire.Rename r) {
      return rename(r);
    } else if (command instanceof Wire.Typing t) {
      return typing(t);
    } else if (command instanceof Wire.Page p) {
      return page(p);
    }
    return Future.failedFuture(RoomFailure.client(ErrorCode.BAD_REQUEST, "unknown command"));
  }

  /** Its expiry alarm (see armExpiryAlarm): chat rooms set no other. */
  @Override
  protected Future<Void> wake() {
    return expireStored().compose(v -> armExpiryAlarm());
  }

  @Override
  protected Write memberWrite(Member m, boolean left) {
    return new Write(null, new MemberChange(m, left));
  }

  @Override
  protected long seq() {
    return room.seq();
  }

  /** The others hear of a member who joined with a JOIN (the webhook: the room is occupied). */
  @Override
  protected Future<Void> joined(Member m, boolean first) {
    return announce("JOIN", m, first ? Webhooks.OCCUPIED : null, 1);
  }

  /** The others hear of a member who left with a LEAVE (the webhook: the room is vacated). */
  @Override
  protected Future<Void> left(Member m, boolean last) {
    return announce("LEAVE", m, last ? Webhooks.VACATED : null, 0);
  }

  /** Sends the others a presence change of {@code kind}, then records {@code hook} (null: none) with {@code members}. */
  private Future<Void> announce(String kind, Member m, String hook, int members) {
    String frame = ServerFrames.presenceChange(kind, m);
    return gate.output(() -> {
      broadcast(frame, m.id(), Wire.Delivery.PLAIN, 0);
      if (hook != null) {
        webhooks.record(room.name(), hook, members);
      }
    });
  }


  private Future<Void> say(Wire.Say s) {
    Member from = room.member(s.connId());
    if (from == null) {
      return Future.failedFuture(RoomFailure.notMember());
    }
    ChatRoom.Said said = room.say(from, s.clientKey(), s.text(), s.id(), System.currentTimeMillis());
    if (room.expiredUpTo() > expiredStoredUpTo && System.nanoTime() - expiredStoredAt > EXPIRE_STORED_EVERY_NANOS) {
      expireStored();
    }
    ChatRecord r = said.record();
    if (said.fresh()) {
      gate.write(new Write(r, null));
      String message = ServerFrames.message(r);
      String ack = r.hasId() ? ServerFrames.ack(r) : null;
      return gate.output(() -> {
        broadcast(message, from.id(), Wire.Delivery.MESSAGE, r.seq());
        if (ack != null) {
          sendTo(from, ack, Wire.Delivery.ACK, r.seq());
        }
      });
    }
    String ack = ServerFrames.ack(r);
    return gate.output(() -> sendTo(from, ack, Wire.Delivery.ACK, r.seq()));
  }

  /**
   * The server-side publish (a call from outside, checked by the gateway): a message from
   * {@code user}, who is not a member, broadcast to every member and answered with its seq; with an
   * {@code id}, a retry gets the first message's seq (ids of calls are deduplicated apart from
   * those of clients).
   */
  @Override
  protected Future<String> answer(Wire.Call call) {
    JsonObject body = new JsonObject(call.json());
    Member server = new Member(SERVER_MEMBER, body.getString("user"), "");
    ChatRoom.Said said = room.say(server, SERVER_MEMBER, body.getString("message"), body.getString("id"),
        System.currentTimeMillis());
    ChatRecord r = said.record();
    String answer = new JsonObject().put("seq", r.seq()).put("ts", r.ts()).encode();
    if (!said.fresh()) {
      return gate.output(() -> {}).map(answer);
    }
    gate.write(new Write(r, null));
    String message = ServerFrames.message(r);
    return gate.output(() -> broadcast(message, null, Wire.Delivery.MESSAGE, r.seq())).map(answer);
  }

  private Future<Void> rename(Wire.Rename r) {
    Member renamed = room.rename(r.connId(), r.name());
    if (renamed == null) {
      return Future.failedFuture(RoomFailure.notMember());
    }
    gate.write(new Write(null, new MemberChange(renamed, false)));
    String frame = ServerFrames.presenceChange("RENAME", renamed);
    return gate.output(() -> broadcast(frame, null, Wire.Delivery.PLAIN, 0));
  }

  private Future<Void> typing(Wire.Typing t) {
    Member m = room.member(t.connId());
    if (m == null) {
      return Future.failedFuture(RoomFailure.notMember());
    }
    String frame = ServerFrames.typing(m);
    return gate.output(() -> broadcast(frame, m.id(), Wire.Delivery.PLAIN, 0));
  }

  private Future<Void> page(Wire.Page p) {
    Member m = room.member(p.connId());
    if (m == null) {
      return Future.failedFuture(RoomFailure.notMember());
    }
    HistorySlice slice = room.page(p.before(), p.limit());
    long empty = Math.max(0, p.before());
    String frame = ServerFrames.history(slice.messages(), empty, empty, slice.gap(), Protocol.MAX_HISTORY_FRAME_BYTES);
    return gate.output(() -> sendTo(m, frame, Wire.Delivery.PLAIN, 0));
  }

  /**
   * The HISTORY frame for a member that has the room's messages up to {@code since}. A {@code since}
   * above the room's seq names messages the room does not have (it lost them, or its store was
   * replaced): the member is told to reset, with what a member without any gets, rather than be
   * given, without a word, seqs it holds for other messages.
   */
  @Override
  protected String historyFrame(long since) {
    if (since > room.seq()) {
      HistorySlice all = room.since(0);
      return ServerFrames.history(all.messages(), room.seq() + 1, room.seq(), true, true, Protocol.MAX_HISTORY_FRAME_BYTES);
    }
    HistorySlice slice = room.since(since);
    return ServerFrames.history(slice.messages(), since + 1, since, slice.gap(), Protocol.MAX_HISTORY_FRAME_BYTES);
  }

  // --- writes: the second copy, the disk, seq reservations ------------------------------------

  /**
   * Asks for the next block of seqs once fewer than half a block are reserved past {@code seq}: the
   * reservation's journal write runs beside the message's own writes, and in a flowing room it has
   * completed long before a message needs it.
   */
  private void reserveAhead(long seq) {
    if (seq + SEQ_BLOCK / 2 <= reservingTo) {
      return;
    }
    long upTo = seq + SEQ_BLOCK;
    reservingTo = upTo;
    reservation = store.reserve(room.name(), epoch, upTo, healthy)
        .onSuccess(v -> reservedTo = Math.max(reservedTo, upTo));
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
   * The output gate's sink: the batch's chat records (with any catch-up of the cluster copy) and its
   * member changes, side by side; it has committed once both have.
   */
  @Override
  protected Future<Void> commit(List<Write> batch) {
    List<ChatRecord> records = new ArrayList<>();
    List<MemberChange> changes = new ArrayList<>();
    boolean catchUp = false;
    for (Write w : batch) {
      if (w.change() != null) {
        changes.add(w.change());
      } else if (w.record() != null) {
        records.add(w.record());
      } else {
        catchUp = true;
      }
    }
    if (changes.isEmpty()) {
      return writeRecords(records, catchUp); // a flowing room's batch: nothing to wait for beside it
    }
    Future<Void> changesWritten = store.changeMembers(room.name(), epoch, changes);
    if (records.isEmpty() && !catchUp) {
      return changesWritten;
    }
    return Future.join(writeRecords(records, catchUp), changesWritten).mapEmpty();
  }

  /**
   * Records get their second copy first (see {@link #copy}), then go to disk; records written behind
   * the disk (ROOMS_DURABILITY=memory, two or more nodes) count as written once their seqs are
   * reserved too (see {@link #reserveAhead}).
   */
  private Future<Void> writeRecords(List<ChatRecord> batch, boolean catchUp) {
    int nodes = liveNodes.get().size();
    boolean toDisk = durability.waitForDisk(nodes);
    long upTo = batch.isEmpty() ? room.seq() : batch.get(batch.size() - 1).seq();
    if (!toDisk && !batch.isEmpty()) {
      reserveAhead(upTo); // these records go out before they are on disk
    }
    Future<Long> copied = copy(batch, catchUp, nodes);
    return copied.compose(v -> store.appendToDisk(room.name(), epoch, batch, toDisk, healthy))
        .compose(v -> reserved(upTo))
        .onSuccess(v -> {
          if (!batch.isEmpty()) {
            committedSeq = batch.get(batch.size() - 1).seq();
          }
          clusterSeq = Math.max(clusterSeq, copied.result());
          clusterBehind = clusterSeq < committedSeq;
        });
  }

  /**
   * The second copy of a batch of records, before it goes to disk; completes with how far the
   * cluster copy then reaches. On a cluster of two or more nodes: in the memory of the replica node
   * (one event-bus request for the writes of all rooms of this loop), the cluster copy written
   * behind; if the replica cannot be reached, the cluster copy at once. A node that is new as this
   * room's replica (a node joined or left, or the last write to it failed) gets the whole retained
   * tail first. A room alone in a one-node cluster writes its messages to disk only (see
   * clusterSeq). A catch-up writes the cluster copy.
   */
  private Future<Long> copy(List<ChatRecord> batch, boolean catchUp, int nodes) {
    String holder = nodes > 1 ? replicas.holderNode() : null;
    boolean newHolder = holder != null && !holder.equals(replicaHolder);
    if (holder == null) {
      return catchUp || nodes > 1 ? toCluster(batch) : Future.succeededFuture(clusterSeq);
    }
    Future<Void> replicated = batch.isEmpty() && !newHolder ? Future.succeededFuture()
        : replicas.replicate(holder, room.name(), epoch, newHolder ? retainedTail(batch) : batch)
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
    String next = replicas.holderNode();
    if (next == null || next.equals(failed)) {
      return toCluster(batch);
    }
    return replicas.replicate(next, room.name(), epoch, retainedTail(batch))
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
    for (ChatRecord r : room.since(after).messages()) {
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
    return store.appendToCluster(room.name(), epoch, backlog, gap, historyLimit).map(upTo);
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

  @Override
  protected Roster roster() {
    return room.roster();
  }
}
