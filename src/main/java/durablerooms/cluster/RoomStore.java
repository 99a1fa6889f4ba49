package durablerooms.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.PartitionService;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import durablerooms.state.ChatRecord;
import durablerooms.state.EventSlice;
import durablerooms.state.HistorySlice;
import durablerooms.state.Lease;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.state.MessageTtl;
import durablerooms.state.RoomState;
import durablerooms.storage.LogicArchive;
import durablerooms.storage.RoomArchive;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The rooms' shared truth in Hazelcast (leases in rooms.owners, state in rooms.state, members in
 * rooms.members); every call returns a Future completed on the caller's context and none blocks
 * an event loop.
 */
public final class RoomStore {
  /** A write refused because a newer activation of the room exists. */
  public static final class FencedException extends RuntimeException {
    public FencedException(String room) {
      super("room " + room + " was activated elsewhere", null, false, false);
    }
  }

  /**
   * What an activation starts from; {@code takeover} when the previous owner never released the
   * room. {@code clusterSeq}: how far the cluster's copy holds the state's records (less after a
   * takeover recovered newer ones from replicas).
   */
  public record Snapshot(Lease lease, boolean takeover, RoomState state, MemberSet members, long clusterSeq) {
    /** This snapshot with {@code records} (a takeover's, from the replicas) taken in where it lacks them (RoomState.recover). */
    public Snapshot withRecovered(List<ChatRecord> records, int limit) {
      RoomState recovered = state.copy();
      recovered.recover(records, limit);
      return new Snapshot(lease, takeover, recovered, members, clusterSeq);
    }
  }

  /** One room as the HTTP API lists it. */
  public record RoomInfo(String room, Lease lease, int memberCount) {}

  private final Vertx vertx;
  private final MessageTtl ttl;
  private final IMap<String, Lease> owners;
  private final IMap<String, RoomState> states;
  private final IMap<String, MemberSet> members;
  private final RoomArchive archive;
  private final LogicArchive logicArchive;
  private final PartitionService partitions;

  public RoomStore(Vertx vertx, HazelcastInstance hz, RoomArchive archive) {
    this(vertx, hz, archive, null);
  }

  /** With {@code logicArchive}, the store of rooms of users' types (null: the node serves chat alone). */
  public RoomStore(Vertx vertx, HazelcastInstance hz, RoomArchive archive, LogicArchive logicArchive) {
    this(vertx, hz, archive, logicArchive, MessageTtl.OFF);
  }

  /** With {@code ttl}: chat messages older than it are left out of every history read here. */
  public RoomStore(Vertx vertx, HazelcastInstance hz, RoomArchive archive, LogicArchive logicArchive, MessageTtl ttl) {
    this.ttl = ttl;
    this.vertx = vertx;
    this.archive = archive;
    this.logicArchive = logicArchive;
    this.owners = hz.getMap(Addresses.OWNERS_MAP);
    this.states = hz.getMap(Addresses.STATE_MAP);
    this.members = hz.getMap(Addresses.MEMBERS_MAP);
    this.partitions = hz.getPartitionService();
  }

  /**
   * Whether every partition of the cluster's maps has its backup in sync and none is migrating:
   * until then, right after a node joined or left, losing one more node can lose the cluster's copy
   * of the rooms whose partitions it held alone. Asks every member, on a worker thread.
   */
  public Future<Boolean> partitionsSafe() {
    return vertx.executeBlocking(partitions::isClusterSafe, false);
  }

  public Future<Processors.Claim> claim(String room, String node, Set<String> liveNodes) {
    return await(owners.submitToKey(room, new Processors.ClaimLease(node, Set.copyOf(liveNodes),
        UUID.randomUUID().toString())));
  }

  /** Gives the lease back; {@code clean} when every output of the activation went out. */
  public Future<Boolean> release(String room, Lease lease, boolean clean) {
    return await(owners.submitToKey(room, new Processors.ReleaseLease(lease, clean)));
  }

  /**
   * Starts an activation, once the lease is claimed: the state's epoch is raised (the new
   * activation's fencing token; if the cluster does not hold the room, it is read from the archive
   * first), the member set fenced to it. The archive is read after the claim: a previous owner
   * checkpoints the room to disk before it gives the lease back. A room given back cleanly (asleep)
   * or never held has its state on disk, not in the cluster: the archive is read first, saving a
   * Hazelcast call on every wake and cold join (the cluster's copy still wins if it has one). A
   * takeover starts from the cluster's copy without the archive, which may be on the lost node.
   */
  public Future<Snapshot> activate(String room, Processors.Claim claim) {
    String id = UUID.randomUUID().toString();
    Future<RoomState> activated = claim.takeover() ? activateFromCluster(room, id)
        : stored(room).compose(stored -> activateWith(room, id, stored), unreadable -> activateFromCluster(room, id));
    return activated
        .compose(state -> await(members.submitToKey(room, new Processors.ActivateMembers(state.epoch())))
            .compose(set -> set == null
                ? Future.failedFuture(new FencedException(room))
                : Future.succeededFuture(new Snapshot(claim.lease(), claim.takeover(), state, set, state.seq()))));
  }

