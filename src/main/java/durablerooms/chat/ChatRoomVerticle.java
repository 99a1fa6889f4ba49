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
import durablerooms.room.Logged;
import durablerooms.room.RoomFailure;
import durablerooms.room.RoomLog;
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
import io.vertx.core.Vertx;
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
  private final RoomStore store;
  private final Replicas replicas;
  private final int historyLimit;
  private final Durability durability;
  private final BooleanSupplier healthy;
  private final boolean takeover;
  private final Webhooks webhooks;
  /** The write path of the room's messages: made once the room has its Vert.x (init). */
  private RoomLog log;
  /** The sender of messages published from outside the room: not a connection, never a member. */
  static final String SERVER_MEMBER = "api";

  /** What one command writes: a chat record, a member change, or (both null) a catch-up of the cluster copy. */
  record Write(ChatRecord record, MemberChange change) {}

  private static final Write CATCH_UP = new Write(null, null);

  /** Where the room starts: its seq as stored or in the cluster copy, and the cluster copy's. */
  private final long startSeq;
  private final long startClusterSeq;
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
    this.startSeq = snapshot.state().seq();
    this.startClusterSeq = snapshot.clusterSeq();
    this.durability = durability;
    this.store = store;
    this.replicas = replicas;
    this.historyLimit = historyLimit;
    this.takeover = snapshot.takeover();
  }

  @Override
  public void init(Vertx vertx, Context context) {
    super.init(vertx, context);
    RoomLog.Retained retained = new RoomLog.Retained() {
      @Override
      public long seq() {
        return room.seq();
      }

      @Override
      public List<ChatRecord> after(long after) {
        return room.since(after).messages();
      }
    };
    log = new RoomLog(RoomLog.copies(store, replicas, room.name(), epoch, historyLimit, healthy), retained, durability,
        () -> liveNodes.get().size(), vertx, startSeq, startClusterSeq, takeover);
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
        log.reserveAhead(room.seq());
      }
      store.persistAgain(room.name(), epoch, room.since(0).messages());
      // what came from the replicas goes to the cluster copy (and this room's tail to its replica
      // node) before anything goes out
      gate.write(CATCH_UP);
      replayNewest();
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
        .compose(v -> wasBroken ? log.catchUpCluster().otherwiseEmpty() : Future.succeededFuture())
        .compose(v -> leavesNothing() ? store.forget(room.name(), lease, epoch)
            : expireStored().compose(x -> armExpiryAlarm()).compose(x -> store.hibernate(room.name(), lease, epoch,
                log.committedSeq(), List.copyOf(room.since(0).messages()), !gate.broken())))
        .onSuccess(v -> {
          if (!gate.broken() && log.clusterComplete()) {
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
    return !gate.broken() && log.committedSeq() == 0 && room.seq() == 0 && epoch == 1 && lease.epoch() == 1;
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
      long committedSeq = log.committedSeq();
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
    return log.clusterBehind();
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

  @Override
  protected List<Logged> loggedAfter(long since) {
    List<ChatRecord> records = room.since(since).messages();
    List<Logged> out = new ArrayList<>(records.size());
    records.forEach(r -> out.add(new Logged(r.seq(), ServerFrames.message(r))));
    return out;
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
      return log.write(records, catchUp); // a flowing room's batch: nothing to wait for beside it
    }
    Future<Void> changesWritten = store.changeMembers(room.name(), epoch, changes);
    if (records.isEmpty() && !catchUp) {
      return changesWritten;
    }
    return Future.join(log.write(records, catchUp), changesWritten).mapEmpty();
  }

  @Override
  protected Roster roster() {
    return room.roster();
  }
}
