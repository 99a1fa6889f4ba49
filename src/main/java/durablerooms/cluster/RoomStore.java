package durablerooms.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import durablerooms.room.Member;
import durablerooms.storage.ChatRecord;
import durablerooms.storage.HistorySlice;
import durablerooms.storage.Lease;
import durablerooms.storage.MemberSet;
import durablerooms.storage.Processors;
import durablerooms.storage.RoomState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

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

  /** What an activation starts from. */
  public record Snapshot(Lease lease, RoomState state, MemberSet members) {}

  /** One room as the HTTP API lists it. */
  public record RoomInfo(String room, Lease lease, int memberCount) {}

  private final Vertx vertx;
  private final IMap<String, Lease> owners;
  private final IMap<String, RoomState> states;
  private final IMap<String, MemberSet> members;

  public RoomStore(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.owners = hz.getMap(Addresses.OWNERS_MAP);
    this.states = hz.getMap(Addresses.STATE_MAP);
    this.members = hz.getMap(Addresses.MEMBERS_MAP);
  }

  public Future<Lease> claim(String room, String node, Set<String> liveNodes) {
    return await(owners.submitToKey(room, new Processors.ClaimLease(node, Set.copyOf(liveNodes))));
  }

  public Future<Boolean> release(String room, Lease lease) {
    return await(owners.submitToKey(room, new Processors.ReleaseLease(lease)));
  }

  /** Fences state and members to the lease's epoch and reads both. */
  public Future<Snapshot> activate(String room, Lease lease) {
    Future<RoomState> state = await(states.submitToKey(room, new Processors.ActivateState(lease.epoch())));
    Future<MemberSet> set = await(members.submitToKey(room, new Processors.ActivateMembers(lease.epoch())));
    return Future.all(state, set).compose(all -> {
      if (state.result() == null || set.result() == null) {
        return Future.failedFuture(new FencedException(room));
      }
      return Future.succeededFuture(new Snapshot(lease, state.result(), set.result()));
    });
  }

  public Future<Void> append(String room, long epoch, List<ChatRecord> records, int limit) {
    return fenced(room, await(states.submitToKey(room, new Processors.Append(epoch, records, limit))));
  }

  public Future<Void> changeMembers(String room, long epoch, List<Processors.MemberChange> changes) {
    return fenced(room, await(members.submitToKey(room, new Processors.ChangeMembers(epoch, changes))));
  }

  public Future<Lease> lease(String room) {
    return await(owners.getAsync(room));
  }

  public Future<List<Member>> members(String room) {
    return await(members.submitToKey(room, new Processors.ReadMembers()));
  }

  /** Messages after {@code since}; null when the room was never seen. */
  public Future<HistorySlice> history(String room, long since, int limit) {
    return await(states.submitToKey(room, new Processors.ReadHistory(since, limit)));
  }

  /** Every room ever seen, with its lease and member count (a scan: for the HTTP API, not the hot path). */
  public Future<List<RoomInfo>> rooms() {
    return vertx.executeBlocking(() -> {
      Map<String, Integer> counts = members.executeOnEntries(new Processors.CountMembers());
      return owners.entrySet().stream()
          .map(e -> new RoomInfo(e.getKey(), e.getValue(), counts.getOrDefault(e.getKey(), 0)))
          .sorted((a, b) -> a.room().compareTo(b.room()))
          .toList();
    }, false);
  }

  private static Future<Void> fenced(String room, Future<Boolean> write) {
    return write.compose(ok -> ok ? Future.succeededFuture() : Future.failedFuture(new FencedException(room)));
  }

  /**
   * The stage's outcome on the caller's context. Hazelcast runs a plain {@code whenComplete}
   * callback on its default async executor, which is a new thread per callback when the common
   * fork-join pool has a single thread (any machine with 2 cores: ConcurrencyUtil), so the callback
   * is run by the completing Hazelcast thread instead; it only hands the result to the context.
   */
  private <T> Future<T> await(CompletionStage<T> stage) {
    Context ctx = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    stage.whenCompleteAsync((value, err) -> ctx.runOnContext(v -> {
      if (err != null) {
        promise.fail(err);
      } else {
        promise.complete(value);
      }
    }), Runnable::run);
    return promise.future();
  }
}
