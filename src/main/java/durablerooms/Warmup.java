package durablerooms;

import ch.qos.logback.classic.Level;
import durablerooms.config.ServerConfig;
import durablerooms.protocol.Protocol;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Runs a node's message path before the node starts, so that it serves at its warm speed from its
 * first {@code /ready} on. A fresh JVM runs that path interpreted until the JIT has compiled it,
 * which takes a minute of traffic: measured on a 2-core machine, the first 10 s of a fresh node
 * had a p99 10 to 40 times that of the same node 90 s later. Every rolling restart sends clients
 * to fresh nodes.
 *
 * <p>Until its speed levels off, for at most {@code ROOMS_WARMUP_SEC}, a node of its own (alone in
 * a cluster of its own, with a random name and port, on 127.0.0.1, with its store in a temporary
 * folder and no plugins, webhooks or limits) takes chat traffic from clients in this JVM: members
 * join rooms, send messages, two each time the last one is ACKed (so the load follows the node's
 * speed, however cold), and move to other rooms every round, which makes rooms activate, hibernate
 * and wake with history. Then that node is closed and its folder deleted. What the JIT compiled
 * belongs to the JVM and stays; nothing of the real node (its store, cluster, port, webhooks,
 * metrics) is touched. A warm-up that fails is logged and the node starts cold.
 */
final class Warmup {
  private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
  /** Rooms at a time and members in each: the fan-out of a small chat. */
  private static final int ROOMS = 8;
  private static final int MEMBERS = 10;
  /** Members move to other rooms each round; a name returns after NAMES rounds, by then asleep. */
  private static final long ROUND_MS = 2000;
  private static final int NAMES = 3;
  /** The private node's idle timeout: its rooms sleep between their rounds. */
  private static final long IDLE_MS = 500;
  /** Rounds whose messages must agree before the warm-up ends early. */
  private static final int PLATEAU = 3;
  /** How long a member waits after its round for its last ACK before it closes anyway. */
  private static final long LAST_ACK_MS = 3000;

  private Warmup() {}

  /** Runs the warm-up that {@code config} asks for (none for ROOMS_WARMUP_SEC=0); blocks, never throws. */
  static void run(ServerConfig config) {
    warm(config, Path.of(System.getProperty("java.io.tmpdir")));
  }

  /** As {@link #run}, with the private node's folder in {@code tmp}; the messages ACKed (0: none, or failed). */
  static long warm(ServerConfig config, Path tmp) {
    if (config.warmupSec() == 0) {
      return 0;
    }
    long t0 = System.nanoTime();
    LOG.info("warming up: chat traffic through a private node on 127.0.0.1 until its speed levels off, "
        + "for at most {} s (ROOMS_WARMUP_SEC), before this node starts", config.warmupSec());
    Path dir = null;
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    Level level = root.getLevel();
    try {
      dir = Files.createTempDirectory(tmp, "durable-rooms-warm-up-");
      int port = freePort();
      // the private node's start and stop would read as this node's: only its warnings are logged
      root.setLevel(Level.WARN);
      long messages = traffic(config, dir, port);
      root.setLevel(level);
      LOG.info("warmed up: {} messages in {} s", messages, (System.nanoTime() - t0) / 1_000_000_000L);
      return messages;
    } catch (Exception e) {
      root.setLevel(level);
      LOG.warn("warm-up failed ({}): the node starts without it", e.toString());
      return 0;
    } finally {
      if (dir != null) {
        delete(dir);
      }
    }
  }

  /** The private node, its traffic until it is warm or the time is up, and its close; the messages ACKed. */
  private static long traffic(ServerConfig config, Path dir, int port) throws Exception {
    Node node = Node.start(ServerConfig.of(privateSettings(config, dir, port))).toCompletionStage()
        .toCompletableFuture().get(120, TimeUnit.SECONDS);
    Vertx clients = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    AtomicLong acked = new AtomicLong();
    try {
      WebSocketClient ws = clients.createWebSocketClient(new WebSocketClientOptions()
          .setSsl(config.tls()).setTrustAll(true).setVerifyHost(false).setMaxFrameSize(1 << 20)
          .setMaxMessageSize(1 << 24));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.warmupSec());
      CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
      double jitShare = 1;
      boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
      List<Long> rounds = new ArrayList<>();
      for (int round = 0; System.nanoTime() < end && !levelledOff(rounds, jitShare); round++) {
        long roundStart = System.nanoTime();
        long roundEnd = Math.min(end, roundStart + TimeUnit.MILLISECONDS.toNanos(ROUND_MS));
        long before = acked.get();
        long compiling = timed ? jit.getTotalCompilationTime() : 0;
        List<Future<Void>> members = new ArrayList<>();
        for (int r = 0; r < ROOMS; r++) {
          String room = "warm-up-" + r + "-" + (round % NAMES);
          for (int m = 0; m < MEMBERS; m++) {
            members.add(member(clients, ws, port, room, "w" + m, roundEnd, acked));
          }
        }
        Future.join(members).toCompletionStage().toCompletableFuture()
            .get(ROUND_MS + LAST_ACK_MS + 5000, TimeUnit.MILLISECONDS);
        if (acked.get() == before) {
          throw new IllegalStateException("the private node ACKed no message in a round");
        }
        rounds.add(acked.get() - before);
        jitShare = timed ? (jit.getTotalCompilationTime() - compiling) * 1e6 / (System.nanoTime() - roundStart) : 0;
      }
    } finally {
      clients.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      node.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    return acked.get();
  }

