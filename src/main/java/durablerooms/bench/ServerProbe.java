package durablerooms.bench;

import durablerooms.bench.BenchOptions.Protocol;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static durablerooms.bench.LoadGenerator.SEC;
import static durablerooms.bench.LoadGenerator.pause;

/** What the generator asks the servers over HTTP: which protocol they speak, and which of the run's rooms are active. */
final class ServerProbe {
  private final Vertx vertx;
  private final BenchOptions opts;
  private final PrintStream log;

  ServerProbe(Vertx vertx, BenchOptions opts, PrintStream log) {
    this.vertx = vertx;
    this.opts = opts;
    this.log = log;
  }

  /** As the generator's WebSocket client: a TLS node on loopback is trusted whatever its certificate. */
  private static HttpClientOptions clientOptions() {
    return new HttpClientOptions().setTrustAll(true).setVerifyHost(false);
  }

  /** The node's protocol: --protocol if given, else ROOMS if it answers GET /health with 200. */
  Protocol detect(URI url) {
    if (opts.protocol() != Protocol.AUTO) {
      return opts.protocol();
    }
    // the first TLS handshake of a fresh JVM is slow: 2.3 s once on a loaded 2-core machine, where
    // a probe that gave up at 2 s took a TLS node for a seed server
    int timeoutMs = BenchOptions.tls(url) ? 10_000 : 2000;
    HttpClient http = vertx.createHttpClient(clientOptions().setConnectTimeout(timeoutMs));
    try {
      int status = http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(url.getHost())
              .setPort(url.getPort()).setSsl(BenchOptions.tls(url)).setURI("/health").setTimeout(timeoutMs))
          .compose(req -> req.send().map(resp -> resp.statusCode()))
          .toCompletionStage().toCompletableFuture().get(timeoutMs + 1000, TimeUnit.MILLISECONDS);
      return status == 200 ? Protocol.ROOMS : Protocol.SEED;
    } catch (Exception e) {
      return Protocol.SEED;
    } finally {
      http.close();
    }
  }

  /**
   * Polls GET /ready on every node, every 50 ms, until each answers and none with 503 (a node of
   * Durable Rooms that is not ready; a minimal server has no /ready and answers otherwise).
   */
  boolean awaitReady(double timeoutSec) {
    long deadline = System.nanoTime() + Math.round(timeoutSec * SEC);
    HttpClient http = vertx.createHttpClient(clientOptions().setConnectTimeout(1000));
    try {
      for (URI u : opts.urls()) {
        while (true) {
          try {
            int status = http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(u.getHost())
                    .setPort(u.getPort()).setSsl(BenchOptions.tls(u)).setURI("/ready").setTimeout(2000))
                .compose(req -> req.send().map(resp -> resp.statusCode()))
                .toCompletionStage().toCompletableFuture().get(3, TimeUnit.SECONDS);
            if (status != 503) {
              log.printf(Locale.ROOT, "  %s is ready%n", u);
              break;
            }
          } catch (Exception notYet) {
            // not listening yet
          }
          if (System.nanoTime() > deadline) {
            log.printf(Locale.ROOT, "bench: %s was not ready within %s s%n", u, StepResult.fmt(timeoutSec));
            return false;
          }
          pause(0.05);
        }
      }
      return true;
    } finally {
      http.close();
    }
  }

  /** Polls GET /api/rooms on the first node until none of this run's rooms is active. */
  boolean awaitHibernation() throws Exception {
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
  long activeRooms() throws Exception {
    URI u = opts.urls().get(0);
    HttpClient http = vertx.createHttpClient(clientOptions());
    String prefix = opts.roomPrefix() + "-";
    try {
      long active = 0;
      String after = prefix;
      while (after != null) {
        String path = "/api/rooms?limit=1000&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8);
        JsonObject body = http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(u.getHost())
                .setPort(u.getPort()).setSsl(BenchOptions.tls(u)).setURI(path))
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
}
