package durablerooms.bench;

import durablerooms.bench.BenchOptions.Protocol;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;

import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static durablerooms.bench.LoadGenerator.SEC;
import static durablerooms.bench.LoadGenerator.pause;

/**
 * The clients of one run (rooms x members), spread over the nodes and over the generator's event
 * loops: connected at --connect-rate, given their schedule for each step, closed at the end.
 */
final class Fleet {
  private final BenchOptions opts;
  private final PrintStream log;
  private final Vertx vertx;
  private final WebSocketClient wsClient;
  private final Map<URI, Protocol> protocols;
  private final Measurements measurements;
  private SendLoop[] loops;
  private BenchClient[] clients;

  Fleet(BenchOptions opts, PrintStream log, Vertx vertx, WebSocketClient wsClient, Map<URI, Protocol> protocols) {
    this.opts = opts;
    this.log = log;
    this.vertx = vertx;
    this.wsClient = wsClient;
    this.protocols = protocols;
    this.measurements = new Measurements(opts.rooms());
  }

  Measurements measurements() {
    return measurements;
  }

  /** Connects every client, at --connect-rate; false if none could join. */
  boolean connectAll() {
    Measurements m = measurements;
    int n = opts.clients();
    loops = new SendLoop[opts.threads()];
    List<Context> contexts = eventLoops(opts.threads());
    for (int i = 0; i < loops.length; i++) {
      loops[i] = new SendLoop(vertx, contexts.get(i), m.issued);
    }
    clients = new BenchClient[n];
    for (int i = 0; i < n; i++) {
      URI url = opts.urls().get(i % opts.urls().size());
      clients[i] = new BenchClient(i, url, protocols.get(url), loops[i % loops.length], opts, wsClient, m, log);
      clients[i].loop.clients.add(clients[i]);
    }
    for (SendLoop l : loops) {
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
      BenchClient c = clients[i];
      c.loop.context.runOnContext(v -> c.connect());
      if (now - lastProgress >= SEC) {
        lastProgress = now;
        log.printf(Locale.ROOT, "  connecting: %d started, %d joined, %d failed%n", i + 1, m.joined.sum(),
            m.connectFailures.sum());
      }
    }
    long deadline = System.nanoTime() + 30 * SEC;
    while (m.joined.sum() + m.connectFailures.sum() < n && System.nanoTime() < deadline) {
      pause(0.05);
    }
    log.printf(Locale.ROOT, "  connected: %d joined, %d failed in %.1f s; connect->joined p50 %.2f ms p99 %.2f ms%n",
        m.joined.sum(), m.connectFailures.sum(), (System.nanoTime() - start) / 1e9, m.connectMs(50),
        m.connectMs(99));
    if (m.joined.sum() == 0) {
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
    List<Context> contexts = Collections.synchronizedList(new ArrayList<>());
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

  int size() {
    return clients.length;
  }

  /** Hands each client its schedule of {@code plan} on its loop; returns how many messages they plan in all. */
  long plan(Plan plan, long start, long end, double rate) {
    long planned = 0;
    List<Schedule> schedules = new ArrayList<>(clients.length);
    for (BenchClient c : clients) {
      Schedule s = plan.of(c, start, end, rate);
      schedules.add(s);
      if (s != null) {
        planned += s.total();
      }
    }
    for (SendLoop l : loops) {
      List<Schedule> mine = new ArrayList<>();
      for (BenchClient c : l.clients) {
        mine.add(schedules.get(c.index));
      }
      l.context.runOnContext(v -> l.plan(mine));
    }
    return planned;
  }

  /** Stops every loop's sending (the end of a step). */
  void stopSending() {
    for (SendLoop l : loops) {
      l.context.runOnContext(v -> l.plan(null));
    }
  }

  long closedCount() {
    long n = 0;
    for (BenchClient c : clients) {
      if (c.closed) {
        n++;
      }
    }
    return n;
  }

  /** Closes every client's socket and gives the closes half a second to go out. */
  void close() {
    if (clients != null) {
      for (BenchClient c : clients) {
        if (c != null) {
          c.close();
        }
      }
      pause(0.5);
    }
  }
}