  /**
   * Whether the node is as fast as it gets: the last PLATEAU rounds ACKed within 10% of one another
   * (the traffic follows the node's speed, which rises while the JIT compiles), and the JIT spent
   * under a sixth of the last round compiling ({@code jitShare}: 0 where the JVM does not say).
   * Measured on a 2-core machine: a round's messages rose for 14 s, while the JIT compiled 2.8 s of
   * each 2 s round at first (on several threads) and 0.3 s after 16 s.
   */
  static boolean levelledOff(List<Long> rounds, double jitShare) {
    if (rounds.size() < PLATEAU || jitShare > 1.0 / 6) {
      return false;
    }
    List<Long> last = rounds.subList(rounds.size() - PLATEAU, rounds.size());
    long min = last.stream().mapToLong(Long::longValue).min().orElse(0);
    long max = last.stream().mapToLong(Long::longValue).max().orElse(0);
    return max <= min * 1.1;
  }

  /**
   * One member for one round: joins {@code room}, sends a message without an id and one with an id
   * once PRESENCE has come and then each time the ACK comes, until {@code roundEnd}; closes after
   * its last ACK (or LAST_ACK_MS after the round, if that ACK does not come). Completes when its
   * socket is closed, failed or not opened.
   */
  private static Future<Void> member(Vertx vertx, WebSocketClient client, int port, String room, String user,
                                     long roundEnd, AtomicLong acked) {
    WebSocketConnectOptions to = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/chat/" + room + "?name=" + user).addSubProtocol(Protocol.SUBPROTOCOL);
    return client.connect(to).compose(ws -> {
      Promise<Void> closed = Promise.promise();
      long[] sent = {0};
      // a socket opened late (a cold node) still closes, at once if its round is long over
      long closeAt = TimeUnit.NANOSECONDS.toMillis(roundEnd - System.nanoTime()) + LAST_ACK_MS;
      long guard = vertx.setTimer(Math.max(1, closeAt), t -> ws.close());
      ws.closeHandler(v -> {
        vertx.cancelTimer(guard);
        closed.tryComplete();
      });
      ws.exceptionHandler(e -> ws.close());
      ws.textMessageHandler(text -> {
        String type = new JsonObject(text).getString("type", "");
        boolean next = type.equals("ACK") || type.equals("ERROR") || (type.equals("PRESENCE") && sent[0] == 0);
        if (type.equals("ACK")) {
          acked.incrementAndGet();
        }
        if (!next) {
          return;
        }
        if (System.nanoTime() >= roundEnd) {
          ws.close();
          return;
        }
        sent[0]++;
        // a message as the seed's clients (and the load generator) send it, without an id, and one
        // as the page sends it, with an id to be ACKed: both paths are compiled
        ws.writeTextMessage(new JsonObject().put("message", "warm-up message " + sent[0] + " from " + user).encode());
        ws.writeTextMessage(new JsonObject().put("type", "message").put("id", user + "-" + sent[0])
            .put("message", "warm-up message " + sent[0] + " from " + user).encode());
      });
      return closed.future();
    }).recover(e -> Future.succeededFuture());
  }

  /** The private node's settings: loopback, its own cluster, store and port, no limits, short idle time. */
  private static Map<String, String> privateSettings(ServerConfig config, Path dir, int port) throws IOException {
    Map<String, String> s = new HashMap<>();
    s.put("ROOMS_HTTP_HOST", "127.0.0.1");
    s.put("ROOMS_HTTP_PORT", String.valueOf(port));
    if (config.tls()) {
      s.put("ROOMS_TLS_CERT", config.tlsCert());
      s.put("ROOMS_TLS_KEY", config.tlsKey());
    }
    int clusterPort = freePort();
    s.put("ROOMS_CLUSTER_NAME", "durable-rooms-warm-up-" + UUID.randomUUID());
    s.put("ROOMS_CLUSTER_HOST", "127.0.0.1");
    s.put("ROOMS_CLUSTER_CONFIG", config.clusterConfig());
    s.put("ROOMS_CLUSTER_PORT", String.valueOf(clusterPort));
    s.put("ROOMS_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort);
    s.put("ROOMS_DATA_DIR", dir.resolve("data").toString());
    s.put("ROOMS_PLUGINS_DIR", dir.resolve("no-plugins").toString());
    s.put("ROOMS_DURABILITY", config.durability());
    s.put("ROOMS_EVENT_LOOPS", String.valueOf(config.eventLoops()));
    s.put("ROOMS_GATEWAY_INSTANCES", String.valueOf(config.gatewayInstances()));
    s.put("ROOMS_HISTORY_LIMIT", String.valueOf(config.historyLimit()));
    s.put("ROOMS_IDLE_TIMEOUT_MS", String.valueOf(IDLE_MS));
    s.put("ROOMS_RATE_PER_SEC", "1000000");
    s.put("ROOMS_RATE_BURST", "1000000");
    s.put("ROOMS_NEW_ROOMS_PER_MIN", "1000000");
    s.put("ROOMS_LOG_FORMAT", config.logFormat());
    s.put("ROOMS_WARMUP_SEC", "0");
    return s;
  }

  /** A port free on 127.0.0.1 now, below Linux's ephemeral range (where outgoing connections take theirs). */
  private static int freePort() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port on 127.0.0.1 for the warm-up");
  }

  private static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("could not delete the warm-up's folder {}: {}", dir, e.toString());
    }
  }
}