  /** Raises the epoch of the cluster's copy of the state; only if the cluster has none, reads the archive for it. */
  private Future<RoomState> activateFromCluster(String room, String id) {
    return await(states.submitToKey(room, new Processors.ActivateState(id, false, null)))
        .compose(state -> state != null ? Future.succeededFuture(state)
            : stored(room).compose(stored -> activateWith(room, id, stored)));
  }

  /** Raises the epoch of the cluster's copy, starting it from the archive's {@code stored} if the cluster has none. */
  private Future<RoomState> activateWith(String room, String id, RoomState stored) {
    return await(states.submitToKey(room, new Processors.ActivateState(id, true, stored)));
  }

  /**
   * Writes chat records to the cluster's copy of the room (with its backup); fails with
   * FencedException if a newer activation exists. {@code gap} when {@code records} are the room's
   * retained tail and older records after the cluster's copy fell out of retention.
   */
  public Future<Void> appendToCluster(String room, long epoch, List<ChatRecord> records, boolean gap, int limit) {
    return fenced(room, await(states.submitToKey(room, new Processors.Append(epoch, records, gap, limit))));
  }

  /**
   * Stores chat records on disk, waited for when {@code waitForDisk} (else written behind). On disk
   * means in this process's journal; the database is filled behind it. Nothing goes to disk once
   * {@code healthy} says the process was paused.
   */
  public Future<Void> appendToDisk(String room, long epoch, List<ChatRecord> records, boolean waitForDisk,
                                   BooleanSupplier healthy) {
    if (records.isEmpty()) {
      return Future.succeededFuture();
    }
    if (!healthy.getAsBoolean()) {
      // this process was paused: the room may have moved, so nothing of it goes to disk either
      return Future.failedFuture(new FencedException(room));
    }
    CompletableFuture<Void> disk = archive.append(room, epoch, records);
    if (waitForDisk) {
      return await(disk);
    }
    disk.whenComplete((x, err) -> {
      if (err != null) {
        LOG.warn("room {}: messages up to seq {} are in memory only: {}", room,
            records.get(records.size() - 1).seq(), err.toString());
      }
    });
    return Future.succeededFuture();
  }

  /**
   * Reserves the room's seqs up to {@code upTo} on disk (this process's journal, then the store):
   * no seq above a completed reservation is handed out, so a room that lost its newest messages
   * starts after every seq it could have handed out (see RoomArchive.reserve).
   */
  public Future<Void> reserve(String room, long epoch, long upTo, BooleanSupplier healthy) {
    if (!healthy.getAsBoolean()) {
      return Future.failedFuture(new FencedException(room)); // paused: as appendToDisk
    }
    return await(archive.reserve(room, epoch, upTo));
  }

  /**
   * Hibernation: once the room's seq and epoch and everything queued are on disk, its state leaves
   * the cluster's memory (if this activation still owns it; it loads again on wake), then the lease
   * is released (also when the disk failed: the state then stays in memory). The {@code retained}
   * history is written again if an earlier write of the room to disk failed. A {@code clean}
   * activation gives its seq reservation back.
   */
  public Future<Void> hibernate(String room, Lease lease, long epoch, long seq, List<ChatRecord> retained,
                                boolean clean) {
    return await(archive.checkpoint(room, epoch, seq, retained, clean))
        .compose(v -> await(states.submitToKey(room, new Processors.EvictIfCurrent(epoch))))
        .otherwiseEmpty()
        .compose(v -> release(room, lease, clean))
        .mapEmpty();
  }

  /**
   * Hibernation of a room that never held a message in its first activation: nothing of it stays
   * (no store row, no state, no lease, no member set unless members are still connected), so that
   * names nobody wrote in cost nothing. Its next activation starts again at epoch 1, which is safe
   * because the only activation that had that epoch, this one, has ended cleanly (none was taken
   * over: that would have raised the lease's epoch). If any step fails, the lease is released as
   * in {@link #hibernate}.
   */
  public Future<Void> forget(String room, Lease lease, long epoch) {
    return await(states.submitToKey(room, new Processors.EvictIfCurrent(epoch)))
        .compose(v -> await(members.submitToKey(room, new Processors.RemoveMembersIfEmpty(epoch))))
        .compose(v -> await(owners.submitToKey(room, new Processors.ForgetLease(lease))))
        .<Void>mapEmpty()
        .recover(err -> release(room, lease, true).mapEmpty());
  }

