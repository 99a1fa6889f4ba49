package durablerooms.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.PartitionService;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import durablerooms.state.EventSlice;
import durablerooms.state.Lease;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.state.MessageTtl;
import durablerooms.storage.LogicArchive;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The rooms' shared truth in Hazelcast (leases in rooms.owners, members in rooms.members) and what
 * the HTTP API reads of the store of room types; every call returns a Future completed on the
 * caller's context and none blocks an event loop.
 */
public final class RoomStore {
  /** A write refused because a newer activation of the room exists. */
  public static final class FencedException extends RuntimeException {
    public FencedException(String room) {
      super("room " + room + " was activated elsewhere", null, false, false);
    }
  }

  /** One room as the HTTP API lists it. */
  public record RoomInfo(String room, Lease lease, int memberCount) {}

  private final Vertx vertx;
  private final MessageTtl ttl;
  private final IMap<String, Lease> owners;
  private final IMap<String, MemberSet> members;
  private final LogicArchive logicArchive;
  private final PartitionService partitions;

  /** With {@code logicArchive}, the store of rooms of users' types (null: none, as in some tests). */
  public RoomStore(Vertx vertx, HazelcastInstance hz, LogicArchive logicArchive) {
    this(vertx, hz, logicArchive, MessageTtl.OFF);
  }

  /** With {@code ttl}: events older than it are left out of every log read here. */
  public RoomStore(Vertx vertx, HazelcastInstance hz, LogicArchive logicArchive, MessageTtl ttl) {
    this.ttl = ttl;
    this.vertx = vertx;
    this.logicArchive = logicArchive;
    this.owners = hz.getMap(Addresses.OWNERS_MAP);
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
   * Hibernation of a room that never held anything in its first activation: nothing of it stays
   * (no store row, no lease, no member set unless members are still connected), so that names
   * nobody wrote in cost nothing. Its next activation starts again at epoch 1, which is safe
   * because the only activation that had that epoch, this one, has ended cleanly (none was taken
   * over: that would have raised the lease's epoch). If any step fails, the lease is released
   * (clean), as a room that sleeps releases it.
   */
  public Future<Void> forget(String room, Lease lease, long epoch) {
    return await(members.submitToKey(room, new Processors.RemoveMembersIfEmpty(epoch)))
        .compose(v -> await(owners.submitToKey(room, new Processors.ForgetLease(lease))))
        .<Void>mapEmpty()
        .recover(err -> release(room, lease, true).mapEmpty());
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

  /** How old an event may be and still be served (ROOMS_MESSAGE_TTL). */
  public MessageTtl messageTtl() {
    return ttl;
  }

  /** The rooms that have members on {@code node} (a scan, run when a node has died). */
  public Future<List<String>> roomsWithMembersOn(String node) {
    return vertx.executeBlocking(() -> List.copyOf(members.executeOnEntries(new Processors.HasMembersOn(node)).keySet()),
        false);
  }

  /** A page of the room list: up to the asked number of rooms, and the name to list after for the next page (null: none). */
  public record RoomPage(List<RoomInfo> rooms, String next) {}

  /** How long a page of the room list waits for the store of room types (its one writer may be busy with a commit). */
  private static final long STORE_READ_SECONDS = 10;

  /**
   * Up to {@code limit} rooms, stored or active, named after {@code after} and {@code visible} to
   * the asker, in name order, with their lease and member count. Each source gives only one page
   * of names per round (the store by an index range, the cluster by a paging query on the held
   * leases), so a list of a million rooms is never copied; hidden names are skipped, a round
   * more when a page of them was hidden. The chat rooms of an earlier version are in the store
   * (they were imported into it when the node started).
   */
  public Future<RoomPage> rooms(String after, int limit, java.util.function.Predicate<String> visible) {
    return vertx.executeBlocking(() -> {
      List<String> page = new ArrayList<>();
      String next = null;
      String cursor = after;
      while (next == null) {
        List<String> stored = logicArchive == null ? List.of()
            : logicArchive.roomsAfter(cursor, limit + 1).get(STORE_READ_SECONDS, TimeUnit.SECONDS);
        Set<String> active = owners.keySet(Predicates.pagingPredicate(new Processors.HeldAfter(cursor),
            new Processors.ByRoom(), limit + 1));
        TreeSet<String> names = new TreeSet<>(stored);
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
        if (batch.isEmpty() || (stored.size() <= limit && active.size() <= limit)) {
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
