package durablerooms;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import durablerooms.chat.Chat;
import durablerooms.chat.ChatImport;
import durablerooms.cluster.DeserializationFilter;
import durablerooms.cluster.Membership;
import durablerooms.cluster.PauseWatchdog;
import durablerooms.cluster.PeerSends;
import durablerooms.cluster.Replicas;
import durablerooms.cluster.RoomStore;
import durablerooms.cluster.WebhookSender;
import durablerooms.cluster.Wire;
import durablerooms.cluster.WireCodec;
import durablerooms.config.ConfigException;
import durablerooms.config.ServerConfig;
import durablerooms.gateway.Connections;
import durablerooms.gateway.GatewayContext;
import durablerooms.gateway.GatewayVerticle;
import durablerooms.gateway.IpRateLimiter;
import durablerooms.gateway.NodeInfoVerticle;
import durablerooms.gateway.RoomClient;
import durablerooms.metrics.RoomMetrics;
import durablerooms.protocol.CloseCode;
import durablerooms.room.Durability;
import durablerooms.room.LogicActivator;
import durablerooms.room.RoomActivator;
import durablerooms.room.RoomHost;
import durablerooms.room.RoomTypes;
import durablerooms.room.SleepingRooms;
import durablerooms.room.Webhooks;
import durablerooms.state.MessageTtl;
import durablerooms.storage.DataFolder;
import durablerooms.storage.EmbeddedStore;
import durablerooms.storage.LogicArchive;
import durablerooms.storage.RoomArchive;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One Durable Rooms node: a clustered Vert.x with embedded Hazelcast, its room host, its delivery
 * consumer and one gateway per event loop. {@link #start} returns once it serves.
 */
public final class Node {
  private final ServerConfig config;
  private final Vertx vertx;
  private final HazelcastClusterManager cluster;
  private final Connections connections = new Connections();
  private final RoomMetrics metrics;
  private final RoomTypes types;
  private final LogicArchive logicArchive;
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);
  private volatile RoomHost host;
  /** The state kept of rooms that slept here (set with the host). */
  private volatile SleepingRooms sleeping;
  /** Whether the host has started (a stop during the start has no rooms to put to sleep). */
  private volatile boolean hostStarted;
  private Membership membership;
  /** Set once the host exists (it comes first); read when a node leaves, to purge its members. */
  private RoomClient roomClient;
  private PauseWatchdog watchdog;
  private Future<Void> closing;
  /** A gap this long between watchdog ticks is a pause; below the failure timeout (5 s, conf/cluster.xml). */
  private static final long PAUSE_MS = 2500;
  /** After a pause, the time for the cluster's view to settle: the failure timeout plus a margin. */
  private static final long SETTLE_MS = 8000;
  /** How often the cluster's sleeping rooms are counted for rooms_hibernated (a scan of the store). */
  private static final long HIBERNATED_COUNT_MS = 30_000;
  /** The client IPs whose /api/* rate a node remembers (about 100 bytes each); the least recent is forgotten first. */
  private static final int API_RATE_IPS = 10_000;
  private volatile boolean ready;
  /** How often the oldest node looks for due alarms of rooms that are not active, and how many it wakes per look. */
  private static final long ALARM_SCAN_MS = 250;
  private static final int ALARM_WAKES_PER_SCAN = 1000;
  private boolean scanningAlarms;
  /** Whether a sweep of expired events (ROOMS_MESSAGE_TTL) is running. */
  private boolean expiring;
  /** Delivers the cluster's webhooks while this node is the oldest (null: no ROOMS_WEBHOOK_URL). */
  private WebhookSender webhookSender;
  /** The methods of RFC 9110 and PATCH: the only values of the {@code method} label besides OTHER. */
  private static final Set<String> LABELLED_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  private Node(ServerConfig config, Vertx vertx, HazelcastClusterManager cluster, RoomMetrics metrics,
               RoomTypes types, LogicArchive logicArchive) {
    this.types = types;
    this.logicArchive = logicArchive;
    this.metrics = metrics;
    this.config = config;
    this.vertx = vertx;
    this.cluster = cluster;
  }

  /** Joins the cluster and deploys everything; the future fails if the node cannot serve. A node whose store threads die closes itself. */
  public static Future<Node> start(ServerConfig config) {
    return start(config, node -> {
      if (node != null) {
        node.close();
      }
    });
  }

  /**
   * As {@link #start(ServerConfig)}; {@code onFatal} is called (once, with the node, or null while it
   * starts) when a thread the node cannot work without has died: the process should end, so that the
   * cluster takes its rooms over, instead of staying up without ACKing anything.
   */
  public static Future<Node> start(ServerConfig config, Consumer<Node> onFatal) {
    // before any Hazelcast class logs: its chatter goes through SLF4J (and logback.xml's levels)
    System.setProperty("hazelcast.logging.type", "slf4j");
    RoomTypes types;
    try {
      types = RoomTypes.load(Path.of(config.pluginsDir()), new Chat());
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    types.log();
    RoomArchive chats;
    try {
      Path dataDir = Path.of(config.dataDir());
      if (config.storeUrl().isEmpty()) {
        chats = EmbeddedStore.open(dataDir, config.historyLimit());
      } else {
        DataFolder.makePrivate(dataDir); // the journal holds messages too
        chats = RoomArchive.open(config.storeUrl(), config.storeUser(), config.storePassword(),
            config.historyLimit(), dataDir.resolve(DataFolder.JOURNAL));
      }
    } catch (Exception e) {
      return Future.failedFuture(new ConfigException("room store " + config.effectiveStoreUrl() + ": " + e.getMessage()));
    }
    LogicArchive logicArchive;
    try {
      logicArchive = LogicArchive.open(config.effectiveStoreUrl(), config.storeUser(), config.storePassword(),
          config.historyLimit(), config.webhookMaxPending(), Path.of(config.dataDir()).resolve(DataFolder.JOURNAL));
    } catch (Exception e) {
      chats.close();
      return Future.failedFuture(new ConfigException("room store " + config.effectiveStoreUrl() + ": " + e.getMessage()));
    }
    // an earlier version's chat store is read for the import alone: closed before the node serves
    try (chats) {
      int moved = ChatImport.run(chats, logicArchive);
      if (moved > 0) {
        LOG.info("{} chat room(s) of an earlier version moved into the room store", moved);
      }
    } catch (Exception e) {
      logicArchive.close();
      return Future.failedFuture(new ConfigException("room store " + config.effectiveStoreUrl()
          + ": the chat rooms of an earlier version could not be moved: " + e));
    }
    AtomicReference<Node> started = new AtomicReference<>();
    AtomicBoolean fatal = new AtomicBoolean();
    java.util.function.BiConsumer<String, Throwable> threadDeath = (thread, e) -> {
      LOG.error("{} died: stopping this node so that the cluster takes its rooms over", thread, e);
      if (fatal.compareAndSet(false, true)) {
        onFatal.accept(started.get());
      }
    };
    logicArchive.onThreadDeath(threadDeath);
    Config hz = hazelcastConfig(config);
    HazelcastClusterManager cluster = new HazelcastClusterManager(hz);
    // one registry per node (tests run several in one JVM): Vert.x's metrics and the rooms' in it
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxOptions options = new VertxOptions()
        .setEventLoopPoolSize(config.effectiveEventLoops())
        .setPreferNativeTransport(true)
        .setEventBusOptions(new EventBusOptions().setHost(config.clusterHost()))
        .setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)
            // Vert.x's default labels less the request method, which it would take as sent: every
            // made-up method would be new series. The method comes from httpMethodTag instead, and
            // neither the path nor the route is ever a label (their values are unbounded too)
            .setLabels(EnumSet.of(Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME, Label.EB_SIDE))
            .setServerRequestTagsProvider(Node::httpMethodTag)
            .setRegistryName("durable-rooms-" + UUID.randomUUID())
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry))
        .withClusterManager(cluster).buildClustered()
        .compose(vertx -> {
          vertx.exceptionHandler(PeerSends.UNHANDLED);
          if (vertx.isNativeTransportEnabled()) {
            LOG.info("network transport: native (epoll)");
          } else {
            LOG.info("network transport: Java NIO (native epoll unavailable: {})", vertx.unavailableNativeTransportCause());
          }
          Node node = new Node(config, vertx, cluster, new RoomMetrics(registry), types, logicArchive);
          started.set(node);
          // on failure, close without waiting: the close's own completion would run on a closed event loop
          return node.deploy().map(node).onFailure(err -> vertx.close().onComplete(v -> logicArchive.close()));
        });
  }

  /** The {@code method} label of an HTTP request: a standard method as itself, any other as OTHER. */
  static Iterable<Tag> httpMethodTag(HttpRequest request) {
    String method = request.method().name();
    return Tags.of(Label.HTTP_METHOD.toString(), LABELLED_METHODS.contains(method) ? method : "OTHER");
  }

  private Future<Void> deploy() {
    WireCodec.register(vertx.eventBus());
    // creating Hazelcast proxies and listeners is cluster work: not on an event loop
    return vertx.executeBlocking(() -> new RoomStore(vertx, cluster.getHazelcastInstance(), logicArchive,
        MessageTtl.of(config.messageTtlMs())), false)
        .compose(this::deploy);
  }

  private Future<Void> deploy(RoomStore store) {
    String nodeId = cluster.getNodeId();
    membership = new Membership(cluster.getHazelcastInstance(), vertx.getOrCreateContext(),
        dead -> nodeLeft(dead, store), this::nodeJoined);
    watchdog = new PauseWatchdog(PAUSE_MS, () -> liveNodes().size(), this::paused);
    // a replica that does not answer within a quarter of the gateway's wait is passed over (the
    // room's commit then waits for the store instead), so that the command still answers in time
    Replicas replicas = new Replicas(nodeId, this::liveNodes, Math.max(100, config.requestTimeoutMs() / 4));
    Webhooks webhooks = new Webhooks(!config.webhookUrl().isEmpty());
    Durability durability = Durability.valueOf(config.durability().toUpperCase(java.util.Locale.ROOT));
    sleeping = new SleepingRooms(config.wakeCacheMb() * 1024L * 1024L);
    metrics.observeSleeping(sleeping::bytes, sleeping::size);
    Map<String, RoomActivator> activators = new HashMap<>(LogicActivator.forTypes(types, store, logicArchive, replicas,
        durability, config.historyLimit(), config.storageMaxBytes(), config.maxMembers(), this::liveNodes,
        watchdog::fresh, metrics, webhooks, sleeping));
    host = new RoomHost(nodeId, store, this::liveNodes, watchdog::fresh, config.idleTimeoutMs(), metrics, types, activators);
    logicArchive.onHooksDropped(n -> {
      LOG.warn("{} webhooks dropped: more than ROOMS_WEBHOOK_MAX_PENDING={} waited for the receiver",
          n, config.webhookMaxPending());
      metrics.webhooksDropped(n);
    });
    if (!config.webhookUrl().isEmpty()) {
      webhookSender = new WebhookSender(vertx, logicArchive, config.webhookUrl(), config.webhookSecret(),
          () -> ready && membership.oldest(), metrics);
    }
    RoomClient rooms = new RoomClient(vertx, nodeId, host, config.requestTimeoutMs(), this::liveNodes);
    roomClient = rooms;
    metrics.observe(connections::count, host::activeRooms, () -> liveNodes().size());
    GatewayContext shared = new GatewayContext(nodeId, config, connections, rooms, store, host, () -> ready,
        () -> List.copyOf(liveNodes()), metrics, new IpRateLimiter(config.apiRatePerSec(), config.apiBurst(), API_RATE_IPS));
    return vertx.deployVerticle(replicas)
        .compose(id -> vertx.deployVerticle(host))
        .andThen(ar -> hostStarted = ar.succeeded())
        .compose(id -> vertx.deployVerticle(new NodeInfoVerticle(nodeId, httpUrl(), host::activeRooms,
            connections::count)))
        .compose(id -> vertx.deployVerticle(() -> new GatewayVerticle(shared),
            new DeploymentOptions().setInstances(config.effectiveGatewayInstances())))
        .onSuccess(id -> {
          ready = true;
          watchdog.start();
          cluster.getHazelcastInstance().getLifecycleService().addLifecycleListener(e -> {
            if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
              merged();
            }
          });
          vertx.setPeriodic(ALARM_SCAN_MS, t -> wakeRoomsWithDueAlarms(rooms));
          if (webhookSender != null) {
            webhookSender.start();
          }
          countHibernated(store);
          vertx.setPeriodic(HIBERNATED_COUNT_MS, t -> countHibernated(store));
          MessageTtl ttl = store.messageTtl();
          if (ttl.on()) {
            vertx.setPeriodic(Math.max(1000, Math.min(60_000, ttl.millis() / 2)), t -> expireEvents(ttl));
          }
        })
        .mapEmpty();
  }

  /**
   * The oldest node wakes the rooms whose alarm is due and that are not active here (a room active
   * on this node or another keeps a timer for its own alarms; a Wake to it finds nothing to do):
   * rooms asleep, and rooms whose node died. One scan of the store's alarms by time at a time, so
   * pending alarms cost no timer anywhere until they are due.
   */
  private void wakeRoomsWithDueAlarms(RoomClient rooms) {
    if (!ready || scanningAlarms || !membership.oldest()) {
      return;
    }
    scanningAlarms = true;
    Future.fromCompletionStage(logicArchive.due(System.currentTimeMillis(), ALARM_WAKES_PER_SCAN), vertx.getOrCreateContext())
        .onComplete(ar -> scanningAlarms = false)
        .onSuccess(due -> due.stream().filter(room -> !host.isActive(room)).forEach(room ->
            rooms.send(new Wire.Wake(room)).onFailure(err ->
                LOG.debug("room {}: could not be woken for its alarm: {}", room, err.toString()))))
        .onFailure(err -> LOG.debug("could not read the due alarms: {}", err.toString()));
  }

  /**
   * Deletes from the store the events of rooms of users' types that are older than
   * ROOMS_MESSAGE_TTL, asleep or awake (an awake room also drops them from its memory as it reads
   * its log). Every node sweeps the store it writes to: a shared one is swept by each, which is
   * harmless.
   */
  private void expireEvents(MessageTtl ttl) {
    if (!ready || expiring) {
      return;
    }
    expiring = true;
    Future.fromCompletionStage(logicArchive.expire(ttl.notBefore()), vertx.getOrCreateContext())
        .onComplete(ar -> expiring = false)
        .onSuccess(n -> LOG.debug("deleted {} expired event(s) of rooms of users' types", n))
        .onFailure(err -> LOG.warn("could not delete the expired events of rooms of users' types: {}", err.toString()));
  }

  private void countHibernated(RoomStore store) {
    if (ready) {
      store.hibernatedRooms()
          .onSuccess(metrics::hibernatedRooms)
          .onFailure(err -> LOG.debug("could not count the sleeping rooms: {}", err.toString()));
    }
  }

  /** The base URL clients reach this node at. */
  public String httpUrl() {
    String host = "0.0.0.0".equals(config.httpHost()) ? config.clusterHost() : config.httpHost();
    return (config.tls() ? "https://" : "http://") + host + ":" + config.httpPort();
  }

  /**
   * A node joined, which may take rooms of this node over from the store: the store's writer stops
   * gathering and applies what this node's journal holds at once (a node alone counts a commit as
   * written once its journal has it; from now on its commits go to a replica too).
   */
  private void nodeJoined() {
    logicArchive.flush();
  }

  /**
   * A node left: the commands waiting for its answer are sent again at once, the store applies what
   * this node's journal holds at once (the node may have held replicas of its rooms), rooms active
   * here drop its members, and the oldest survivor sweeps up its members in the other rooms.
   */
  private void nodeLeft(String dead, RoomStore store) {
    RoomClient rooms = roomClient;
    if (rooms != null) {
      rooms.nodeLeft(dead);
    }
    nodeJoined();
    RoomHost h = host;
    if (h != null) {
      h.nodeLeft(dead);
    }
    sweepGhosts(dead, store, roomClient);
  }

  private Set<String> liveNodes() {
    return membership.live();
  }

  /**
   * This process was paused long enough that the others may have taken its rooms: tell the
   * clients to reconnect (1012), drop the rooms, and serve again once the cluster has settled.
   */
  private void paused() {
    LOG.warn("this node was paused; its clients are sent elsewhere until it has rejoined the cluster");
    sendClientsAway("server paused, reconnect");
  }

  /**
   * This node's side of a split cluster merged into the other side. That side had counted this
   * node as gone and removed its members from the rooms, and the merge kept its copy: the clients
   * here still have their sockets but are members of nothing. They are told to reconnect (1012),
   * which makes them members again with what they missed, as after a pause. A node that is already
   * recovering from a pause has done so.
   */
  private void merged() {
    if (!ready) {
      return;
    }
    LOG.warn("this node's side of a split cluster merged into the other; its clients are sent to reconnect");
    sendClientsAway("cluster merged, reconnect");
  }

  private void sendClientsAway(String reason) {
    ready = false;
    vertx.runOnContext(v -> connections.closeAll(CloseCode.RESTARTING, reason)
        .compose(x -> host.closeAllRooms())
        .onComplete(x -> awaitRecovery()));
  }

  private void awaitRecovery() {
    if (watchdog.mayRecover(SETTLE_MS, 60_000)) {
      watchdog.recovered();
      ready = true;
      LOG.info("node serves again after a pause (cluster of {})", liveNodes().size());
    } else {
      vertx.setTimer(500, t -> awaitRecovery());
    }
  }

  /**
   * A node left: the oldest survivor asks each room that had members there to drop them (a LEAVE
   * to the others). The room wakes for it, on a survivor if its owner was the node that left. The
   * purge names the dead node: it may reach the room's owner before the owner has seen the node
   * leave (measured: about 120 ms early, in 1 of 10 kills).
   */
  private void sweepGhosts(String dead, RoomStore store, RoomClient rooms) {
    if (!ready || !membership.oldest()) {
      return;
    }
    store.roomsWithMembersOn(dead)
        .onSuccess(list -> {
          LOG.info("node {} left: removing its members from {} rooms", dead, list.size());
          list.forEach(room -> purge(rooms, room, dead, 3));
        })
        .onFailure(err -> LOG.warn("could not sweep the members of node {}: {}", dead, err.toString()));
  }

  private void purge(RoomClient rooms, String room, String dead, int attemptsLeft) {
    rooms.send(new Wire.Purge(room, dead)).onFailure(err -> {
      if (attemptsLeft > 1) {
        vertx.setTimer(500, t -> purge(rooms, room, dead, attemptsLeft - 1));
      } else {
        LOG.warn("room {}: could not remove members of a node that left: {}", room, err.toString());
      }
    });
  }

  /**
   * Graceful stop: no longer ready, clients closed with 1012 so they reconnect to another node (their
   * rooms told they left), rooms stopped with their leases released, then the cluster left.
   */
  public synchronized Future<Void> close() {
    if (closing == null) {
      closing = shutDown();
    }
    return closing;
  }

  /**
   * The steps of a stop, in order, each with what is left undone if the process exits during it
   * (for a caller that stops waiting: see {@link #stopStep}).
   */
  public enum StopStep {
    NOT_STOPPING("not stopping", ""),
    CLIENTS("closing the client connections", "rooms not told that their members here left remove them once this "
        + "node has left the cluster"),
    ROOMS("putting the rooms to sleep", "the rooms still awake are taken over as after a crash; what they wrote is in "
        + "the cluster's copy and in this node's journal, which the next node to start on this data folder replays"),
    CLUSTER("leaving the cluster", "the others see this node leave as after a crash"),
    STORE("closing the store", "its last writes are in this node's journal, which the next node to start on this "
        + "data folder replays"),
    STOPPED("stopped", "");

    private final String doing;
    private final String leftUndone;

    StopStep(String doing, String leftUndone) {
      this.doing = doing;
      this.leftUndone = leftUndone;
    }

    public String doing() {
      return doing;
    }

    public String leftUndone() {
      return leftUndone;
    }
  }

  private volatile StopStep stopStep = StopStep.NOT_STOPPING;

  /** Where a stop is: a caller that stops waiting for {@link #close} says which step did not complete. */
  public StopStep stopStep() {
    return stopStep;
  }

  /**
   * The rooms are put to sleep before Vert.x closes (which would stop them too), so that a stop that
   * takes too long says which of the two it was in. Leaving the cluster takes Hazelcast up to 3 s
   * more on the oldest node: its shutdown waits that long for the task that looks for other
   * clusters to merge with, which there runs most of the time (it waits 5 s on each port of the
   * join range where no member answers: conf/cluster.xml's port try count).
   */
  private Future<Void> shutDown() {
    ready = false;
    if (watchdog != null) {
      watchdog.stop();
    }
    if (webhookSender != null) {
      webhookSender.stop(); // what it has not deleted is sent by the next oldest node
    }
    stopStep = StopStep.CLIENTS;
    return connections.closeAll(CloseCode.RESTARTING, "server restarting")
        .timeout(5, TimeUnit.SECONDS)
        .otherwiseEmpty()
        .compose(v -> step(StopStep.ROOMS, hostStarted ? host.closeAllRooms() : Future.succeededFuture()))
        .compose(v -> step(StopStep.CLUSTER, vertx.close()))
        .andThen(ar -> {
          StopStep failedIn = stopStep; // a failed step stays the one to report
          stopStep = StopStep.STORE;
          logicArchive.close();
          stopStep = ar.succeeded() ? StopStep.STOPPED : failedIn;
        });
  }

  private Future<Void> step(StopStep step, Future<Void> work) {
    stopStep = step;
    return work;
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

  /**
   * Whether Hazelcast has no partition migration in progress and every backup in sync: right after a
   * node joined, operations on moving partitions wait and retry. Asks the other members: not on an
   * event loop.
   */
  public boolean clusterSafe() {
    return cluster.getHazelcastInstance().getPartitionService().isClusterSafe();
  }

  public Vertx vertx() {
    return vertx;
  }

  /** This node's embedded Hazelcast member (for tests: its address and configuration). */
  HazelcastInstance hazelcast() {
    return cluster.getHazelcastInstance();
  }

  public RoomHost host() {
    return host;
  }

  /** The state this node keeps of rooms that slept here (for tests). */
  SleepingRooms sleepingRooms() {
    return sleeping;
  }

  /** This node's store of rooms of users' types (for tests: what the store holds). */
  LogicArchive logicArchive() {
    return logicArchive;
  }

  public Connections connections() {
    return connections;
  }

  public RoomMetrics metrics() {
    return metrics;
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
    bindToTheConfiguredInterface(hz);
    bindToTheClusterHost(hz, config.clusterHost());
    join(hz.getNetworkConfig().getJoin(), config);
    if (hz.getSerializationConfig().getJavaSerializationFilterConfig() == null) {
      hz.getSerializationConfig().setJavaSerializationFilterConfig(DeserializationFilter.config());
    }
    return hz;
  }

  private static final String LOCAL_ADDRESS = "hazelcast.local.localAddress";

  /**
   * Hazelcast takes ROOMS_CLUSTER_HOST as its address, as the event bus does: the cluster file's
   * {@code <interfaces>} can only pick among the addresses the network interfaces list (Linux
   * answers all of 127/8 on loopback but lists 127.0.0.1 alone, so 127.0.0.2 is not found), while
   * this property names the address itself, and with bind-any off Hazelcast listens there alone.
   * A cluster file that sets the property (or a -D of it) keeps its choice.
   */
  private static void bindToTheClusterHost(Config hz, String host) {
    if (hz.getProperty(LOCAL_ADDRESS) == null) {
      hz.setProperty(LOCAL_ADDRESS, host);
    }
  }

  /**
   * How the node finds the others: the cluster file's join, with ROOMS_CLUSTER_MEMBERS as its TCP-IP
   * member list when set, or Hazelcast's Kubernetes discovery by DNS lookup of the headless service
   * (each address it returns, on ROOMS_CLUSTER_PORT) with every other join switched off, as
   * Hazelcast refuses two join methods at once.
   */
  private static void join(JoinConfig join, ServerConfig config) {
    if (config.clusterDiscovery().equals("kubernetes")) {
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", config.kubernetesServiceDns())
          .setProperty("service-port", String.valueOf(config.clusterPort()));
    } else if (!config.clusterMembers().isEmpty()) {
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(config.clusterMembers());
    }
  }

  private static final String BIND_ANY = "hazelcast.socket.bind.any";
  private static final String SERVER_BIND_ANY = "hazelcast.socket.server.bind.any";

  /**
   * Hazelcast listens on every interface by default ({@code <interfaces>} only picks the address it
   * advertises): false here binds its port to that interface alone, also for a cluster.xml of the
   * user's that does not say. One that sets either property (or a -D system property of that
   * name) keeps its choice.
   */
  private static void bindToTheConfiguredInterface(Config hz) {
    boolean chosen = java.util.stream.Stream.of(BIND_ANY, SERVER_BIND_ANY)
        .anyMatch(p -> hz.getProperty(p) != null || System.getProperty(p) != null);
    if (!chosen) {
      hz.setProperty(BIND_ANY, "false");
    }
  }
}
