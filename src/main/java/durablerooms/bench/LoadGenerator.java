package durablerooms.bench;

import durablerooms.bench.BenchOptions.Protocol;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * The built-in load generator ({@code ./run.sh bench}): opens rooms x members WebSockets spread over
 * the given nodes, sends open-loop at a fixed rate per member, and measures end-to-end latency from
 * each message's intended send time to its arrival at every other member, with loss, duplicate and
 * order accounting. Runs the scenarios of docs/benchmarks.md as presets. Bounded: it always stops by itself.
 */
public final class LoadGenerator {
  private static final long SEC = 1_000_000_000L;
  private static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(10);
  /** Extra unmeasured seconds before the first step: the generator's own JIT compiles meanwhile. */
  private static final double JIT_WARMUP_SEC = 10;
  /** Messages/s per member of the wake scenario's warm-up: under the server's default limit of 20. */
  private static final double WAKE_WARMUP_RATE = 5;

  private final BenchOptions opts;
  private final PrintStream out;
  private final PrintStream log = System.err;
  private final long base = System.nanoTime();
  private final Random random = new Random();
  private Vertx vertx;
  private WebSocketClient wsClient;
  private Loop[] loops;
  private Client[] clients;
  private final Map<URI, Protocol> protocols = new ConcurrentHashMap<>();
  private AtomicIntegerArray joinedPerRoom;

  // connection phase
  private final LongAdder joined = new LongAdder();
  private final LongAdder connectFailures = new LongAdder();
  private final Histogram connectMicros = new Histogram(MAX_LATENCY_MICROS, 3);

  // the measured window of the current step, in nanos on the generator's clock; receivers count
  // only messages whose intended send time lies in it
  // (in micros since base, the resolution a message carries, so sender and receiver agree at the edges)
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MIN_VALUE;
  private final LongAdder issued = new LongAdder();
  private final LongAdder sent = new LongAdder();
  private final LongAdder expected = new LongAdder();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder outOfOrder = new LongAdder();
  private final LongAdder misrouted = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final Map<String, LongAdder> errorCodes = new ConcurrentHashMap<>();
  private final Recorder latency = new Recorder(MAX_LATENCY_MICROS, 3);
  private final Recorder acks = new Recorder(MAX_LATENCY_MICROS, 3);

  LoadGenerator(BenchOptions opts, PrintStream out) {
    this.opts = opts;
    this.out = out;
  }

