package durablerooms.bench;

import durablerooms.bench.BenchOptions.Protocol;
import durablerooms.bench.BenchOptions.Scenario;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static durablerooms.bench.LoadGenerator.SEC;
import static durablerooms.bench.LoadGenerator.pause;

/**
 * What each scenario of docs/benchmarks.md runs, found by the scenario's name (its options' preset
 * is in {@link Scenario}), and the summary it reports. Each returns the generator's exit status.
 */
final class Scenarios {
  /** Extra unmeasured seconds before the first step: the generator's own JIT compiles meanwhile. */
  private static final double JIT_WARMUP_SEC = 10;
  /** Messages/s per member of the wake scenario's warm-up: under the server's default limit of 20. */
  private static final double WAKE_WARMUP_RATE = 5;

  private interface Run {
    int run(Scenarios s) throws Exception;
  }

  /** The default run and the big room are one step at --rate. */
  private static final Map<Scenario, Run> RUNS = new EnumMap<>(Map.<Scenario, Run>of(
      Scenario.NONE, Scenarios::steady,
      Scenario.BIGROOM, Scenarios::steady,
      Scenario.FANOUT, Scenarios::fanout,
      Scenario.IDLE, Scenarios::idle,
      Scenario.COLD, Scenarios::cold,
      Scenario.WAKE, Scenarios::wake,
      Scenario.FRESH, Scenarios::fresh,
      Scenario.ALARMS, Scenarios::alarms,
      Scenario.WEBHOOKS, Scenarios::webhooks,
      Scenario.CAPACITY, Scenarios::capacity));

  private final LoadGenerator g;
  private final BenchOptions opts;
  private final PrintStream log;
  private final Measurements m;

  private Scenarios(LoadGenerator g) {
    this.g = g;
    this.opts = g.opts();
    this.log = g.log();
    this.m = g.measurements();
  }

  /** Runs the scenario of the generator's options. */
  static int run(LoadGenerator g) throws Exception {
    return RUNS.get(g.opts().scenario()).run(new Scenarios(g));
  }

  /** One step at --rate (the default run and the big-room preset). */
  private int steady() {
    if (!g.connectAll()) {
      return 1;
    }
    StepResult r = g.step("steady", opts.rate(), opts.warmupSec() + JIT_WARMUP_SEC, opts.durationSec(),
        g.everyoneAtRate());
    g.report(r.human(), m.withConnect(r.json()));
    return 0;
  }

  /**
   * The rate ladder: climbs --ladder until a step fails (loss, error, or p99 over --max-p99), tries
   * once between the last pass and the first failure, then measures half the best rate.
   */
  private int fanout() {
    if (!g.connectAll()) {
      return 1;
    }
    List<Double> ladder = opts.ladder().isEmpty() ? List.of(opts.rate()) : opts.ladder();
    List<StepResult> steps = new ArrayList<>();
    StepResult best = null;
    Double failedAt = null;
    for (double rate : ladder) {
      double warmup = opts.warmupSec() + (steps.isEmpty() ? JIT_WARMUP_SEC : 0);
      StepResult r = g.step("fanout", rate, warmup, opts.durationSec(), g.everyoneAtRate());
      steps.add(r);
      log.println(r.human());
      if (!r.passes(opts.maxP99Ms())) {
        failedAt = rate;
        break;
      }
      best = r;
    }
    if (failedAt != null) {
      double low = best == null ? 0 : best.rate();
      double mid = Math.round((low + failedAt) / 2 * 10) / 10.0;
      if (mid > low && mid < failedAt && (failedAt - low) / failedAt > 0.1) {
        StepResult r = g.step("fanout", mid, opts.warmupSec(), opts.durationSec(), g.everyoneAtRate());
        steps.add(r);
        log.println(r.human());
        if (r.passes(opts.maxP99Ms())) {
          best = r;
        }
      }
    }
    StepResult half = null;
    if (best != null) {
      double halfRate = best.rate() / 2;
      half = g.step("fanout-half", halfRate, opts.warmupSec(), opts.durationSec(), g.everyoneAtRate());
    }
    JsonObject json = m.withConnect(new JsonObject().put("scenario", "fanout"));
    JsonArray all = new JsonArray();
    steps.forEach(s -> all.add(s.json()));
    json.put("steps", all);
    StringBuilder human = new StringBuilder();
    if (best == null) {
      human.append("fanout: no step passed (p99 < ").append(opts.maxP99Ms()).append(" ms, no loss, no errors)");
      json.putNull("best");
    } else {
      human.append(String.format(Locale.ROOT,
          "fanout %dx%d: highest sustained rate %s msg/s per member = %,.0f deliveries/s (p99 %.2f ms, no loss)",
          opts.rooms(), opts.members(), StepResult.fmt(best.rate()), best.deliveredPerSec(), best.ms(99)));
      json.put("best", best.json());
    }
    if (half != null) {
      human.append(String.format(Locale.ROOT, "%nat half that rate (%s/s): p50 %.2f ms, p99 %.2f ms, lost %d%n",
          StepResult.fmt(half.rate()), half.ms(50), half.ms(99), half.lost())).append(half.human());
      json.put("half", half.json());
    }
    g.report(human.toString(), json);
    return 0;
  }

