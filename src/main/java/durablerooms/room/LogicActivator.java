package durablerooms.room;

import durablerooms.api.RoomType;
import durablerooms.cluster.Processors;
import durablerooms.cluster.Replicas;
import durablerooms.cluster.RoomStore;
import durablerooms.cluster.RoomStore.FencedException;
import durablerooms.cluster.Wire;
import durablerooms.metrics.RoomMetrics;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.storage.LogicArchive;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Activates rooms of one user's type: the member set fenced to the lease's epoch and, at the same
 * time, the room's own state from the store of room types (which raises the store's epoch for this
 * activation), after a takeover with the commits that the replicas hold and the store lacks, then
 * a {@link LogicRoomVerticle} running a fresh instance of the type's logic. A room that slept here
 * last starts from its state and members as this node kept them ({@link SleepingRooms}) while the
 * store and the member set confirm them.
 */
public final class LogicActivator implements RoomActivator {
  private static final Logger LOG = LoggerFactory.getLogger(LogicActivator.class);
  private final RoomType type;
  private final RoomStore store;
  private final LogicArchive archive;
  private final Replicas replicas;
  private final Durability durability;
  private final LogicState.Limits limits;
  private final int maxMembers;
  private final Supplier<Set<String>> liveNodes;
  private final BooleanSupplier healthy;
  private final RoomMetrics metrics;
  private final Webhooks webhooks;
  private final SleepingRooms sleeping;

  private LogicActivator(RoomType type, RoomStore store, LogicArchive archive, Replicas replicas, Durability durability,
                         LogicState.Limits limits, int maxMembers, Supplier<Set<String>> liveNodes,
                         BooleanSupplier healthy, RoomMetrics metrics, Webhooks webhooks, SleepingRooms sleeping) {
    this.sleeping = sleeping;
    this.type = type;
    this.store = store;
    this.archive = archive;
    this.replicas = replicas;
    this.durability = durability;
    this.limits = limits;
    this.maxMembers = maxMembers;
    this.liveNodes = liveNodes;
    this.healthy = healthy;
    this.metrics = metrics;
    this.webhooks = webhooks;
  }

  /** An activator for each of the users' types in {@code types}, by type name. */
  public static Map<String, RoomActivator> forTypes(RoomTypes types, RoomStore store, LogicArchive archive,
                                                    Replicas replicas, Durability durability, int historyLimit,
                                                    long storageMaxBytes, int maxMembers,
                                                    Supplier<Set<String>> liveNodes, BooleanSupplier healthy,
                                                    RoomMetrics metrics, Webhooks webhooks,
                                                    SleepingRooms sleeping) {
    LogicState.Limits limits = LogicState.Limits.of(historyLimit, storageMaxBytes, store.messageTtl());
    Map<String, RoomActivator> activators = new HashMap<>();
    for (String name : types.names()) {
      RoomType type = types.get(name);
      if (type != null) {
        activators.put(name, new LogicActivator(type, store, archive, replicas, durability, limits, maxMembers,
            liveNodes, healthy, metrics, webhooks, sleeping));
      }
    }
    return activators;
  }

  @Override
  public Future<Activated> activate(String room, Future<Processors.Claim> claimed, Consumer<HostedRoom> onBroken) {
    Context host = Vertx.currentContext();
    // a room that slept here last is most likely claimed at the epoch right after its sleep's: its
    // member set is fenced to that epoch beside the claim. A fence to an epoch that turns out not to
    // be this node's does no harm: a member set keeps the highest epoch it was fenced to, and the
    // lease's actual holder has that epoch or a higher one (it claimed after this node's release).
    long expected = sleeping.nextEpoch(room);
    Future<MemberSet> early = expected > 0 ? store.activateMembers(room, expected) : null;
    return claimed.compose(claim -> activate(host, room, claim, onBroken,
        early != null && claim.lease().epoch() == expected && !claim.takeover() ? early : null));
  }

  private Future<Activated> activate(Context host, String room, Processors.Claim claim, Consumer<HostedRoom> onBroken,
                                     Future<MemberSet> fenced) {
    SleepingRooms.Kept kept = sleeping.take(room, claim.lease().epoch());
    // what was kept is used only with the member fence sent beside the claim (never by a takeover)
    SleepingRooms.Kept asleep = fenced == null ? null : kept;
    if (asleep == null) { // the state from the store, the member set at the same time
      Future<MemberSet> members = fenced != null ? fenced : store.activateMembers(room, claim.lease().epoch());
      Future<LogicArchive.Loaded> state = loaded(host, room, claim);
      return Future.all(members, state)
          .map(both -> activated(room, claim, state.result(), members.result(), onBroken, null));
    }
    // kept here: the store's epoch is raised behind it (queued before any commit of the room), and
    // the room's outputs wait for that
    CompletableFuture<Long> raised = archive.wake(room, asleep.loaded().epoch());
    LogicArchive.Loaded state = asleep.loaded().at(asleep.loaded().epoch() + 1);
    // the room starts from the members kept, and its outputs wait for the fence to find them
    // unchanged as well (only this room's activations change them, and none came between, unless
    // the cluster lost the set)
    Future<Void> found = fenced.compose(set -> {
      if (List.copyOf(set.members().values()).equals(asleep.members())) {
        return Future.succeededFuture();
      }
      LOG.warn("room {}: its member set is not the one it slept with; it is read again", room);
      return Future.failedFuture(new FencedException(room));
    });
    LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    asleep.members().forEach(m -> members.put(m.id(), m));
    Future<Void> confirmed = Future.all(Future.fromCompletionStage(raised, host), found).<Void>mapEmpty()
        .onSuccess(v -> metrics.roomWokenFromMemory());
    return Future.succeededFuture(activated(room, claim, state, new MemberSet(claim.lease().epoch(), members), onBroken,
        confirmed.toCompletionStage()));
  }

