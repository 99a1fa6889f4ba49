package durablerooms.cluster;

import durablerooms.metrics.RoomMetrics;
import durablerooms.storage.LogicArchive;
import durablerooms.storage.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Delivers the cluster's webhooks: on one node at a time (the oldest), one POST at a time, in the
 * order the outbox holds them (so in order per room), deleted once the receiver answered 2xx: a
 * page of them at a time (one store write per page, not per webhook), before the next page is read.
 * A failure is retried, the same webhook first, after 1 s doubling to 30 s: at least once, and a
 * receiver that stays down makes the outbox wait (it keeps ROOMS_WEBHOOK_MAX_PENDING at most). A
 * node that becomes the oldest after another died starts from the outbox's first row again: what
 * the dead node sent without deleting (at most a page) is sent again (each webhook's id tells a
 * receiver it has it).
 */
public final class WebhookSender {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);
  private static final int PAGE = 100;
  private static final long IDLE_POLL_MS = 200;
  private static final long MAX_BACKOFF_MS = 30_000;
  static final String SIGNATURE = "X-Rooms-Signature";
  static final String EVENT_ID = "X-Rooms-Event-Id";

  private final Vertx vertx;
  private final LogicArchive outbox;
  private final RequestOptions target;
  private final byte[] secret;
  private final BooleanSupplier leader;
  private final RoomMetrics metrics;
  private final HttpClient http;
  private boolean stopped;
  private long backoffMs;

  public WebhookSender(Vertx vertx, LogicArchive outbox, String url, String secret, BooleanSupplier leader,
                       RoomMetrics metrics) {
    this.vertx = vertx;
    this.outbox = outbox;
    this.target = new RequestOptions().setAbsoluteURI(url).setMethod(HttpMethod.POST).setTimeout(10_000)
        .putHeader("Content-Type", "application/json");
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
    this.leader = leader;
    this.metrics = metrics;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(5_000));
  }

  /** Starts the delivery loop (it idles on nodes that are not the oldest). */
  public void start() {
    vertx.runOnContext(v -> next());
  }

  public void stop() {
    stopped = true;
    http.close();
  }

  private void next() {
    if (stopped) {
      return;
    }
    if (!leader.getAsBoolean()) {
      metrics.webhooksPending(0);
      vertx.setTimer(IDLE_POLL_MS, t -> next());
      return;
    }
    Future.fromCompletionStage(outbox.hooks(0, PAGE), vertx.getOrCreateContext())
        .onFailure(err -> {
          LOG.warn("webhooks: the outbox cannot be read: {}", err.toString());
          vertx.setTimer(1000, t -> next());
        })
        .onSuccess(page -> {
          metrics.webhooksPending(page.pending());
          if (page.hooks().isEmpty()) {
            vertx.setTimer(IDLE_POLL_MS, t -> next());
          } else {
            send(page.hooks(), 0, 0);
          }
        });
  }

  /**
   * Sends {@code hooks} from index {@code i} on, one at a time; {@code deliveredUpTo} is the id of
   * the last one delivered and not yet deleted (0: none), deleted at the end of the page.
   */
  private void send(List<WebhookOutbox.Stored> hooks, int i, long deliveredUpTo) {
    if (stopped) {
      return;
    }
    if (i == hooks.size() || !leader.getAsBoolean()) {
      Future<Void> deleted = deliveredUpTo == 0 ? Future.succeededFuture()
          : Future.fromCompletionStage(outbox.delivered(deliveredUpTo), vertx.getOrCreateContext());
      deleted.onComplete(d -> next());
      return;
    }
    WebhookOutbox.Stored h = hooks.get(i);
    Buffer body = body(h);
    http.request(target)
        .compose(req -> req.putHeader(SIGNATURE, "sha256=" + sign(body)).putHeader(EVENT_ID, String.valueOf(h.id()))
            .send(body))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result() / 100 == 2) {
            backoffMs = 0;
            metrics.webhookDelivered();
            send(hooks, i + 1, h.id());
            return;
          }
          metrics.webhookFailed();
          backoffMs = backoffMs == 0 ? 1000 : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
          LOG.info("webhook {} ({} of room {}) not delivered ({}); again in {} ms", h.id(), h.type(), h.room(),
              ar.succeeded() ? "HTTP " + ar.result() : ar.cause().toString(), backoffMs);
          if (deliveredUpTo != 0) {
            outbox.delivered(deliveredUpTo); // before the wait: what the receiver has is not kept for a retry's length
          }
          vertx.setTimer(backoffMs, t -> send(hooks, i, 0));
        });
  }

  /** A webhook as it is POSTed. */
  static Buffer body(WebhookOutbox.Stored h) {
    return new JsonObject()
        .put("id", String.valueOf(h.id()))
        .put("type", h.type())
        .put("room", h.room())
        .put("ts", h.ts())
        .put("data", new JsonObject(h.data()))
        .toBuffer();
  }

  private String sign(Buffer body) {
    return sign(secret, body.getBytes());
  }

  /** The hex HMAC-SHA256 of {@code body} with {@code key}: what a receiver computes to check {@value #SIGNATURE}. */
  public static String sign(byte[] key, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }
}