  /** N idle connections; with --pid, the server's RSS growth per connection. */
  private int idle() {
    long rss0 = ProcStats.serverRss(opts.pids());
    if (!g.connectAll()) {
      return 1;
    }
    pause(opts.settleSec());
    long rss1 = ProcStats.serverRss(opts.pids());
    long n = m.joined.sum();
    JsonObject json = m.withConnect(new JsonObject().put("scenario", "idle").put("connections", n));
    String human = String.format(Locale.ROOT, "idle: %d connections joined, connect p50 %.2f ms p99 %.2f ms",
        n, m.connectMs(50), m.connectMs(99));
    if (rss0 > 0 && rss1 > 0 && n > 0) {
      long per = (rss1 - rss0) / n;
      json.put("rssBeforeMB", rss0 >> 20).put("rssAfterMB", rss1 >> 20).put("rssPerConnectionBytes", per);
      human += String.format(Locale.ROOT, "%nserver RSS %d MB -> %d MB: %,d bytes per connection",
          rss0 >> 20, rss1 >> 20, per);
    }
    json.put("load1", ProcStats.load1());
    g.report(human, json);
    return 0;
  }

  /**
   * Cold join: one member per new room, time from connect to PRESENCE (the room's activation).
   * A first pass on other new rooms (prefix "-w"), not measured, warms this JVM's WebSocket client:
   * otherwise its own JIT warm-up would be most of what is measured.
   */
  private int cold() {
    Fleet warm = g.fleet(opts.withRoomPrefix(opts.roomPrefix() + "-w"));
    try {
      log.println("  warm-up pass (not measured): " + opts.rooms() + " other new rooms");
      warm.connectAll();
    } finally {
      warm.close();
    }
    if (!g.connectAll()) {
      return 1;
    }
    JsonObject json = m.withConnect(new JsonObject().put("scenario", "cold").put("rooms", opts.rooms()))
        .put("load1", ProcStats.load1());
    g.report(String.format(Locale.ROOT, "cold join of %d new rooms: connect -> joined p50 %.2f ms, p90 %.2f ms, "
            + "p99 %.2f ms, max %.2f ms, failures %d", opts.rooms(), m.connectMs(50), m.connectMs(90),
        m.connectMs(99), m.connectHist().getMaxValue() / 1000.0, m.connectFailures.sum()), json);
    return 0;
  }