  public static void main(String[] args) {
    if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
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
        .setConnectTimeout(10_000));
    for (URI u : opts.urls()) {
      protocols.put(u, detect(u));
    }
    log.printf(Locale.ROOT, "bench: %s, %d rooms x %d members over %s (%s), rooms %s-*; load1 %.2f%n",
        opts.scenario().name().toLowerCase(Locale.ROOT), opts.rooms(), opts.members(), opts.urls(),
        protocols.values().stream().map(p -> p.name().toLowerCase(Locale.ROOT)).distinct()
            .collect(Collectors.joining(",")), opts.roomPrefix(), load1());
    switch (opts.scenario()) {
      case FANOUT:
        return fanout();
      case IDLE:
        return idle();
      case COLD:
        return cold();
      case WAKE:
        return wake();
      default:
        return steady();
    }
  }

  // --- scenarios ---------------------------------------------------------------------------------

  /** One step at --rate (the default run and the big-room preset). */
  private int steady() {
    if (!connectAll()) {
      return 1;
    }
    StepResult r = step("steady", opts.rate(), opts.warmupSec() + JIT_WARMUP_SEC, opts.durationSec(),
        this::everyoneAtRate);
    report(r.human(), withConnect(r.json()));
    return 0;
  }

  /**
   * The rate ladder: climbs --ladder until a step fails (loss, error, or p99 over --max-p99), tries
   * once between the last pass and the first failure, then measures half the best rate.
   */
  private int fanout() {
    if (!connectAll()) {
      return 1;
    }
    List<Double> ladder = opts.ladder().isEmpty() ? List.of(opts.rate()) : opts.ladder();
    List<StepResult> steps = new ArrayList<>();
    StepResult best = null;
    Double failedAt = null;
    for (double rate : ladder) {
      double warmup = opts.warmupSec() + (steps.isEmpty() ? JIT_WARMUP_SEC : 0);
      StepResult r = step("fanout", rate, warmup, opts.durationSec(), this::everyoneAtRate);
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
        StepResult r = step("fanout", mid, opts.warmupSec(), opts.durationSec(), this::everyoneAtRate);
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
      half = step("fanout-half", halfRate, opts.warmupSec(), opts.durationSec(), this::everyoneAtRate);
    }
    JsonObject json = withConnect(new JsonObject().put("scenario", "fanout"));
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
    report(human.toString(), json);
    return 0;
  }

  /** N idle connections; with --pid, the server's RSS growth per connection. */
  private int idle() {
    long rss0 = serverRss();
    if (!connectAll()) {
      return 1;
    }
    pause(opts.settleSec());
    long rss1 = serverRss();
    long n = joined.sum();
    JsonObject json = withConnect(new JsonObject().put("scenario", "idle").put("connections", n));
    String human = String.format(Locale.ROOT, "idle: %d connections joined, connect p50 %.2f ms p99 %.2f ms",
        n, connectMs(50), connectMs(99));
    if (rss0 > 0 && rss1 > 0 && n > 0) {
      long per = (rss1 - rss0) / n;
      json.put("rssBeforeMB", rss0 >> 20).put("rssAfterMB", rss1 >> 20).put("rssPerConnectionBytes", per);
      human += String.format(Locale.ROOT, "%nserver RSS %d MB -> %d MB: %,d bytes per connection",
          rss0 >> 20, rss1 >> 20, per);
    }
    json.put("load1", load1());
    report(human, json);
    return 0;
  }

  /**
   * Cold join: one member per new room, time from connect to PRESENCE (the room's activation).
   * A first pass on other new rooms (prefix "-w"), not measured, warms this JVM's WebSocket client:
   * otherwise its own JIT warm-up would be most of what is measured.
   */
  private int cold() {
    LoadGenerator warm = new LoadGenerator(opts.withRoomPrefix(opts.roomPrefix() + "-w"), new PrintStream(
        java.io.OutputStream.nullOutputStream()));
    try {
      warm.vertx = vertx;
      warm.wsClient = wsClient;
      warm.protocols.putAll(protocols);
      log.println("  warm-up pass (not measured): " + opts.rooms() + " other new rooms");
      warm.connectAll();
    } finally {
      warm.closeClients();
    }
    if (!connectAll()) {
      return 1;
    }
    JsonObject json = withConnect(new JsonObject().put("scenario", "cold").put("rooms", opts.rooms()))
        .put("load1", load1());
    report(String.format(Locale.ROOT, "cold join of %d new rooms: connect -> joined p50 %.2f ms, p90 %.2f ms, "
            + "p99 %.2f ms, max %.2f ms, failures %d", opts.rooms(), connectMs(50), connectMs(90), connectMs(99),
        connectHist().getMaxValue() / 1000.0, connectFailures.sum()), json);
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
    if (protocols.values().stream().anyMatch(p -> p != Protocol.ROOMS)) {
      log.println("bench: wake needs a Durable Rooms server (it reads /api/rooms)");
      return 2;
    }
    if (!connectAll()) {
      return 1;
    }
    // this JVM's send and receive path is compiled first, as in the other scenarios: otherwise a
    // fresh generator's JIT is the first round's tail. It warms the server's message path too,
    // not its wake path (claim, archive read, deploy), which the rooms have not run yet
    log.printf(Locale.ROOT, "  warm-up (not measured): every member at %s msg/s for %s s, then the rooms sleep%n",
        StepResult.fmt(WAKE_WARMUP_RATE), StepResult.fmt(JIT_WARMUP_SEC + opts.warmupSec()));
    step("warm-up", WAKE_WARMUP_RATE, 0, JIT_WARMUP_SEC + opts.warmupSec(), this::everyoneAtRate);
    long t0 = System.nanoTime();
    if (!awaitHibernation()) {
      log.println("bench: rooms did not hibernate within --hibernate-timeout; start the server with a short "
          + "ROOMS_IDLE_TIMEOUT_MS (e.g. 2000)");
      return 1;
    }
    double sleptAfter = (System.nanoTime() - t0) / 1e9;
    double spread = opts.rooms() / opts.wakeRate();
    Plan oneEach = (c, start, end, rate) -> c.member != 0 ? null
        : Schedule.once(start + Math.round(c.room * SEC / opts.wakeRate()));
    StepResult wake = step("wake", 0, 0, spread, oneEach);
    // the second round measures awake rooms only if none went back to sleep since the first woke it
    // (the server's idle timeout must exceed the rounds' length): how many are awake is reported
    long awake = activeRooms();
    StepResult warm = step("awake", 0, 0, spread, oneEach);
    JsonObject json = withConnect(new JsonObject().put("scenario", "wake").put("rooms", opts.rooms())
        .put("hibernatedAfterSec", StepResult.round(sleptAfter)).put("wake", wake.json())
        .put("awakeAtSecondRound", awake).put("awake", warm.json()));
    report(String.format(Locale.ROOT, "wake of %d hibernated rooms (message round trip): p50 %.2f ms, p90 %.2f ms, "
            + "p99 %.2f ms, max %.2f ms, lost %d%nsecond round (%d of the %d rooms awake when it began%s): "
            + "p50 %.2f ms, p99 %.2f ms%n%s%n%s",
        opts.rooms(), wake.ms(50), wake.ms(90), wake.ms(99), wake.maxMs(), wake.lost(), awake, opts.rooms(),
        awake < opts.rooms() ? "; raise ROOMS_IDLE_TIMEOUT_MS or --wake-rate to measure awake rooms" : "",
        warm.ms(50), warm.ms(99), wake.human(), warm.human()), json);
    return 0;
  }

  /** Which messages each client sends in a step. */
  private interface Plan {
    /** The client's schedule for a step that starts sending at {@code start} and stops at {@code end}. */
    Schedule of(Client c, long start, long end, double rate);
  }

  /** Every member at {@code rate}, each with a random phase. */
  private Schedule everyoneAtRate(Client c, long start, long end, double rate) {
    if (rate <= 0) {
      return null;
    }
    return Schedule.atRate(start, rate, (long) (random.nextDouble() * SEC / rate), end);
  }

  // --- connections -------------------------------------------------------------------------------

  private boolean connectAll() {
    int n = opts.clients();
    joinedPerRoom = new AtomicIntegerArray(opts.rooms());
    loops = new Loop[opts.threads()];
    List<Context> contexts = eventLoops(opts.threads());
    for (int i = 0; i < loops.length; i++) {
      loops[i] = new Loop(contexts.get(i));
    }
    clients = new Client[n];
    for (int i = 0; i < n; i++) {
      URI url = opts.urls().get(i % opts.urls().size());
      clients[i] = new Client(i, i / opts.members(), i % opts.members(), url, loops[i % loops.length]);
      clients[i].loop.clients.add(clients[i]);
    }
    for (Loop l : loops) {
      l.context.runOnContext(v -> l.start());
    }
    long start = System.nanoTime();
    long gap = Math.round(SEC / opts.connectRate());
    long lastProgress = start;
    for (int i = 0; i < n; i++) {
      long due = start + i * gap;
      long now;
      while ((now = System.nanoTime()) < due) {
        LockSupport.parkNanos(Math.min(due - now, 10_000_000L));
      }
      Client c = clients[i];
      c.loop.context.runOnContext(v -> c.connect());
      if (now - lastProgress >= SEC) {
        lastProgress = now;
        log.printf(Locale.ROOT, "  connecting: %d started, %d joined, %d failed%n", i + 1, joined.sum(),
            connectFailures.sum());
      }
    }
    long deadline = System.nanoTime() + 30 * SEC;
    while (joined.sum() + connectFailures.sum() < n && System.nanoTime() < deadline) {
      pause(0.05);
    }
    log.printf(Locale.ROOT, "  connected: %d joined, %d failed in %.1f s; connect->joined p50 %.2f ms p99 %.2f ms%n",
        joined.sum(), connectFailures.sum(), (System.nanoTime() - start) / 1e9, connectMs(50), connectMs(99));
    if (joined.sum() == 0) {
      log.println("bench: no client could join; is the server running at " + opts.urls() + "?");
      return false;
    }
    return true;
  }

  /**
   * One context on each of {@code n} event loops: verticle instances are spread over the loops,
   * whereas getOrCreateContext() from the main thread returns the same (sticky) context each time.
   */
  private List<Context> eventLoops(int n) {
    List<Context> contexts = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      vertx.deployVerticle(() -> new VerticleBase() {
        @Override
        public Future<?> start() {
          contexts.add(context);
          return Future.succeededFuture();
        }
      }, new DeploymentOptions().setInstances(n)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the generator's event loops", e);
    }
    return List.copyOf(contexts);
  }

  private Protocol detect(URI url) {
    if (opts.protocol() != Protocol.AUTO) {
      return opts.protocol();
    }
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000));
    try {
      int status = http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(url.getHost())
              .setPort(url.getPort()).setURI("/health").setTimeout(2000))
          .compose(req -> req.send().map(resp -> resp.statusCode()))
          .toCompletionStage().toCompletableFuture().get(3, TimeUnit.SECONDS);
      return status == 200 ? Protocol.ROOMS : Protocol.SEED;
    } catch (Exception e) {
      return Protocol.SEED;
    } finally {
      http.close();
    }
  }

  /** Polls GET /api/rooms on the first node until none of this run's rooms is active. */
  private boolean awaitHibernation() throws Exception {
    long deadline = System.nanoTime() + Math.round(opts.hibernateTimeoutSec() * SEC);
    while (System.nanoTime() < deadline) {
      long active = activeRooms();
      log.printf(Locale.ROOT, "  waiting for hibernation: %d of %d rooms active%n", active, opts.rooms());
      if (active == 0) {
        return true;
      }
      pause(1);
    }
    return false;
  }

  /**
   * How many of this run's rooms the server reports active (its /api/rooms, read a page at a time
   * from the run's prefix on, until the names leave it).
   */
  private long activeRooms() throws Exception {
    URI u = opts.urls().get(0);
    HttpClient http = vertx.createHttpClient();
    String prefix = opts.roomPrefix() + "-";
    try {
      long active = 0;
      String after = prefix;
      while (after != null) {
        String path = "/api/rooms?limit=1000&after=" + java.net.URLEncoder.encode(after, java.nio.charset.StandardCharsets.UTF_8);
        JsonObject body = http.request(HttpMethod.GET, u.getPort(), u.getHost(), path)
            .compose(req -> req.send().compose(resp -> resp.body()))
            .map(Buffer::toJsonObject)
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<JsonObject> page = body.getJsonArray("rooms").stream().map(o -> (JsonObject) o).toList();
        List<JsonObject> ours = page.stream().filter(r -> r.getString("room", "").startsWith(prefix)).toList();
        active += ours.stream().filter(r -> r.getBoolean("active", true)).count();
        after = ours.size() == page.size() ? body.getString("next") : null;
      }
      return active;
    } finally {
      http.close();
    }
  }

  // --- one measured step -------------------------------------------------------------------------

  private StepResult step(String label, double rate, double warmupSec, double durationSec,
                          Plan plan) {
    resetCounters();
    long start = System.nanoTime() + SEC / 5;
    long mStart = start + Math.round(warmupSec * SEC);
    long mEnd = mStart + Math.max(1, Math.round(durationSec * SEC));
    windowStart = (mStart - base) / 1000;
    windowEnd = (mEnd - base) / 1000;
    long planned = 0;
    List<Schedule> schedules = new ArrayList<>(clients.length);
    for (Client c : clients) {
      Schedule s = plan.of(c, start, mEnd, rate);
      schedules.add(s);
      if (s != null) {
        planned += s.total();
      }
    }
    for (Loop l : loops) {
      List<Schedule> mine = new ArrayList<>();
      for (Client c : l.clients) {
        mine.add(schedules.get(c.index));
      }
      l.context.runOnContext(v -> l.plan(mine));
    }
    // CPU is sampled from the start of the measured window (after the warm-up)
    LockSupport.parkNanos(Math.max(0, mStart - System.nanoTime()));
    long cpu0 = serverCpuNanos();
    long gen0 = generatorCpuNanos();
    Histogram hist = new Histogram(MAX_LATENCY_MICROS, 3);
    Histogram ackHist = new Histogram(MAX_LATENCY_MICROS, 3);
    long lastDelivered = 0;
    long lastTick = System.nanoTime();
    long drainUntil = mEnd + Math.round(opts.drainSec() * SEC);
    while (true) {
      pause(1.0);
      long now = System.nanoTime();
      latency.getIntervalHistogramInto(scratch);
      hist.add(scratch);
      acks.getIntervalHistogramInto(scratch);
      ackHist.add(scratch);
      long d = delivered.sum();
      log.printf(Locale.ROOT, "  [%s %s/s] %s conns %d/%d  sent %d  delivered/s %,.0f  p99 %.2f ms  lost-so-far %d  "
              + "errors %d%n", label, StepResult.fmt(rate),
          now < mStart ? "warmup" : now < mEnd ? String.format(Locale.ROOT, "%4.0fs", (now - mStart) / 1e9) : "drain",
          joined.sum() - closedCount(), clients.length, sent.sum(), (d - lastDelivered) * 1e9 / (now - lastTick),
          hist.getTotalCount() == 0 ? 0 : hist.getValueAtPercentile(99) / 1000.0,
          now < mEnd ? 0 : Math.max(0, expected.sum() - d), errors.sum());
      lastDelivered = d;
      lastTick = now;
      boolean allSent = issued.sum() >= planned;
      if (now >= mEnd && allSent && delivered.sum() >= expected.sum()) {
        break;
      }
      if (now >= drainUntil) {
        break;
      }
    }
    for (Loop l : loops) {
      l.context.runOnContext(v -> l.plan(null));
    }
    latency.getIntervalHistogramInto(scratch);
    hist.add(scratch);
    acks.getIntervalHistogramInto(scratch);
    ackHist.add(scratch);
    double seconds = (mEnd - mStart) / 1e9;
    long cpu1 = serverCpuNanos();
    double serverCpu = cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) * 100.0 / (System.nanoTime() - mStart + 1);
    double genCpu = (generatorCpuNanos() - gen0) * 100.0 / (System.nanoTime() - mStart + 1);
    Map<String, Long> codes = new TreeMap<>();
    errorCodes.forEach((k, v) -> codes.put(k, v.sum()));
    return new StepResult(label, rate, seconds, sent.sum(), expected.sum(), delivered.sum(), duplicates.sum(),
        outOfOrder.sum(), misrouted.sum(), errors.sum(), codes, hist, ackHist, serverCpu,
        cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) / 1e9, genCpu, load1());
  }

  private final Histogram scratch = new Histogram(MAX_LATENCY_MICROS, 3);

  private void resetCounters() {
    windowStart = Long.MAX_VALUE;
    windowEnd = Long.MIN_VALUE;
    for (LongAdder a : List.of(issued, sent, expected, delivered, duplicates, outOfOrder, misrouted, errors)) {
      a.reset();
    }
    errorCodes.clear();
    latency.reset();
    acks.reset();
  }

  private long closedCount() {
    long n = 0;
    for (Client c : clients) {
      if (c.closed) {
        n++;
      }
    }
    return n;
  }

  // --- one event loop of the generator: its clients and their send timer ---------------------------

  private final class Loop {
    final Context context;
    final List<Client> clients = new ArrayList<>();
    List<Schedule> schedules;
    long[] done;

    Loop(Context context) {
      this.context = context;
    }

    void start() {
      vertx.setPeriodic(1, id -> tick());
    }

    void plan(List<Schedule> next) {
      schedules = next;
      done = next == null ? null : new long[next.size()];
    }

    /** Sends every message that is due; a late tick catches up, stamped with the intended times. */
    void tick() {
      if (schedules == null) {
        return;
      }
      long now = System.nanoTime();
      for (int i = 0; i < schedules.size(); i++) {
        Schedule s = schedules.get(i);
        if (s == null) {
          continue;
        }
        long due = s.dueBy(now);
        while (done[i] < due) {
          clients.get(i).send(s.intended(done[i]));
          done[i]++;
          issued.increment();
        }
      }
    }
  }

  // --- one client socket -------------------------------------------------------------------------

  private final class Client {
    final int index;
    final int room;
    final int member;
    final URI url;
    final Loop loop;
    final Tally tally;
    final Payload.Marker marker = new Payload.Marker();
    ClientWebSocket ws;
    long connectStart;
    boolean joinedRoom;
    volatile boolean closed;
    long seq;

    Client(int index, int room, int member, URI url, Loop loop) {
      this.index = index;
      this.room = room;
      this.member = member;
      this.url = url;
      this.loop = loop;
      this.tally = new Tally(opts.members());
    }

    void connect() {
      ws = wsClient.webSocket();
      // handlers before connect: the welcome frame may arrive with the upgrade response
      ws.handler(this::onData);
      ws.closeHandler(v -> onClose());
      ws.exceptionHandler(err -> countError("socket: " + err.getClass().getSimpleName()));
      connectStart = System.nanoTime();
      String uri = "/chat/" + opts.roomName(room) + "?name=b" + index + "&client=" + opts.roomPrefix() + "-" + index;
      WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort()).setURI(uri);
      if (protocols.get(url) == Protocol.ROOMS) {
        // only then: a seed server (the baseline) names no subprotocol in its answer, and a client
        // that asked for one refuses such an upgrade
        options.addSubProtocol(durablerooms.protocol.Protocol.SUBPROTOCOL);
      }
      ws.connect(options)
          .onFailure(err -> {
            connectFailures.increment();
            closed = true;
            if (connectFailures.sum() <= 5) {
              log.println("  connect failed: " + err.getMessage());
            }
          });
    }

    void onJoined() {
      if (joinedRoom) {
        return;
      }
      joinedRoom = true;
      long micros = (System.nanoTime() - connectStart) / 1000;
      synchronized (connectMicros) {
        connectMicros.recordValue(Math.min(micros, MAX_LATENCY_MICROS));
      }
      joinedPerRoom.incrementAndGet(room);
      joined.increment();
    }

    void onClose() {
      if (!closed) {
        closed = true;
        if (joinedRoom) {
          joinedPerRoom.decrementAndGet(room);
          countError("closed by server");
        } else {
          connectFailures.increment(); // refused or closed before the join completed
        }
      }
    }

    void onData(Buffer b) {
      switch (Payload.kind(b)) {
        case MESSAGE:
          onMessage(b);
          break;
        case SYSTEM:
          if (protocols.get(url) == Protocol.SEED) {
            onJoined();
          }
          break;
        case PRESENCE:
          onJoined();
          break;
        case ACK:
          onAck(b);
          break;
        case ERROR:
          countError(b.toJsonObject().getString("code", "error"));
          break;
        default:
          break;
      }
    }

    void onMessage(Buffer b) {
      long now = System.nanoTime();
      if (!Payload.marker(b, marker)) {
        return; // not the generator's message (another client in the room)
      }
      int senderRoom = marker.sender / opts.members();
      int sender = marker.sender % opts.members();
      long intended = base + marker.micros * 1000;
      boolean measured = measured(marker.micros);
      if (marker.sender >= clients.length || senderRoom != room || sender == member) {
        if (measured) {
          misrouted.increment();
        }
        return;
      }
      Tally.Verdict v = tally.record(sender, marker.seq);
      if (!measured) {
        return;
      }
      if (v == Tally.Verdict.DUPLICATE) {
        duplicates.increment();
        return;
      }
      if (v == Tally.Verdict.OUT_OF_ORDER) {
        outOfOrder.increment();
      }
      delivered.increment();
      latency.recordValue(Math.min(Math.max(0, (now - intended) / 1000), MAX_LATENCY_MICROS));
    }

    void onAck(Buffer b) {
      long now = System.nanoTime();
      String id = b.toJsonObject().getString("id", "");
      int dash = id.indexOf('-');
      if (dash < 0) {
        return;
      }
      long micros = Long.parseLong(id.substring(dash + 1));
      long intended = base + micros * 1000;
      if (measured(micros)) {
        acks.recordValue(Math.min(Math.max(0, (now - intended) / 1000), MAX_LATENCY_MICROS));
      }
    }

    void send(long intended) {
      if (!joinedRoom || closed) {
        return;
      }
      long s = seq++;
      long micros = (intended - base) / 1000;
      String text = Payload.text(index, s, micros, opts.size());
      String id = opts.ack() && protocols.get(url) == Protocol.ROOMS ? s + "-" + micros : null;
      ws.writeTextMessage(Payload.frame(text, id));
      if (measured(micros)) {
        sent.increment();
        expected.add(joinedPerRoom.get(room) - 1);
      }
    }
  }

  /** Whether a message intended at {@code micros} (since base) lies in the measured window. */
  private boolean measured(long micros) {
    return micros >= windowStart && micros < windowEnd;
  }

  private void countError(String code) {
    errors.increment();
    errorCodes.computeIfAbsent(code, k -> new LongAdder()).increment();
  }

  // --- measurements of the machine -----------------------------------------------------------------

  private JsonObject withConnect(JsonObject o) {
    return o.put("connections", joined.sum()).put("connectFailures", connectFailures.sum())
        .put("connectP50Ms", StepResult.round(connectMs(50))).put("connectP99Ms", StepResult.round(connectMs(99)));
  }

  private Histogram connectHist() {
    synchronized (connectMicros) {
      return connectMicros.copy();
    }
  }

  private double connectMs(double p) {
    Histogram h = connectHist();
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p) / 1000.0;
  }

  private void report(String human, JsonObject json) {
    json.put("load1", load1()).put("cpuPressure10s", cpuPressure());
    if (opts.json()) {
      log.println(human);
      out.println(json.encode());
    } else {
      out.println(human);
    }
  }

  static double load1() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The share of the last 10 s in which some task waited for a CPU (/proc/pressure/cpu), as "NN%". */
  static String cpuPressure() {
    try {
      String line = Files.readAllLines(Path.of("/proc/pressure/cpu")).get(0);
      return line.replaceAll(".*avg10=([0-9.]+).*", "$1") + "%";
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  /** VmRSS of a process from /proc/PID/status, or -1. */
  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not readable: no figure
    }
    return -1;
  }

  /** The summed VmRSS of the servers (--pid), or -1 when there are none or one is not readable. */
  private long serverRss() {
    long sum = 0;
    for (long pid : opts.pids()) {
      long rss = rssBytes(pid);
      if (rss < 0) {
        return -1;
      }
      sum += rss;
    }
    return opts.pids().isEmpty() ? -1 : sum;
  }

  /** User + system CPU time of the servers (--pid, summed) from /proc/PID/stat, or -1. */
  private long serverCpuNanos() {
    if (opts.pids().isEmpty()) {
      return -1;
    }
    long ticks = 0;
    try {
      for (long pid : opts.pids()) {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return ticks * (SEC / 100); // USER_HZ is 100 on Linux
  }

  private static long generatorCpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return 0;
  }

  private static void pause(double seconds) {
    LockSupport.parkNanos(Math.round(seconds * SEC));
  }

  private void closeClients() {
    if (clients != null) {
      for (Client c : clients) {
        if (c != null && c.ws != null && !c.closed) {
          c.closed = true;
          c.loop.context.runOnContext(v -> c.ws.close());
        }
      }
      pause(0.5);
    }
  }

  void shutdown() {
    if (vertx == null) {
      return;
    }
    try {
      closeClients();
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.println("bench: close: " + e);
    }
  }
}
