package durablerooms.gateway;

import durablerooms.cluster.Addresses;
import durablerooms.cluster.Wire;
import durablerooms.metrics.RoomMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;

/** The node's one delivery consumer: frames the rooms publish for this node go to its local sockets. */
public final class DeliveryVerticle extends VerticleBase {
  private final String nodeId;
  private final Connections connections;
  private final RoomMetrics metrics;

  public DeliveryVerticle(String nodeId, Connections connections, RoomMetrics metrics) {
    this.nodeId = nodeId;
    this.connections = connections;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Wire.Delivery>consumer(Addresses.delivery(nodeId), this::deliver)
        .completion();
  }

  private void deliver(Message<Wire.Delivery> msg) {
    metrics.deliveredToSockets(connections.deliver(msg.body()));
  }
}