  /**
   * Wake from hibernation: all rooms joined, a warm-up of messages in them (not measured), wait
   * until the server reports none of them active, then member 0 of each room sends one message
   * (rooms spread at --wake-rate) and the time until member 1 has it is the wake time. A second
   * round right after measures the same on awake rooms.
   */
  private int wake() throws Exception {
    if (opts.members() < 2) {
      log.println("bench: wake needs --members >= 2");
      return 2;
    }
    if (g.protocols().values().stream().anyMatch(p -> p != Protocol.ROOMS)) {
      log.println("bench: wake needs a Durable Rooms server (it reads /api/rooms)");
      return 2;
    }
    if (!g.connectAll()) {
      return 1;
    }
    // this JVM's send and receive path is compiled first, as in the other scenarios: otherwise a
    // fresh generator's JIT is the first round's tail. It warms the server's message path too,
    // not its wake path (claim, archive read, deploy), which the rooms have not run yet
    log.printf(Locale.ROOT, "  warm-up (not measured): every member at %s msg/s for %s s, then the rooms sleep%n",
        StepResult.fmt(WAKE_WARMUP_RATE), StepResult.fmt(JIT_WARMUP_SEC + opts.warmupSec()));
    g.step("warm-up", WAKE_WARMUP_RATE, 0, JIT_WARMUP_SEC + opts.warmupSec(), g.everyoneAtRate());
    long t0 = System.nanoTime();
    if (!g.probe().awaitHibernation()) {
      log.println("bench: rooms did not hibernate within --hibernate-timeout; start the server with a short "
          + "ROOMS_IDLE_TIMEOUT_MS (e.g. 2000)");
      return 1;
    }
    double sleptAfter = (System.nanoTime() - t0) / 1e9;
    double spread = opts.rooms() / opts.wakeRate();
    Plan oneEach = (c, start, end, rate) -> c.member != 0 ? null
        : Schedule.once(start + Math.round(c.room * SEC / opts.wakeRate()));
    StepResult wake = g.step("wake", 0, 0, spread, oneEach);
    // the second round measures awake rooms only if none went back to sleep since the first woke it
    // (the server's idle timeout must exceed the rounds' length): how many are awake is reported
    long awake = g.probe().activeRooms();
    StepResult warm = g.step("awake", 0, 0, spread, oneEach);
    JsonObject json = m.withConnect(new JsonObject().put("scenario", "wake").put("rooms", opts.rooms())
        .put("hibernatedAfterSec", StepResult.round(sleptAfter)).put("wake", wake.json())
        .put("awakeAtSecondRound", awake).put("awake", warm.json()));
    g.report(String.format(Locale.ROOT, "wake of %d hibernated rooms (message round trip): p50 %.2f ms, p90 %.2f ms, "
            + "p99 %.2f ms, max %.2f ms, lost %d%nsecond round (%d of the %d rooms awake when it began%s): "
            + "p50 %.2f ms, p99 %.2f ms%n%s%n%s",
        opts.rooms(), wake.ms(50), wake.ms(90), wake.ms(99), wake.maxMs(), wake.lost(), awake, opts.rooms(),
        awake < opts.rooms() ? "; raise ROOMS_IDLE_TIMEOUT_MS or --wake-rate to measure awake rooms" : "",
        warm.ms(50), warm.ms(99), wake.human(), warm.human()), json);
    return 0;
  }

  /**
   * Before a fresh server is up: this generator warms its own send and receive path on a minimal
   * server of its own (in this JVM, on 127.0.0.1), so that its JIT is not what the first window
   * measures, then waits for every node's {@code /ready}.
   */
  static boolean beforeFresh(LoadGenerator g) throws Exception {
    BenchOptions opts = g.opts();
    int port = BaselineServer.deploy(g.vertx(), 0, 1).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    URI own = URI.create("ws://127.0.0.1:" + port);
    BenchOptions local = opts.withUrls(List.of(own)).withRoomPrefix(opts.roomPrefix() + "-g");
    Fleet warm = new Fleet(local, g.log(), g.vertx(), g.wsClient(), Map.of(own, Protocol.SEED));
    try {
      g.log().printf(Locale.ROOT, "  the generator warms itself on a minimal server of its own for %s s%n",
          StepResult.fmt(JIT_WARMUP_SEC));
      if (!warm.connectAll()) {
        return false;
      }
      new StepRunner(local.withDrain(1), g.log(), warm).run("generator warm-up", opts.rate(), 0, JIT_WARMUP_SEC,
          g.everyoneAtRate());
    } finally {
      warm.close();
    }
    return g.probe().awaitReady(opts.hibernateTimeoutSec());
  }