  /**
   * After a takeover, writes the room's retained history to disk again: the dead owner may have
   * ACKed messages (in memory on two nodes) that its write-behind never stored.
   */
  public void persistAgain(String room, long epoch, List<ChatRecord> history) {
    if (!history.isEmpty()) {
      archive.replace(room, epoch, history).whenComplete((v, err) -> {
        if (err != null) {
          LOG.warn("room {}: history after a takeover is in memory only: {}", room, err.toString());
        }
      });
    }
  }

  /**
   * Starts an activation of a room of a user's type, once its lease is claimed: its member set is
   * fenced to the lease's epoch (which every claim raises, and a release keeps) and returned; such a
   * room's own state is in the store of room types, not in the cluster's memory.
   */
  public Future<MemberSet> activateMembers(String room, long epoch) {
    return await(members.submitToKey(room, new Processors.ActivateMembers(epoch)))
        .compose(set -> set == null ? Future.failedFuture(new FencedException(room)) : Future.succeededFuture(set));
  }

  public Future<Void> changeMembers(String room, long epoch, List<Processors.MemberChange> changes) {
    return fenced(room, await(members.submitToKey(room, new Processors.ChangeMembers(epoch, changes))));
  }

  public Future<Lease> lease(String room) {
    return await(owners.getAsync(room));
  }

  /**
   * Whether the room was seen before: it has a lease (active, or asleep after holding a message)
   * or a row in the store (after a full restart the cluster holds no leases); a room that left
   * nothing behind is not.
   */
  public Future<Boolean> known(String room) {
    return await(owners.getAsync(room))
        .compose(lease -> lease != null ? Future.succeededFuture(true) : inAStore(room));
  }

  /** Whether the room store holds the room. */
  private Future<Boolean> inAStore(String room) {
    if (logicArchive == null) {
      return Future.succeededFuture(false);
    }
    return Future.fromCompletionStage(logicArchive.exists(room), vertx.getOrCreateContext());
  }

  public Future<List<Member>> members(String room) {
    return await(members.submitToKey(room, new Processors.ReadMembers()));
  }

  /**
   * Messages after {@code since}, from the cluster or (a sleeping room) the archive, without those
   * older than ROOMS_MESSAGE_TTL; null when the room was never seen.
   */
  public Future<HistorySlice> history(String room, long since, int limit) {
    return await(states.submitToKey(room, new Processors.ReadHistory(since, limit)))
        .compose(slice -> slice != null ? Future.succeededFuture(slice)
            : stored(room).map(state -> state == null ? null : HistorySlice.after(state, since, limit)))
        .map(slice -> slice == null ? null : slice.unexpired(ttl.notBefore()));
  }

  /**
   * The seq and up to {@code limit} retained events after {@code since} of a room of a user's type
   * ({@code key}: type/room), as its store has committed them (every event delivered is); null when
   * the store does not hold the room.
   */
  public Future<EventSlice> log(String key, long since, int limit) {
    if (logicArchive == null) {
      return Future.succeededFuture();
    }
    return await(logicArchive.log(key, since, limit, ttl.notBefore()));
  }

  /** How old a chat message may be and still be served (ROOMS_MESSAGE_TTL). */
  public MessageTtl messageTtl() {
    return ttl;
  }

  /**
   * Sets alarm {@code name} of a chat room to {@code due} (ms since the epoch; null removes it): when
   * it is due, the oldest node wakes the room with a {@link Wire.Wake}, as it wakes rooms of users'
   * types for theirs. Nothing without the store of room types.
   */
  public Future<Void> setAlarm(String room, String name, Long due) {
    if (logicArchive == null) {
      return Future.succeededFuture();
    }
    LinkedHashMap<String, Long> alarms = new LinkedHashMap<>();
    alarms.put(name, due);
    return await(logicArchive.commit(LogicArchive.Change.alarmsOf(room, alarms)));
  }

  /** Deletes the room's stored messages up to {@code upTo}, which expired. */
  public Future<Void> expire(String room, long epoch, long upTo) {
    return await(archive.expire(room, epoch, upTo));
  }

  /** The room as the archive holds it (null if never stored), read on a worker thread. */
  private Future<RoomState> stored(String room) {
    return vertx.executeBlocking(() -> archive.load(room), false);
  }

