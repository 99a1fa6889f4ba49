package durablerooms.gateway;

import durablerooms.cluster.Addresses;
import durablerooms.cluster.Wire;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** The node's one delivery consumer: frames the rooms publish for this node go to its local sockets. */
public final class DeliveryVerticle extends VerticleBase {
  private final String nodeId;
  private final Connections connections;

  public DeliveryVerticle(String nodeId, Connections connections) {
    this.nodeId = nodeId;
    this.connections = connections;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Wire.Delivery>consumer(Addresses.delivery(nodeId), msg -> connections.deliver(msg.body()))
        .completion();
  }
}
