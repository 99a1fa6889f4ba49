package durablerooms.room;

import durablerooms.cluster.Addresses;
import durablerooms.cluster.PeerSends;
import durablerooms.cluster.Processors;
import durablerooms.cluster.RoomStore;
import durablerooms.cluster.Wire;
import durablerooms.metrics.RoomMetrics;
import durablerooms.state.EventSlice;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The node's room host: one event-bus consumer per node receives every command for the rooms this
 * node runs, activates a room on its first command (lease, state, deploy: once), dispatches to
 * the room's verticle, and puts idle rooms to sleep. Its map is touched only on its own event loop.
 */
public final class RoomHost extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(RoomHost.class);

  /** One room on this node: activating, active, or closing. */
  private static final class Entry {
    /** The room deployed (completes on the host's loop). */
    Future<HostedRoom> ready;
    /** The room started (completes on its own loop, a little before {@link #ready}), or the activation failed. */
    Future<HostedRoom> running;
    HostedRoom verticle;
    String deploymentId;
    Future<Void> closed;
    /** The verticle being deployed, and whether a write of it failed before its deploy completed (it is dropped once deployed). */
    HostedRoom deploying;
    boolean brokenEarly;
  }

  private final String nodeId;
  private final RoomStore store;
  private final Supplier<Set<String>> liveNodes;
  private final BooleanSupplier healthy;
  private final long idleTimeoutMs;
  private final RoomMetrics metrics;
  private final RoomTypes types;
  /** How rooms of each type this node serves activate, by type name (chat's included). */
  private final Map<String, RoomActivator> activators;
  private final Map<String, Entry> rooms = new HashMap<>();
  /** The rooms active here and not closing, for the gateways' direct path (read from any thread). */
  private final ConcurrentHashMap<String, HostedRoom> active = new ConcurrentHashMap<>();
  /** The rooms closing here, until they have (read from any thread): see {@link #history}. */
  private final ConcurrentHashMap<String, Future<Void>> stopping = new ConcurrentHashMap<>();
  /** This host's context (set once started; read by the cluster's event thread too). */
  private volatile Context host;

  public RoomHost(String nodeId, RoomStore store, Supplier<Set<String>> liveNodes, BooleanSupplier healthy,
                  long idleTimeoutMs, RoomMetrics metrics, RoomTypes types, Map<String, RoomActivator> activators) {
    this.nodeId = nodeId;
    this.store = store;
    this.liveNodes = liveNodes;
    this.healthy = healthy;
    this.idleTimeoutMs = idleTimeoutMs;
    this.metrics = metrics;
    this.types = types;
    this.activators = Map.copyOf(activators);
  }

  @Override
  public Future<?> start() {
    host = context;
    vertx.setPeriodic(Math.max(10, Math.min(1000, idleTimeoutMs / 4)), id -> hibernateIdleRooms());
    return vertx.eventBus().<Wire.RoomCommand>consumer(Addresses.roomInbox(nodeId), this::onCommand).completion()
        .compose(v -> vertx.eventBus().<Wire>consumer(Addresses.roomHistory(nodeId), this::onRead).completion());
  }

  /**
   * Another node's HTTP API reads the log of a room active here; fails with NOT_OWNER when it is
   * not: the asker reads the store itself.
   */
  private void onRead(Message<Wire> msg) {
    if (!(msg.body() instanceof Wire.ReadEvents e)) {
      PeerSends.fail(msg, RoomFailure.NOT_OWNER, "");
      return;
    }
    Future<EventSlice> slice = events(e.room(), e.since(), e.limit(), context);
    if (slice == null) {
      PeerSends.fail(msg, RoomFailure.NOT_OWNER, "");
      return;
    }
    slice.onComplete(ar -> {
      if (ar.succeeded() && ar.result() != null) {
        PeerSends.reply(msg, new Wire.Events(ar.result()));
      } else {
        PeerSends.fail(msg, RoomFailure.NOT_OWNER, "");
      }
    });
  }

  /** The room types this node serves. */
  public RoomTypes types() {
    return types;
  }

  /** Active rooms on this node (the HTTP API's count; read from any thread, so approximate). */
  public int activeRooms() {
    return rooms.size();
  }

  /** Whether this node holds the room in any state: activating, active or still closing. */
  public boolean knows(String room) {
    return rooms.containsKey(room);
  }

  /** Whether the room has a verticle on this node right now (for tests and the API). */
  public boolean isActive(String room) {
    Entry e = rooms.get(room);
    return e != null && e.verticle != null && e.closed == null;
  }

  private void onCommand(Message<Wire.RoomCommand> msg) {
    String from = msg.headers().get(RoomFailure.FROM_HEADER);
    if (from != null && !from.equals(nodeId) && !rooms.containsKey(msg.body().room())) {
      // not active here (asleep, or never was): the sender's node activates it, for locality
      PeerSends.fail(msg, RoomFailure.NOT_OWNER, "");
      return;
    }
    dispatch(msg.body()).onComplete(ar -> {
      if (ar.succeeded()) {
        PeerSends.reply(msg, ar.result()); // null, or a call's answer
      } else {
        ReplyException re = asRoomFailure(msg.body().room(), ar.cause());
        PeerSends.fail(msg, re.failureCode(), re.getMessage());
      }
    });
  }

  /** A command's failure as the gateway understands it: anything unexpected is "unavailable". */
  private static ReplyException asRoomFailure(String room, Throwable err) {
    if (err instanceof ReplyException re) {
      return re;
    }
    LOG.warn("room {}: command failed", room, err);
    return RoomFailure.unavailable("room unavailable");
  }

  /**
   * Runs the command on the room's loop, timed from {@code started} (which includes any
   * activation); completes with null, or with a call's answer.
   */
  private Future<?> submit(HostedRoom v, Wire.RoomCommand cmd, Context replyContext, long started) {
    Future<?> done = cmd instanceof Wire.Call call ? v.call(call, replyContext) : v.submit(cmd, replyContext);
    return done.andThen(ar -> metrics.roomCommandProcessed(started));
  }

  /**
   * Runs a command on a room active on this node straight from the caller's event loop, without
   * the event-bus hops through this host; null when the room is not active here (or the node is
   * recovering from a pause): then the command goes through the host as usual.
   */
  @SuppressWarnings("unchecked")
  public <T> Future<T> submitHere(Wire.RoomCommand cmd, Context replyContext) {
    HostedRoom v = active.get(cmd.room());
    if (v == null || !healthy.getAsBoolean()) {
      return null;
    }
    return (Future<T>) submit(v, cmd, replyContext, System.nanoTime())
        .recover(err -> Future.failedFuture(asRoomFailure(cmd.room(), err)));
  }

  /**
   * The durable log of a room from its verticle when it is active on this node (the store is written
   * behind it), or from the store once it has stopped when it is stopping here; null when it is
   * neither.
   */
  public Future<EventSlice> events(String room, long since, int limit, Context replyContext) {
    HostedRoom v = active.get(room);
    if (v != null) {
      return v.events(since, limit, replyContext);
    }
    Future<Void> stopped = stopping.get(room);
    return stopped == null ? null : stopped.compose(x -> store.log(room, since, limit));
  }

  /**
   * Node {@code node} left the cluster: every room of this node, active or activating, removes its
   * members there. The oldest node's sweep asks the same of each room, but its purge may reach the
   * owner before the owner has seen the node leave; this, run when it has, removes them whichever
   * comes last. A room that is stopping removes them when it next activates. Any thread.
   */
  public void nodeLeft(String node) {
    Context c = host;
    if (c != null) { // null until started: no room yet
      c.runOnContext(v -> rooms.forEach((room, e) -> e.ready.onSuccess(rv -> rv.submit(new Wire.Purge(room, node), c)
          .onFailure(err -> LOG.debug("room {}: members of node {} not removed now: {}", room, node, err.toString())))));
    }
  }

  /**
   * The rooms deployed on this node (on the host's context), also those whose direct path is not
   * open yet: they may have written already. A room that is stopping catches up on its own.
   */
  private Stream<HostedRoom> deployed() {
    return rooms.values().stream().map(e -> e.verticle).filter(Objects::nonNull);
  }

  private Future<?> dispatch(Wire.RoomCommand cmd) {
    if (!healthy.getAsBoolean()) {
      return Future.failedFuture(RoomFailure.unavailable("node is recovering from a pause"));
    }
    Entry e = rooms.get(cmd.room());
    if (e == null) {
      e = activate(cmd.room());
    }
    if (e.closed != null) {
      return e.closed.compose(v -> dispatch(cmd));
    }
    long started = System.nanoTime();
    return e.running.compose(v -> submit(v, cmd, host, started));
  }

  /**
   * Activates a room on its first command here: the lease (when another node holds it, the command
   * goes there), then the room's type loads it and makes its verticle, which is deployed. If that
   * fails, the lease goes back (not clean after a takeover: the next activation replays).
   */
  private Entry activate(String room) {
    Entry e = new Entry();
    rooms.put(room, e);
    String type = RoomTypes.typeOf(room);
    RoomActivator activator = activators.get(type);
    if (activator == null) {
      e.ready = Future.failedFuture(RoomFailure.client(durablerooms.protocol.ErrorCode.BAD_REQUEST,
          "no room type " + type + " on this node"));
      e.running = e.ready;
      rooms.remove(room, e);
      return e;
    }
    Future<Processors.Claim> owned = store.claim(room, nodeId, liveNodes.get())
        .compose(claim -> nodeId.equals(claim.lease().owner()) ? Future.succeededFuture(claim)
            : Future.failedFuture(RoomFailure.notOwner(claim.lease().owner())));
    Future<RoomActivator.Activated> made = activator.activate(room, owned, this::broken);
    e.ready = made
        .compose(a -> deployed(room, a.verticle(), e, a.woken(), owned.result().takeover(), a.epoch()))
        .onFailure(err -> {
          if (owned.succeeded()) {
            store.release(room, owned.result().lease(), !owned.result().takeover());
          }
          rooms.remove(room, e);
        });
    // the commands that wait for the activation go to the room from its own loop once it has
    // started, in the order they came, before the host hears that the deploy completed
    Promise<HostedRoom> running = Promise.promise();
    made.onSuccess(a -> a.verticle().running().onSuccess(v -> running.tryComplete(a.verticle())));
    e.ready.onFailure(running::tryFail);
    e.running = running.future();
    return e;
  }

  private Future<HostedRoom> deployed(String room, HostedRoom v, Entry e, boolean woken, boolean takeover, long epoch) {
    e.deploying = v;
    return vertx.deployVerticle((io.vertx.core.Deployable) v).map(id -> {
      e.verticle = v;
      e.deploymentId = id;
      if (e.brokenEarly) {
        close(room, e, "dropped after a failed write");
        return v; // the commands that waited for it fail as its gate does, and their retries activate it afresh
      }
      // the direct path opens after the commands that waited for the activation were submitted
      // (from the room's loop as it started: they run first, in the order they came)
      host.runOnContext(x -> {
        if (e.closed == null && rooms.get(room) == e) {
          active.put(room, v);
        }
      });
      metrics.roomActivated(woken, takeover);
      if (takeover) {
        LOG.info("room {} taken over from a node that left (epoch {})", room, epoch);
      } else {
        LOG.info("room {} activated (epoch {})", room, epoch);
      }
      return v;
    });
  }

  private void hibernateIdleRooms() {
    long now = System.nanoTime();
    for (Map.Entry<String, Entry> me : new ArrayList<>(rooms.entrySet())) {
      Entry e = me.getValue();
      // a command that reaches the room once it is stopping goes back to this host, which wakes it again
      if (e.verticle != null && e.closed == null && e.verticle.idleNanos(now) >= idleTimeoutMs * 1_000_000L) {
        metrics.roomHibernated();
        close(me.getKey(), e, "hibernated");
      }
    }
  }

  /** A room whose write failed: drop it so the next command activates it afresh from the store. */
  private void broken(HostedRoom v) {
    host.runOnContext(x -> {
      Entry e = rooms.get(v.name());
      if (e != null && e.verticle == v && e.closed == null) {
        close(v.name(), e, "dropped after a failed write");
      } else if (e != null && e.deploying == v && e.verticle == null && e.closed == null) {
        e.brokenEarly = true; // still deploying (its start can write): dropped once deployed
      }
    });
  }

  private void close(String room, Entry e, String why) {
    Promise<Void> closed = Promise.promise();
    e.closed = closed.future();
    stopping.put(room, e.closed);
    active.remove(room, e.verticle);
    vertx.undeploy(e.deploymentId).onComplete(ar -> {
      rooms.remove(room, e);
      stopping.remove(room, e.closed);
      LOG.info("room {} {}", room, why);
      closed.complete();
    });
  }

  /** Stops every room of this node (graceful shutdown): state is already written, leases go back. */
  @Override
  public Future<?> stop() {
    return closeAll();
  }

  /** Closes every active room of this node; runs on any thread. */
  public Future<Void> closeAllRooms() {
    Promise<Void> done = Promise.promise();
    host.runOnContext(v -> closeAll().onComplete(done));
    return done.future();
  }

  private Future<Void> closeAll() {
    var closing = new ArrayList<Future<Void>>();
    for (Map.Entry<String, Entry> me : new ArrayList<>(rooms.entrySet())) {
      Entry e = me.getValue();
      if (e.verticle != null && e.closed == null) {
        close(me.getKey(), e, "stopped");
        closing.add(e.closed);
      }
    }
    return Future.join(closing).mapEmpty();
  }
}
