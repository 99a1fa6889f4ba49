package durablerooms.bench;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * What a sleeping room costs, on one node: --rooms chat rooms, each made by one member who sends
 * --messages messages and leaves; once all sleep, the server's heap after a full GC (with --pid: it
 * asks {@code jcmd PID GC.run}) and RSS give the bytes per hibernated room. Then
 * --idle-connections members join the first rooms and stay, silent (the rooms sleep again, the
 * connections stay): bytes per idle connection. Then the first --awake of those rooms are woken
 * by a message each (send to ACK: the wake time) and kept awake for --duration seconds by a message
 * every 2 s, and the heap is read once more. Run it at 200 rooms and at 100,000 to compare the wake.
 */
final class CapacityBench extends Scenarios.RoomScenario {
  private static final int MAX_IN_FLIGHT = 64; // under the node's 100 connections per IP still in their handshake
  private static final double KEEP_AWAKE_EVERY_SEC = 2;

  private final URI node;
  private final Histogram wake = new Histogram(Measurements.MAX_LATENCY_MICROS, 3);
  private final List<RoomSocket> idle = new ArrayList<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final JsonObject result = new JsonObject().put("scenario", "capacity");

  CapacityBench(LoadGenerator g) {
    super(g);
    this.node = opts.urls().get(0);
  }

  @Override
  int run() throws Exception {
    int rooms = opts.rooms();
    int connections = Math.min(opts.idleConnections(), rooms);
    int awake = Math.min(opts.awakeRooms(), connections);
    Reading base = read("before");
    paced("making rooms", rooms, this::makeRoom);
    awaitAsleep();
    Reading made = read("rooms asleep");
    paced("idle connections", connections, this::connectIdle);
    awaitAsleep();
    Reading withConnections = read("rooms asleep with idle connections");
    long t0 = System.nanoTime();
    paced("waking rooms", awake, this::wakeOne);
    double keepFor = opts.durationSec();
    while ((System.nanoTime() - t0) / 1e9 < keepFor) {
      LoadGenerator.pause(KEEP_AWAKE_EVERY_SEC);
      for (int i = 0; i < awake; i++) {
        RoomSocket s = idle.get(i);
        s.request(message("keep awake")); // on the socket's own loop (see RoomSocket.request)
      }
    }
    Reading awakeReading = read("with rooms awake");
    boolean healthy = healthy();
    result.put("rooms", rooms).put("messagesPerRoom", opts.messages()).put("idleConnections", connections)
        .put("awakeRooms", awake).put("failures", failures.get()).put("serverHealthyAtEnd", healthy)
        .put("heapBeforeMB", base.heap >> 20).put("heapRoomsAsleepMB", made.heap >> 20)
        .put("heapWithConnectionsMB", withConnections.heap >> 20).put("heapWithAwakeMB", awakeReading.heap >> 20)
        .put("heapPerRoomBytes", per(made.heap - base.heap, rooms))
        .put("heapPerConnectionBytes", per(withConnections.heap - made.heap, connections))
        .put("rssPerRoomBytes", per(made.rss - base.rss, rooms))
        .put("rssPerConnectionBytes", per(withConnections.rss - made.rss, connections))
        .put("afterFullGc", !opts.pids().isEmpty())
        .put("wakeP50Ms", ms(50)).put("wakeP99Ms", ms(99)).put("wakeMaxMs", wake.getMaxValue() / 1000.0);
    return healthy ? 0 : 1;
  }

  /** Runs {@code start} for 0..n-1 at --connect-rate, at most {@value #MAX_IN_FLIGHT} rooms at a time. */
  private void paced(String what, int n, IntFunction<Future<?>> start) {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    long begin = System.nanoTime();
    long lastLog = begin;
    for (int i = 0; i < n; i++) {
      long due = begin + Math.round(i * 1e9 / opts.connectRate());
      while (System.nanoTime() < due || inFlight.get() >= MAX_IN_FLIGHT) {
        LoadGenerator.pause(0.001);
      }
      inFlight.incrementAndGet();
      int k = i;
      vertx.runOnContext(v -> start.apply(k).onComplete(ar -> {
        if (ar.failed() && failures.incrementAndGet() <= 5) {
          log.println("  " + what + " " + k + ": " + ar.cause().getMessage());
        }
        inFlight.decrementAndGet();
        done.incrementAndGet();
      }));
      if (System.nanoTime() - lastLog > 5e9) {
        lastLog = System.nanoTime();
        log.printf(Locale.ROOT, "  %s: %d of %d%n", what, done.get(), n);
      }
    }
    while (done.get() < n) {
      LoadGenerator.pause(0.05);
    }
    log.printf(Locale.ROOT, "  %s: %d done in %.0f s, %d failed so far%n", what, n, (System.nanoTime() - begin) / 1e9,
        failures.get());
  }

  /** One room: a member joins, sends its messages one after the other (each ACKed), and leaves. */
  private Future<?> makeRoom(int room) {
    return RoomSocket.open(client, node, path(room, "m"), f -> { }).compose(s -> {
      Future<Void> sent = Future.succeededFuture();
      for (int m = 0; m < opts.messages(); m++) {
        String text = "message " + m + " of room " + room;
        sent = sent.compose(v -> s.request(message(text)));
      }
      return sent.eventually(s::close);
    });
  }

