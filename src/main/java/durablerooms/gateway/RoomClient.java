package durablerooms.gateway;

import durablerooms.cluster.Addresses;
import durablerooms.cluster.Wire;
import durablerooms.room.RoomFailure;
import durablerooms.room.RoomHost;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Sends a command to the node that runs its room. The owner is cached per room; without one the
 * command goes to this node, whose host activates the room or answers with the actual owner. A room
 * active on this node gets the command straight from the gateway's event loop.
 */
public final class RoomClient {
  private static final int ATTEMPTS = 5;

  private final Vertx vertx;
  private final String nodeId;
  private final DeliveryOptions options;
  private final Supplier<Set<String>> liveNodes;
  /** Owners of rooms active on other nodes: at most this many are remembered. */
  static final int MAX_OWNERS = 10_000;
  private final OwnerCache owners = new OwnerCache(MAX_OWNERS);
  private final RoomHost host;
  /** Per node, the commands sent to it that wait for its answer (from every gateway's event loop). */
  private final Map<String, Set<InFlight>> inFlight = new ConcurrentHashMap<>();

  /** A command waiting for a node's answer, and the context its sender continues on. */
  private record InFlight(Context context, Promise<Object> reply) {}

  public RoomClient(Vertx vertx, String nodeId, RoomHost host, long timeoutMs, Supplier<Set<String>> liveNodes) {
    this.vertx = vertx;
    this.host = host;
    this.nodeId = nodeId;
    this.liveNodes = liveNodes;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMs).addHeader(RoomFailure.FROM_HEADER, nodeId);
  }

  public Future<Void> send(Wire.RoomCommand cmd) {
    return attempt(cmd, 1);
  }

  /** A call into a room of a user's type; completes with the room's answer (JSON text). */
  public Future<String> call(Wire.Call call) {
    return attempt(call, 1);
  }

  /**
   * The node left the cluster: the commands waiting for its answer are sent again now (to this
   * node's host, which takes the room over), not after the request timeout. If the dead node did
   * take one before it died, the retry is deduplicated like any other.
   */
  public void nodeLeft(String node) {
    failWaiting(node, inFlight.remove(node));
  }

  private static void failWaiting(String node, Set<InFlight> waiting) {
    if (waiting != null) {
      ReplyException gone = new ReplyException(ReplyFailure.NO_HANDLERS, "node " + node + " left the cluster");
      waiting.forEach(f -> f.context().runOnContext(v -> f.reply().tryFail(gone)));
    }
  }

  /** A request to {@code target}'s room inbox, failed early by {@link #nodeLeft} if that node leaves first. */
  @SuppressWarnings("unchecked")
  private <T> Future<T> request(String target, Wire.RoomCommand cmd) {
    Context context = vertx.getOrCreateContext();
    InFlight f = new InFlight(context, Promise.promise());
    Set<InFlight> waiting = inFlight.computeIfAbsent(target, t -> ConcurrentHashMap.newKeySet());
    waiting.add(f);
    vertx.eventBus().request(Addresses.roomInbox(target), cmd, options).onComplete(ar -> {
      waiting.remove(f);
      if (ar.succeeded()) {
        f.reply().tryComplete(ar.result().body());
      } else {
        f.reply().tryFail(ar.cause());
      }
    });
    if (!liveNodes.get().contains(target) && inFlight.remove(target, waiting)) {
      failWaiting(target, waiting); // it left between the check in attempt and the registration above
    }
    return (Future<T>) f.reply().future();
  }

  private <T> Future<T> attempt(Wire.RoomCommand cmd, int n) {
    String owner = owners.get(cmd.room(), nodeId);
    if (!owner.equals(nodeId) && !liveNodes.get().contains(owner)) {
      owners.remove(cmd.room(), owner); // the owner left: this node's host takes the room over
      owner = nodeId;
    }
    String target = owner;
    Future<T> reply = owner.equals(nodeId) ? host.submitHere(cmd, vertx.getOrCreateContext()) : null;
    if (reply == null) {
      reply = request(target, cmd);
    }
    return reply
        .recover(err -> {
          if (!(err instanceof ReplyException re) || n >= ATTEMPTS) {
            return Future.failedFuture(err);
          }
          if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() == RoomFailure.NOT_OWNER) {
            if (re.getMessage() == null || re.getMessage().isEmpty()) {
              owners.remove(cmd.room());
            } else {
              owners.put(cmd.room(), re.getMessage());
            }
            return attempt(cmd, n + 1);
          }
          if (re.failureType() == ReplyFailure.NO_HANDLERS) {
            // the owner node is gone: ask this node's host, which takes over a dead owner's lease
            owners.remove(cmd.room(), target);
            return vertx.timer(20L * n).compose(t -> attempt(cmd, n + 1));
          }
          if (re.failureType() == ReplyFailure.TIMEOUT) {
            owners.remove(cmd.room(), target);
          }
          return Future.failedFuture(err);
        });
  }
}
