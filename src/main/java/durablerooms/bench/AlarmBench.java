package durablerooms.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Alarm lateness, end to end: --rooms tic-tac-toe games (two players each, opened at
 * --connect-rate games/s) whose first player never moves, with a turn time of --turn-seconds. Each
 * game's clock is the room's alarm; when it fires the room publishes {@code timeout}. Lateness is the
 * time from the game's deadline (the server's clock, in the game) to the player's receipt of that
 * event (this machine's clock: the targets are loopback only, so it is the same clock). It counts
 * the room's wake when the room slept (a server idle timeout shorter than the turn time), the
 * alarm scan, the handler's commit and the delivery.
 */
final class AlarmBench extends Scenarios.RoomScenario {
  /** How long after the last deadline a game's timeout still counts as arrived (later: missing). */
  private static final long GRACE_MS = 15_000;

  private final Histogram lateness = new Histogram(Measurements.MAX_LATENCY_MICROS, 3);
  private final AtomicInteger armed = new AtomicInteger();
  private final AtomicInteger fired = new AtomicInteger();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final List<RoomSocket> sockets = new ArrayList<>();

  AlarmBench(LoadGenerator g) {
    super(g);
  }

  @Override
  int run() throws Exception {
    long start = System.nanoTime();
    for (int i = 0; i < opts.rooms(); i++) {
      int game = i;
      long at = Math.round(i * 1000 / opts.connectRate());
      vertx.runOnContext(v -> vertx.setTimer(Math.max(1, at), t -> open(game)));
    }
    long lastDeadline = System.currentTimeMillis() + Math.round(opts.rooms() * 1000 / opts.connectRate())
        + opts.turnSeconds() * 1000L;
    while (fired.get() < opts.rooms() - failures.sum() && System.currentTimeMillis() < lastDeadline + GRACE_MS) {
      LoadGenerator.pause(0.5);
      log.printf(Locale.ROOT, "  %.0f s: %d games armed, %d timed out, %d failed%n", (System.nanoTime() - start) / 1e9,
          armed.get(), fired.get(), failures.sum());
    }
    LoadGenerator.pause(1); // a second timeout of a game would come now
    closeAll();
    return 0;
  }

  /** One game: X joins and sits with the turn time, O joins and sits (the clock starts), then nobody moves. */
  private void open(int game) {
    String room = opts.roomName(game);
    long[] deadline = {0};
    boolean[] seen = {false};
    URI node = opts.urls().get(game % opts.urls().size());
    Future<RoomSocket> x = RoomSocket.open(client, node, path(room, "x"), f -> {
      if ("sat".equals(f.getString("type")) && "O".equals(f.getString("seat"))) {
        deadline[0] = f.getJsonObject("game").getLong("deadline", 0L);
      } else if ("timeout".equals(f.getString("type"))) {
        timedOut(deadline[0], seen);
      }
    });
    x.compose(xs -> xs.request(new JsonObject().put("type", "sit").put("turnSeconds", opts.turnSeconds())))
        .compose(v -> RoomSocket.open(client, node, path(room, "o"), f -> { }))
        .compose(os -> {
          synchronized (sockets) {
            sockets.add(x.result());
            sockets.add(os);
          }
          return os.request(new JsonObject().put("type", "sit"));
        })
        .onSuccess(v -> armed.incrementAndGet())
        .onFailure(err -> {
          failures.increment();
          if (failures.sum() <= 5) {
            log.println("  game " + room + " not armed: " + err.getMessage());
          }
        });
  }

  private void timedOut(long deadline, boolean[] seen) {
    if (seen[0]) {
      duplicates.increment();
      return;
    }
    seen[0] = true;
    long micros = ChronoUnit.MICROS.between(Instant.ofEpochMilli(deadline), Instant.now());
    synchronized (lateness) {
      lateness.recordValue(Math.min(Math.max(0, micros), Measurements.MAX_LATENCY_MICROS));
    }
    fired.incrementAndGet();
  }

  private static String path(String room, String seat) {
    return "/rooms/tictactoe/" + room + "?name=" + seat + "&client=" + room + "-" + seat;
  }

  private void closeAll() throws Exception {
    List<Future<Void>> closing = new ArrayList<>();
    synchronized (sockets) {
      sockets.forEach(s -> closing.add(s.close()));
    }
    Future.join(closing).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The summary line and its JSON. */
  @Override
  String human() {
    synchronized (lateness) {
      return String.format(Locale.ROOT, "alarms: %d games armed (turn %d s), %d timed out, %d missing, %d duplicate, "
              + "%d not armed; lateness p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
          armed.get(), opts.turnSeconds(), fired.get(), missing(), duplicates.sum(), failures.sum(),
          ms(50), ms(90), ms(99), lateness.getMaxValue() / 1000.0);
    }
  }

  @Override
  JsonObject json() {
    synchronized (lateness) {
      return new JsonObject().put("scenario", "alarms").put("games", opts.rooms()).put("armed", armed.get())
          .put("turnSeconds", opts.turnSeconds()).put("timedOut", fired.get()).put("missing", missing())
          .put("duplicates", duplicates.sum()).put("notArmed", failures.sum())
          .put("p50Ms", ms(50)).put("p90Ms", ms(90)).put("p99Ms", ms(99)).put("maxMs", lateness.getMaxValue() / 1000.0);
    }
  }

  private long missing() {
    return Math.max(0, armed.get() - fired.get());
  }

  private double ms(double percentile) {
    return StepResult.round(lateness.getValueAtPercentile(percentile) / 1000.0);
  }
}