  /**
   * A fresh server's first seconds against its warm speed: started with the server (the generator
   * waits for its /ready), one window of --duration s at --rate from the first message, the load
   * kept on for --warmup s, then the same window again.
   */
  private int fresh() {
    if (!g.connectAll()) {
      return 1;
    }
    StepResult first = g.step("after ready", opts.rate(), 0, opts.durationSec(), g.everyoneAtRate());
    log.println(first.human());
    StepResult later = g.step("warm", opts.rate(), opts.warmupSec(), opts.durationSec(), g.everyoneAtRate());
    double ratio = later.ms(99) > 0 ? first.ms(99) / later.ms(99) : 0;
    JsonObject json = m.withConnect(new JsonObject().put("scenario", "fresh").put("first", first.json())
        .put("warm", later.json()).put("p99Ratio", StepResult.round(ratio)));
    g.report(String.format(Locale.ROOT, "fresh server at %s msg/s per member: first %s s after /ready p50 %.2f ms, "
            + "p99 %.2f ms, lost %d; %s s later p50 %.2f ms, p99 %.2f ms, lost %d; p99 first/later %.2fx%n%s",
        StepResult.fmt(opts.rate()), StepResult.fmt(opts.durationSec()), first.ms(50), first.ms(99), first.lost(),
        StepResult.fmt(opts.warmupSec() + opts.durationSec()), later.ms(50), later.ms(99), later.lost(), ratio,
        later.human()), json);
    return 0;
  }

  /** Alarm lateness: tic-tac-toe games whose turn clock runs out ({@link AlarmBench}). */
  private int alarms() throws Exception {
    return roomScenario("alarms", new AlarmBench(g));
  }

  /** Webhook throughput: this generator receives the webhooks of rooms it makes ({@link WebhookBench}). */
  private int webhooks() throws Exception {
    return roomScenario("webhooks", new WebhookBench(g));
  }

  /** What sleeping rooms and idle connections cost the node, and the wake among 100,000 ({@link CapacityBench}). */
  private int capacity() throws Exception {
    return roomScenario("capacity", new CapacityBench(g));
  }

  /**
   * A scenario that talks to rooms frame by frame ({@link RoomSocket}) rather than at a rate, with
   * the generator's options, log, Vert.x and WebSocket client.
   */
  abstract static class RoomScenario {
    protected final BenchOptions opts;
    protected final PrintStream log;
    protected final Vertx vertx;
    protected final WebSocketClient client;

    RoomScenario(LoadGenerator g) {
      this.opts = g.opts();
      this.log = g.log();
      this.vertx = g.vertx();
      this.client = g.wsClient();
    }

    abstract int run() throws Exception;

    abstract String human();

    abstract JsonObject json();

    /** Closes what the run left open. */
    void close() throws Exception {
    }
  }

  /** Runs {@code scenario} against a Durable Rooms server and reports it. */
  private int roomScenario(String name, RoomScenario scenario) throws Exception {
    if (g.protocols().values().stream().anyMatch(p -> p != Protocol.ROOMS)) {
      log.println("bench: " + name + " needs a Durable Rooms server");
      return 2;
    }
    try {
      int code = scenario.run();
      g.report(scenario.human(), scenario.json());
      return code;
    } finally {
      scenario.close();
    }
  }
}