  private Future<?> connectIdle(int room) {
    return RoomSocket.open(client, node, path(room, "i"), f -> { }).onSuccess(s -> {
      synchronized (idle) {
        idle.add(s); // in the order they joined: the first --awake of them are woken
      }
    });
  }

  /** A message into a sleeping room: the time to its ACK is the room's wake and first commit. */
  private Future<?> wakeOne(int i) {
    RoomSocket s;
    synchronized (idle) {
      s = idle.get(i);
    }
    long start = System.nanoTime();
    return s.request(message("wake up")).onSuccess(v -> {
      synchronized (wake) {
        wake.recordValue(Math.min((System.nanoTime() - start) / 1000, Measurements.MAX_LATENCY_MICROS));
      }
    });
  }

  private String path(int room, String who) {
    return "/chat/" + opts.roomName(room) + "?name=" + who + room;
  }

  private static JsonObject message(String text) {
    return new JsonObject().put("type", "message").put("message", text);
  }

  /** Waits until the node reports no active room (its idle timeout should be short: e.g. 5 s). */
  private void awaitAsleep() throws Exception {
    long deadline = System.nanoTime() + Math.round(opts.hibernateTimeoutSec() * 1e9);
    double active;
    while ((active = metric("rooms_active")) > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(Math.round(active) + " rooms still active after --hibernate-timeout; "
            + "start the node with a short ROOMS_IDLE_TIMEOUT_MS (e.g. 5000)");
      }
      log.printf(Locale.ROOT, "  waiting for the rooms to sleep: %d active%n", Math.round(active));
      LoadGenerator.pause(2);
    }
  }

  private record Reading(long heap, long rss) {}

  /** The server's heap in use (after a full GC when --pid names it) and RSS. */
  private Reading read(String label) throws Exception {
    if (!opts.pids().isEmpty()) {
      for (int i = 0; i < 2; i++) { // the second collects what the first's finalisation released
        new ProcessBuilder("jcmd", String.valueOf(opts.pids().get(0)), "GC.run").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
      }
    }
    long heap = Math.round(metric("jvm_memory_used_bytes{area=\"heap\""));
    long rss = ProcStats.serverRss(opts.pids());
    log.printf(Locale.ROOT, "  %s: heap %d MB, RSS %d MB%n", label, heap >> 20, rss >> 20);
    return new Reading(heap, rss);
  }

  /** The sum of the node's /metrics samples whose line starts with {@code prefix}. */
  private double metric(String prefix) throws Exception {
    HttpClient http = vertx.createHttpClient();
    try {
      String text = http.request(HttpMethod.GET, node.getPort(), node.getHost(), "/metrics")
          .compose(req -> req.send().compose(resp -> resp.body())).map(Buffer::toString)
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      double sum = 0;
      for (String line : text.split("\n")) {
        if (line.startsWith(prefix) && (line.charAt(prefix.length()) == ' ' || line.charAt(prefix.length()) == '{'
            || prefix.endsWith("\""))) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    } finally {
      http.close();
    }
  }

  private boolean healthy() {
    try {
      return metric("rooms_active") >= 0;
    } catch (Exception e) {
      return false;
    }
  }

  private static long per(long bytes, int n) {
    return n == 0 ? 0 : bytes / n;
  }

  private double ms(double percentile) {
    synchronized (wake) {
      return StepResult.round(wake.getValueAtPercentile(percentile) / 1000.0);
    }
  }

  @Override
  String human() {
    return String.format(Locale.ROOT, "capacity: %d rooms asleep (%d messages each): heap %,d bytes and RSS %,d bytes "
            + "per room%s; %d idle connections: heap %,d bytes, RSS %,d bytes each; %d rooms woken: send to ACK p50 %.2f ms, "
            + "p99 %.2f ms, max %.2f ms; heap %d MB with them awake; %d failures; node %s at the end",
        result.getInteger("rooms"), result.getInteger("messagesPerRoom"), result.getLong("heapPerRoomBytes"),
        result.getLong("rssPerRoomBytes"), result.getBoolean("afterFullGc") ? " (after a full GC)" : " (no --pid: no GC forced)",
        result.getInteger("idleConnections"), result.getLong("heapPerConnectionBytes"),
        result.getLong("rssPerConnectionBytes"), result.getInteger("awakeRooms"), result.getDouble("wakeP50Ms"),
        result.getDouble("wakeP99Ms"), result.getDouble("wakeMaxMs"), result.getLong("heapWithAwakeMB"),
        result.getInteger("failures"), result.getBoolean("serverHealthyAtEnd") ? "healthy" : "NOT answering");
  }

  @Override
  JsonObject json() {
    return result;
  }

  /** Closes the idle connections. */
  @Override
  void close() throws Exception {
    List<Future<Void>> closing = new ArrayList<>();
    synchronized (idle) {
      idle.forEach(s -> closing.add(s.close()));
    }
    Future.join(closing).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
