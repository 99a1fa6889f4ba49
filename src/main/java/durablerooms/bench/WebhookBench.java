package durablerooms.bench;

import durablerooms.cluster.WebhookSender;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Webhook throughput: this generator is the receiver (an HTTP server on 127.0.0.1:--hook-port, which
 * the node's ROOMS_WEBHOOK_URL names) and makes the events: --rooms new chat rooms at
 * --connect-rate, each joined by one member who leaves at once, so each room makes
 * {@code room.occupied} then {@code room.vacated}. The node delivers them one POST at a time; this
 * counts what arrives (distinct event ids, duplicates, per-room order, signatures with
 * --hook-secret) and reports the events delivered per second, over the whole run and over the
 * backlog left once every room was made.
 */
final class WebhookBench extends Scenarios.RoomScenario {
  /** No new event for this long: the node has delivered what it will. */
  private static final long QUIET_MS = 15_000;

  private final AtomicInteger made = new AtomicInteger();
  private final AtomicInteger notMade = new AtomicInteger();
  // the receiver's counts, guarded by this
  private final Set<String> ids = new HashSet<>();
  private final Map<String, String> lastTypeOfRoom = new HashMap<>();
  private final Histogram delay = new Histogram(Measurements.MAX_LATENCY_MICROS, 3);
  private int duplicates;
  private int outOfOrder;
  private int badSignatures;
  private int ours;
  private long firstAt;
  private long lastAt;
  private volatile int receivedAfterMade = -1;
  private long madeAt;

  WebhookBench(LoadGenerator g) {
    super(g);
  }

  @Override
  int run() throws Exception {
    HttpServer receiver = vertx.createHttpServer().requestHandler(this::onRequest);
    receiver.listen(opts.hookPort(), "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    log.printf(Locale.ROOT, "  receiving webhooks on http://127.0.0.1:%d/ (the node's ROOMS_WEBHOOK_URL)%n", opts.hookPort());
    try {
      for (int i = 0; i < opts.rooms(); i++) {
        int room = i;
        long at = Math.round(i * 1000 / opts.connectRate());
        vertx.runOnContext(v -> vertx.setTimer(Math.max(1, at), t -> occupyAndLeave(room)));
      }
      while (made.get() + notMade.get() < opts.rooms()) {
        LoadGenerator.pause(0.2);
      }
      onReceiver(() -> {
        madeAt = System.nanoTime();
        receivedAfterMade = ours;
      });
      int expected = 2 * made.get();
      long quietSince = System.nanoTime();
      int seen = -1;
      while (System.nanoTime() - quietSince < QUIET_MS * 1_000_000L) {
        LoadGenerator.pause(1);
        int now = onReceiver(() -> ours);
        log.printf(Locale.ROOT, "  %d of %d lifecycle webhooks received%n", now, expected);
        if (now >= expected && eachRoomVacated()) {
          break;
        }
        if (now != seen) {
          seen = now;
          quietSince = System.nanoTime();
        }
      }
    } finally {
      receiver.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    return 0;
  }

  /** Reads the receiver's counts, which its event loops write under the same lock. */
  private synchronized <T> T onReceiver(Supplier<T> read) {
    return read.get();
  }

  private void onReceiver(Runnable r) {
    onReceiver(() -> {
      r.run();
      return 0;
    });
  }

  private boolean eachRoomVacated() {
    return onReceiver(() -> lastTypeOfRoom.size() >= made.get()
        && lastTypeOfRoom.values().stream().allMatch("room.vacated"::equals));
  }

  private void occupyAndLeave(int room) {
    URI node = opts.urls().get(room % opts.urls().size());
    RoomSocket.open(client, node, "/chat/" + opts.roomName(room) + "?name=w" + room, f -> { })
        .compose(RoomSocket::close)
        .onSuccess(v -> made.incrementAndGet())
        .onFailure(err -> {
          if (notMade.incrementAndGet() <= 5) {
            log.println("  room " + opts.roomName(room) + " not made: " + err.getMessage());
          }
        });
  }

  private void onRequest(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      req.response().setStatusCode(204).end();
      record(body, req.getHeader("X-Rooms-Signature"));
    });
  }

  private synchronized void record(Buffer body, String signature) {
    long now = System.nanoTime();
    JsonObject hook = body.toJsonObject();
    String room = hook.getString("room", "");
    if (!room.startsWith(opts.roomPrefix() + "-")) {
      return; // another room's event: the node's other traffic
    }
    if (!opts.hookSecret().isEmpty() && !signedWell(body, signature)) {
      badSignatures++;
    }
    if (!ids.add(hook.getString("id", ""))) {
      duplicates++;
      return;
    }
    String type = hook.getString("type", "");
    String before = lastTypeOfRoom.put(room, type);
    if ("room.vacated".equals(type) && !"room.occupied".equals(before)
        || "room.occupied".equals(type) && before != null && !"room.vacated".equals(before)) {
      outOfOrder++;
    }
    if (!type.equals("room.occupied") && !type.equals("room.vacated")) {
      lastTypeOfRoom.put(room, before == null ? type : before); // hibernated, woken: not part of the pair
      return;
    }
    ours++;
    firstAt = firstAt == 0 ? now : firstAt;
    lastAt = now;
    long micros = (System.currentTimeMillis() - hook.getLong("ts", System.currentTimeMillis())) * 1000;
    delay.recordValue(Math.min(Math.max(0, micros), Measurements.MAX_LATENCY_MICROS));
  }

  private boolean signedWell(Buffer body, String signature) {
    String expected = "sha256=" + WebhookSender.sign(opts.hookSecret().getBytes(StandardCharsets.UTF_8), body.getBytes());
    return signature != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
        signature.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  String human() {
    return onReceiver(() -> String.format(Locale.ROOT, "webhooks: %d rooms made (%d not), %d of %d lifecycle webhooks "
            + "received, %d duplicate, %d out of order, %d badly signed%s; %.0f webhooks/s over the run, %.0f webhooks/s "
            + "draining the backlog of the last %d; delay from event to receipt p50 %.0f ms, p99 %.0f ms, max %.0f ms",
        made.get(), notMade.get(), ours, 2 * made.get(), duplicates, outOfOrder, badSignatures,
        opts.hookSecret().isEmpty() ? " (signatures not checked: no --hook-secret)" : "", perSec(firstAt, ours),
        perSec(madeAt, ours - receivedAfterMade), ours - receivedAfterMade, ms(50), ms(99), delay.getMaxValue() / 1000.0));
  }

  @Override
  JsonObject json() {
    return onReceiver(() -> new JsonObject().put("scenario", "webhooks").put("rooms", made.get())
        .put("notMade", notMade.get()).put("expected", 2 * made.get()).put("received", ours)
        .put("duplicates", duplicates).put("outOfOrder", outOfOrder).put("badSignatures", badSignatures)
        .put("perSecRun", StepResult.round(perSec(firstAt, ours)))
        .put("perSecBacklog", StepResult.round(perSec(madeAt, ours - receivedAfterMade)))
        .put("backlog", ours - receivedAfterMade).put("delayP50Ms", ms(50)).put("delayP99Ms", ms(99)));
  }

  private double perSec(long from, int events) {
    return from == 0 || lastAt <= from || events <= 0 ? 0 : events / ((lastAt - from) / 1e9);
  }

  private double ms(double percentile) {
    return StepResult.round(delay.getValueAtPercentile(percentile) / 1000.0);
  }
}
