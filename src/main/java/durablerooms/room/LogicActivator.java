package durablerooms.room;

import durablerooms.api.RoomType;
import durablerooms.cluster.Processors;
import durablerooms.cluster.RoomStore;
import durablerooms.metrics.RoomMetrics;
import durablerooms.storage.LogicArchive;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Activates rooms of one user's type: the member set fenced to the lease's epoch, then the room's
 * own state from the store of room types (which raises the store's epoch for this activation),
 * then a {@link LogicRoomVerticle} running a fresh instance of the type's logic.
 */
public final class LogicActivator implements RoomActivator {
  private final RoomType type;
  private final RoomStore store;
  private final LogicArchive archive;
  private final LogicState.Limits limits;
  private final int maxMembers;
  private final Supplier<Set<String>> liveNodes;
  private final BooleanSupplier healthy;
  private final RoomMetrics metrics;
  private final Webhooks webhooks;

  private LogicActivator(RoomType type, RoomStore store, LogicArchive archive, LogicState.Limits limits, int maxMembers,
                         Supplier<Set<String>> liveNodes, BooleanSupplier healthy, RoomMetrics metrics, Webhooks webhooks) {
    this.type = type;
    this.store = store;
    this.archive = archive;
    this.limits = limits;
    this.maxMembers = maxMembers;
    this.liveNodes = liveNodes;
    this.healthy = healthy;
    this.metrics = metrics;
    this.webhooks = webhooks;
  }

  /** An activator for each of the users' types in {@code types}, by type name. */
  public static Map<String, RoomActivator> forTypes(RoomTypes types, RoomStore store, LogicArchive archive,
                                                    int historyLimit, long storageMaxBytes, int maxMembers,
                                                    Supplier<Set<String>> liveNodes, BooleanSupplier healthy,
                                                    RoomMetrics metrics, Webhooks webhooks) {
    LogicState.Limits limits = LogicState.Limits.of(historyLimit, storageMaxBytes);
    Map<String, RoomActivator> activators = new HashMap<>();
    for (String name : types.names()) {
      RoomType type = types.get(name);
      if (type != null) {
        activators.put(name, new LogicActivator(type, store, archive, limits, maxMembers, liveNodes, healthy, metrics,
            webhooks));
      }
    }
    return activators;
  }

  @Override
  public Future<Activated> activate(String room, Processors.Claim claim, Consumer<HostedRoom> onBroken) {
    Context host = Vertx.currentContext();
    return store.activateMembers(room, claim.lease().epoch())
        .compose(set -> on(host, archive.activate(room))
            .map(loaded -> new Activated(new LogicRoomVerticle(room, type, loaded, set, claim.lease(), claim.takeover(),
                store, archive, limits, maxMembers, liveNodes, healthy, onBroken, metrics, webhooks),
                claim.lease().epoch() > 1, claim.lease().epoch())));
  }

  /** The store's completion, on {@code context}. */
  private static <T> Future<T> on(Context context, CompletionStage<T> stage) {
    Promise<T> p = Promise.promise();
    stage.whenComplete((v, err) -> context.runOnContext(x -> {
      if (err != null) {
        p.fail(err);
      } else {
        p.complete(v);
      }
    }));
    return p.future();
  }
}