  /** The rooms that have members on {@code node} (a scan, run when a node has died). */
  public Future<List<String>> roomsWithMembersOn(String node) {
    return vertx.executeBlocking(() -> List.copyOf(members.executeOnEntries(new Processors.HasMembersOn(node)).keySet()),
        false);
  }

  /** A page of the room list: up to the asked number of rooms, and the name to list after for the next page (null: none). */
  public record RoomPage(List<RoomInfo> rooms, String next) {}

  /**
   * Up to {@code limit} rooms, stored or active, named after {@code after} and {@code visible} to
   * the asker, in name order, with their lease and member count. Each source gives only one page
   * of names per round (the store by an index range, the cluster by a paging query on the held
   * leases), so a list of a million rooms is never copied; hidden names are skipped, a round
   * more when a page of them was hidden.
   */
  /** How long a page of the room list waits for the store of room types (its one writer may be busy with a commit). */
  private static final long STORE_READ_SECONDS = 10;

  public Future<RoomPage> rooms(String after, int limit, java.util.function.Predicate<String> visible) {
    return vertx.executeBlocking(() -> {
      List<String> page = new ArrayList<>();
      String next = null;
      String cursor = after;
      while (next == null) {
        List<String> stored = archive.roomsAfter(cursor, limit + 1);
        List<String> typed = logicArchive == null ? List.of()
            : logicArchive.roomsAfter(cursor, limit + 1).get(STORE_READ_SECONDS, TimeUnit.SECONDS);
        Set<String> active = owners.keySet(Predicates.pagingPredicate(new Processors.HeldAfter(cursor),
            new Processors.ByRoom(), limit + 1));
        TreeSet<String> names = new TreeSet<>(stored);
        names.addAll(typed);
        names.addAll(active);
        List<String> batch = names.stream().limit(limit + 1L).toList();
        for (String name : batch) {
          if (!visible.test(name)) {
            continue;
          }
          if (page.size() == limit) {
            next = page.get(limit - 1); // one more visible room follows
            break;
          }
          page.add(name);
        }
        if (batch.isEmpty() || (stored.size() <= limit && typed.size() <= limit && active.size() <= limit)) {
          break; // both sources ran out
        }
        cursor = batch.get(batch.size() - 1);
      }
      Set<String> keys = new HashSet<>(page);
      Map<String, Lease> leases = keys.isEmpty() ? Map.of() : owners.getAll(keys);
      Map<String, Integer> counts = keys.isEmpty() ? Map.of() : members.executeOnKeys(keys, new Processors.CountMembers());
      List<RoomInfo> rooms = page.stream()
          .map(room -> new RoomInfo(room, leases.getOrDefault(room, Lease.NONE), counts.getOrDefault(room, 0)))
          .toList();
      return new RoomPage(rooms, next);
    }, false);
  }

  /**
   * How many rooms sleep: those the store holds (an activation makes its room's row), minus those
   * whose lease is held now. A count of the store and of the lease keys: run periodically, not per
   * request.
   */
  public Future<Long> hibernatedRooms() {
    if (logicArchive == null) {
      return Future.succeededFuture(0L);
    }
    return Future.fromCompletionStage(logicArchive.count(), vertx.getOrCreateContext())
        .compose(stored -> vertx.executeBlocking(() -> Math.max(0, stored - owners.aggregate(new HeldLeases())), false));
  }

  private static Future<Void> fenced(String room, Future<Boolean> write) {
    return write.compose(ok -> ok ? Future.succeededFuture() : Future.failedFuture(new FencedException(room)));
  }

  private static final Logger LOG = LoggerFactory.getLogger(RoomStore.class);

  /**
   * The stage's outcome on the caller's context. Hazelcast runs a plain {@code whenComplete}
   * callback on its default async executor, which is a new thread per callback when the common
   * fork-join pool has a single thread (any machine with 2 cores: ConcurrencyUtil), so the callback
   * is run by the completing Hazelcast thread instead; it only hands the result to the context.
   * It is a {@code handleAsync}: on the future of a map call (Hazelcast 5.7) a
   * {@code whenCompleteAsync} also returns a further future that Hazelcast completes on that
   * executor, one thread hand-off per call that nobody waits for.
   */
  private <T> Future<T> await(CompletionStage<T> stage) {
    Context ctx = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    stage.handleAsync((value, err) -> {
      ctx.runOnContext(v -> {
        if (err != null) {
          promise.fail(err);
        } else {
          promise.complete(value);
        }
      });
      return null;
    }, Runnable::run);
    return promise.future();
  }
}