  private Activated activated(String room, Processors.Claim claim, LogicArchive.Loaded state, MemberSet members,
                              Consumer<HostedRoom> onBroken, CompletionStage<?> keptConfirmed) {
    return new Activated(new LogicRoomVerticle(room, type, state, members, claim.lease(), claim.takeover(), store,
        archive, replicas, durability, limits, maxMembers, liveNodes, healthy, onBroken, metrics, webhooks, sleeping,
        keptConfirmed), claim.lease().epoch() > 1, claim.lease().epoch());
  }

  /** The room as the store holds it, its epoch raised for this activation (after a takeover, recovered). */
  private Future<LogicArchive.Loaded> loaded(Context host, String room, Processors.Claim claim) {
    return Future.fromCompletionStage(archive.activate(room), host)
        .compose(loaded -> claim.takeover() ? recovered(host, room, loaded)
            : Future.succeededFuture(afterLoss(room, loaded)));
  }

  /**
   * After a takeover: the commits that the replicas hold and the store lacks (those after its
   * mark), stored as one commit of this activation before it runs anything; the room as the store
   * then has it. The replicas are fenced to this activation's epoch first, so a commit of the
   * activation taken over either is among those read or never counted as written.
   */
  private Future<LogicArchive.Loaded> recovered(Context host, String room, LogicArchive.Loaded loaded) {
    return replicas.collectChanges(room, loaded.epoch()).compose(held -> {
      // without a replica of the activation taken over, the store may lack commits whose events went out
      boolean replicaFound = held.newestEpoch() > 0 && held.newestEpoch() >= loaded.applied().epoch();
      List<LogicArchive.Change> missing = new ArrayList<>();
      for (Wire.HeldChange h : held.changes()) {
        LogicArchive.Change c = ChangeLog.decode(h.change());
        if (c.mark().compareTo(loaded.applied()) > 0) {
          missing.add(c);
        }
      }
      Future<LogicArchive.Loaded> stored = missing.isEmpty() ? Future.succeededFuture(loaded)
          : replay(host, room, loaded, missing);
      return replicaFound ? stored.compose(l -> unreserved(host, room, l)) : stored.map(l -> afterLoss(room, l));
    });
  }

  /**
   * The reservation of the activation taken over, given back once the store has every commit it
   * made: this activation reserves again if it needs to, and a later restart does not skip seqs.
   */
  private Future<LogicArchive.Loaded> unreserved(Context host, String room, LogicArchive.Loaded loaded) {
    if (loaded.reserved() == 0) {
      return Future.succeededFuture(loaded);
    }
    return Future.fromCompletionStage(archive.reserve(room, loaded.epoch(), 0), host)
        .map(v -> loaded.unreserved());
  }

  private Future<LogicArchive.Loaded> replay(Context host, String room, LogicArchive.Loaded loaded,
                                             List<LogicArchive.Change> missing) {
    LogicArchive.Mark last = missing.get(missing.size() - 1).mark();
    LogicArchive.Change merged = LogicTransaction.merge(room, loaded.epoch(), missing);
    List<LogicArchive.Event> events = merged.events().stream().filter(e -> e.seq() > loaded.seq()).toList();
    LOG.info("room {}: {} commit(s) after commit {} of epoch {} recovered from replicas, up to seq {}", room,
        missing.size(), loaded.applied().n(), loaded.applied().epoch(), merged.seq());
    LogicArchive.Change replayed = new LogicArchive.Change(room, loaded.epoch(), merged.values(), events,
        merged.acks(), Math.max(merged.seq(), loaded.seq()), merged.alarms(), merged.hooks(), last);
    return Future.fromCompletionStage(archive.replay(replayed), host);
  }

  /**
   * A room whose last activation did not stop cleanly and left a reservation, with no replica of it
   * to read (its node and its replica node died, or every node): events up to the reservation may
   * have gone out that the store lacks, so the room numbers its next events after it.
   */
  private static LogicArchive.Loaded afterLoss(String room, LogicArchive.Loaded loaded) {
    if (loaded.reserved() <= loaded.seq()) {
      return loaded;
    }
    LOG.warn("room {}: its last activation did not stop cleanly and no replica of it is left; its events go on "
        + "after seq {}, its reservation (the store has up to {})", room, loaded.reserved(), loaded.seq());
    return loaded.after(loaded.reserved());
  }

}
