package durablerooms;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import durablerooms.cluster.RoomStore;
import durablerooms.cluster.WireCodec;
import durablerooms.config.ConfigException;
import durablerooms.config.ServerConfig;
import durablerooms.gateway.Connections;
import durablerooms.protocol.CloseCode;
import durablerooms.gateway.DeliveryVerticle;
import durablerooms.gateway.GatewayContext;
import durablerooms.gateway.GatewayVerticle;
import durablerooms.gateway.NodeInfoVerticle;
import durablerooms.gateway.RoomClient;
import durablerooms.room.RoomHost;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One Durable Rooms node: a clustered Vert.x with embedded Hazelcast, its room host, its delivery
 * consumer and one gateway per event loop. {@link #start} returns once it serves.
 */
public final class Node {
  private final ServerConfig config;
  private final Vertx vertx;
  private final HazelcastClusterManager cluster;
  private final Connections connections = new Connections();
  private RoomHost host;
  private volatile boolean ready;

  private Node(ServerConfig config, Vertx vertx, HazelcastClusterManager cluster) {
    this.config = config;
    this.vertx = vertx;
    this.cluster = cluster;
  }

  /** Joins the cluster and deploys everything; the future fails if the node cannot serve. */
  public static Future<Node> start(ServerConfig config) {
    HazelcastClusterManager cluster = new HazelcastClusterManager(hazelcastConfig(config));
    VertxOptions options = new VertxOptions()
        .setEventBusOptions(new EventBusOptions().setHost(config.clusterHost()));
    return Vertx.builder().with(options).withClusterManager(cluster).buildClustered()
        .compose(vertx -> {
          Node node = new Node(config, vertx, cluster);
          return node.deploy().map(node).recover(err -> vertx.close().transform(v -> Future.failedFuture(err)));
        });
  }

  private Future<Void> deploy() {
    WireCodec.register(vertx.eventBus());
    String nodeId = cluster.getNodeId();
    RoomStore store = new RoomStore(vertx, cluster.getHazelcastInstance());
    host = new RoomHost(nodeId, store, this::liveNodes, config.idleTimeoutMs(), config.historyLimit(),
        config.maxMembers());
    RoomClient rooms = new RoomClient(vertx, nodeId, config.requestTimeoutMs());
    GatewayContext shared = new GatewayContext(nodeId, config, connections, rooms, store, host, () -> ready,
        cluster::getNodes);
    return vertx.deployVerticle(host)
        .compose(id -> vertx.deployVerticle(new DeliveryVerticle(nodeId, connections)))
        .compose(id -> vertx.deployVerticle(new NodeInfoVerticle(nodeId, httpUrl(), host::activeRooms,
            connections::count)))
        .compose(id -> vertx.deployVerticle(() -> new GatewayVerticle(shared),
            new DeploymentOptions().setInstances(config.effectiveGatewayInstances())))
        .onSuccess(id -> ready = true)
        .mapEmpty();
  }

  /** The base URL clients reach this node at. */
  public String httpUrl() {
    String host = "0.0.0.0".equals(config.httpHost()) ? config.clusterHost() : config.httpHost();
    return "http://" + host + ":" + config.httpPort();
  }

  private Set<String> liveNodes() {
    return new HashSet<>(cluster.getNodes());
  }

  /**
   * Graceful stop: no longer ready, clients closed with 1012 so they reconnect to another node (their
   * rooms told they left), rooms stopped with their leases released, then the cluster left.
   */
  public Future<Void> close() {
    ready = false;
    return connections.closeAll(CloseCode.RESTARTING, "server restarting")
        .timeout(5, TimeUnit.SECONDS)
        .otherwiseEmpty()
        .compose(v -> vertx.close());
  }

  public String nodeId() {
    return cluster.getNodeId();
  }

  public int httpPort() {
    return config.httpPort();
  }

  public int clusterSize() {
    return cluster.getNodes().size();
  }

  public Vertx vertx() {
    return vertx;
  }

  public RoomHost host() {
    return host;
  }

  public Connections connections() {
    return connections;
  }

  /** The Hazelcast config: conf/cluster.xml from the working folder if present, else the copy in the jar. */
  static Config hazelcastConfig(ServerConfig config) {
    Path file = Path.of(config.clusterConfig());
    Config hz;
    try {
      hz = Files.isReadable(file) ? new FileSystemXmlConfig(file.toFile()) : new ClasspathXmlConfig("conf/cluster.xml");
    } catch (FileNotFoundException | RuntimeException e) {
      throw new ConfigException("ROOMS_CLUSTER_CONFIG=" + config.clusterConfig() + ": " + e.getMessage());
    }
    hz.setClusterName(config.clusterName());
    hz.getNetworkConfig().setPort(config.clusterPort());
    return hz;
  }
}
