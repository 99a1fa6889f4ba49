package durablerooms.bench;

import durablerooms.bench.BenchOptions.Protocol;
import durablerooms.bench.BenchOptions.Scenario;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;

import java.io.PrintStream;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * The built-in load generator ({@code ./run.sh bench}): opens rooms x members WebSockets spread over
 * the given nodes, sends open-loop at a fixed rate per member, and measures end-to-end latency from
 * each message's intended send time to its arrival at every other member, with loss, duplicate and
 * order accounting. Runs the scenarios of docs/benchmarks.md ({@link Scenarios}) on its
 * {@link Fleet} of clients, a {@link StepRunner} step at a time. Bounded: it always stops by itself.
 */
public final class LoadGenerator {
  static final long SEC = 1_000_000_000L;

  private final BenchOptions opts;
  private final PrintStream out;
  private final PrintStream log = System.err;
  private final Plan everyoneAtRate = Plan.everyoneAtRate(new Random());
  private final Map<URI, Protocol> protocols = new ConcurrentHashMap<>();
  private Vertx vertx;
  private WebSocketClient wsClient;
  private ServerProbe probe;
  private Fleet fleet;
  private StepRunner steps;

  LoadGenerator(BenchOptions opts, PrintStream out) {
    this.opts = opts;
    this.out = out;
  }

  public static void main(String[] args) {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.println(BenchOptions.USAGE);
      return;
    }
    BenchOptions opts;
    try {
      opts = BenchOptions.parse(args);
    } catch (BenchOptions.UsageException e) {
      System.err.println("bench: " + e.getMessage());
      System.err.println(BenchOptions.USAGE);
      System.exit(2);
      return;
    }
    int code;
    LoadGenerator gen = new LoadGenerator(opts, System.out);
    try {
      code = gen.run();
    } catch (Exception e) {
      System.err.println("bench: " + e);
      code = 1;
    } finally {
      gen.shutdown();
    }
    System.exit(code);
  }

  int run() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(opts.threads()));
    wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(BenchOptions.MAX_CLIENTS)
        .setMaxFrameSize(1 << 20)
        .setMaxMessageSize(16 << 20)
        .setTcpNoDelay(true)
        .setConnectTimeout(10_000)
        // wss:// targets are on loopback (BenchOptions.urls allows no other), usually with a
        // self-signed certificate: the generator measures the node, it does not authenticate it
        .setTrustAll(true)
        .setVerifyHost(false));
    probe = new ServerProbe(vertx, opts, log);
    if (opts.scenario() == Scenario.FRESH && !Scenarios.beforeFresh(this)) {
      return 1;
    }
    for (URI u : opts.urls()) {
      protocols.put(u, probe.detect(u));
    }
    log.printf(Locale.ROOT, "bench: %s, %d rooms x %d members over %s (%s), rooms %s-*; load1 %.2f%n",
        opts.scenario().name().toLowerCase(Locale.ROOT), opts.rooms(), opts.members(), opts.urls(),
        protocols.values().stream().map(p -> p.name().toLowerCase(Locale.ROOT)).distinct()
            .collect(Collectors.joining(",")), opts.roomPrefix(), ProcStats.load1());
    fleet = fleet(opts);
    steps = new StepRunner(opts, log, fleet);
    return Scenarios.run(this);
  }

  // --- what the scenarios use ------------------------------------------------------------------------

  BenchOptions opts() {
    return opts;
  }

  PrintStream log() {
    return log;
  }

  Map<URI, Protocol> protocols() {
    return protocols;
  }

  Vertx vertx() {
    return vertx;
  }

  WebSocketClient wsClient() {
    return wsClient;
  }

  ServerProbe probe() {
    return probe;
  }

  /** The counts of the run's clients. */
  Measurements measurements() {
    return fleet.measurements();
  }

  /** A fleet of clients for {@code options} on this generator's event loops and nodes. */
  Fleet fleet(BenchOptions options) {
    return new Fleet(options, log, vertx, wsClient, protocols);
  }

  /** Connects the run's clients; false if none could join. */
  boolean connectAll() {
    return fleet.connectAll();
  }

  StepResult step(String label, double rate, double warmupSec, double durationSec, Plan plan) {
    return steps.run(label, rate, warmupSec, durationSec, plan);
  }

  /** Every member at the step's rate, each with a random phase. */
  Plan everyoneAtRate() {
    return everyoneAtRate;
  }

  /** Prints the summary: the human one on stdout, or with --json that on stderr and the JSON line on stdout. */
  void report(String human, JsonObject json) {
    json.put("load1", ProcStats.load1()).put("cpuPressure10s", ProcStats.cpuPressure());
    if (opts.json()) {
      log.println(human);
      out.println(json.encode());
    } else {
      out.println(human);
    }
  }

  static void pause(double seconds) {
    LockSupport.parkNanos(Math.round(seconds * SEC));
  }

  void shutdown() {
    if (vertx == null) {
      return;
    }
    try {
      if (fleet != null) {
        fleet.close();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.println("bench: close: " + e);
    }
  }
}
