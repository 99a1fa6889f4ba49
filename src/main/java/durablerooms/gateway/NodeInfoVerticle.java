package durablerooms.gateway;

import durablerooms.cluster.Addresses;
import durablerooms.cluster.PeerSends;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

import java.util.function.IntSupplier;

/** Answers other nodes' "who are you" for /api/nodes: id, HTTP base URL, active rooms, open connections. */
public final class NodeInfoVerticle extends VerticleBase {
  private final String nodeId;
  private final String httpUrl;
  private final IntSupplier rooms;
  private final IntSupplier connections;

  public NodeInfoVerticle(String nodeId, String httpUrl, IntSupplier rooms, IntSupplier connections) {
    this.nodeId = nodeId;
    this.httpUrl = httpUrl;
    this.rooms = rooms;
    this.connections = connections;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Void>consumer(Addresses.nodeInfo(nodeId), msg -> PeerSends.reply(msg, new JsonObject()
            .put("id", nodeId)
            .put("http", httpUrl)
            .put("rooms", rooms.getAsInt())
            .put("connections", connections.getAsInt())))
        .completion();
  }
}
