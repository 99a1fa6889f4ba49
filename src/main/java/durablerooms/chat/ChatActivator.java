package durablerooms.chat;

import durablerooms.cluster.Processors;
import durablerooms.cluster.Replicas;
import durablerooms.cluster.RoomStore;
import durablerooms.room.Durability;
import durablerooms.room.HostedRoom;
import durablerooms.room.RoomActivator;
import durablerooms.room.Webhooks;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Activates chat rooms: the room's state from the cluster's copy or the store (RoomStore.activate),
 * after a takeover with what the replicas hold beyond it, then a {@link ChatRoomVerticle}.
 */
public final class ChatActivator implements RoomActivator {
  private static final Logger LOG = LoggerFactory.getLogger(ChatActivator.class);
  private final RoomStore store;
  private final Replicas replicas;
  private final int historyLimit;
  private final int maxMembers;
  private final Durability durability;
  private final Supplier<Set<String>> liveNodes;
  private final BooleanSupplier healthy;
  private final Webhooks webhooks;

  public ChatActivator(RoomStore store, Replicas replicas, int historyLimit, int maxMembers, Durability durability,
                       Supplier<Set<String>> liveNodes, BooleanSupplier healthy, Webhooks webhooks) {
    this.store = store;
    this.replicas = replicas;
    this.historyLimit = historyLimit;
    this.maxMembers = maxMembers;
    this.durability = durability;
    this.liveNodes = liveNodes;
    this.healthy = healthy;
    this.webhooks = webhooks;
  }

  @Override
  public Future<Activated> activate(String room, Processors.Claim claim, Consumer<HostedRoom> onBroken) {
    return store.activate(room, claim)
        .compose(snapshot -> recover(room, snapshot))
        .map(snapshot -> new Activated(new ChatRoomVerticle(snapshot, room, store, replicas, historyLimit, maxMembers,
            durability, liveNodes, healthy, onBroken, webhooks),
            snapshot.lease().epoch() > 1 || snapshot.state().epoch() > 1, snapshot.state().epoch()));
  }

  /**
   * A takeover adds what the replicas hold of the room beyond its cluster copy: messages the
   * previous owner ACKed once they were in a replica, before its copy was written behind (or before
   * the store had them, when the copy was lost with a node and the state came from the store).
   */
  private Future<RoomStore.Snapshot> recover(String room, RoomStore.Snapshot snapshot) {
    if (!snapshot.takeover()) {
      return Future.succeededFuture(snapshot);
    }
    return replicas.collect(room, snapshot.state().epoch()).map(records -> {
      long newest = snapshot.state().lastRetainedSeq();
      if (!records.isEmpty() && records.get(records.size() - 1).seq() > newest) {
        LOG.info("room {}: messages after seq {} up to {} recovered from replicas (its seq was {})", room, newest,
            records.get(records.size() - 1).seq(), snapshot.state().seq());
      }
      return snapshot.withRecovered(records, historyLimit);
    });
  }
}
