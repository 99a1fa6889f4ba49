package durablerooms.metrics;

import durablerooms.protocol.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The node's own metrics (all named {@code rooms_*}), one intention-named method per event. Every
 * meter is resolved once here, so a call on the message path is an add to a counter or a timer,
 * never a lookup; labels are bounded (an error code, a limit), never a room or a connection.
 */
public final class RoomMetrics {
  /** ACK latency and room processing buckets: sub-millisecond on one node, seconds when a node fails. */
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5)};

  private final PrometheusMeterRegistry registry;
  private final Counter activations;
  private final Counter wakeUps;
  private final Counter takeovers;
  private final Counter wokenFromMemory;
  private final Counter hibernations;
  private final Counter received;
  private final Counter delivered;
  private final Counter fanOut;
  private final Timer ackLatency;
  private final Timer processing;
  private final Map<ErrorCode, Counter> errors = new EnumMap<>(ErrorCode.class);
  private final Counter rateLimitedCloses;
  private final Counter slowReaderCloses;
  private final AtomicLong hibernated = new AtomicLong();
  private final Timer alarmLateness;
  private final AtomicLong webhooksPending = new AtomicLong();
  private final Counter webhooksDelivered;
  private final Counter webhooksFailed;
  private final Counter webhooksDropped;
  private final Counter alarmsDropped;

  public RoomMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    activations = counter("rooms.activations", "room activations on this node (first start, wake-up or takeover)");
    wakeUps = counter("rooms.wakeups", "activations of a room that had been active before (woke from hibernation or a restart)");
    wokenFromMemory = counter("rooms.wakeups.from.memory",
        "wake-ups that started from the state this node kept when the room slept, without reading it from the store");
    takeovers = counter("rooms.takeovers", "activations of a room whose previous owner left without releasing it");
    hibernations = counter("rooms.hibernations", "rooms put to sleep on this node after their idle timeout");
    received = counter("rooms.messages.received", "WebSocket messages received from clients by this node");
    delivered = counter("rooms.messages.delivered", "frames written to this node's client sockets from room deliveries");
    fanOut = counter("rooms.fanout.deliveries", "event-bus deliveries from rooms received by this node (one per node per broadcast)");
    ackLatency = timer("rooms.ack.latency",
        "from a chat message reaching the gateway to the room having stored and sent it (when its ACK goes out)");
    processing = timer("rooms.room.processing",
        "from a command reaching the room host to its output being released (activation and state write included)");
    for (ErrorCode code : ErrorCode.values()) {
      errors.put(code, Counter.builder("rooms.errors").description("ERROR frames sent to clients, by code")
          .tag("code", code.wire()).register(registry));
    }
    alarmLateness = timer("rooms.alarms.lateness", "from an alarm's time to its handler running (alarms that ran)");
    alarmsDropped = counter("rooms.alarms.dropped", "alarms dropped after their handler failed on every retry");
    webhooksDelivered = counter("rooms.webhooks.delivered", "webhooks the receiver accepted (2xx), from this node");
    webhooksFailed = counter("rooms.webhooks.failed", "webhook deliveries that failed and will be retried, from this node");
    webhooksDropped = counter("rooms.webhooks.dropped", "webhooks dropped because more than ROOMS_WEBHOOK_MAX_PENDING waited");
    Gauge.builder("rooms.webhooks.pending", webhooksPending, AtomicLong::get)
        .description("webhooks waiting to be delivered, as the delivering node last read them (0 on the others)")
        .register(registry);
    rateLimitedCloses = closes("rate_limited");
    slowReaderCloses = closes("slow_reader");
    Gauge.builder("rooms.hibernated", hibernated, AtomicLong::get)
        .description("rooms of the cluster known to the store and not active on any node (refreshed periodically)")
        .register(registry);
  }

  /** The registry every metric of the node lives in (Vert.x's as well), scraped at GET /metrics. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** An alarm's handler ran (and committed), {@code lateMs} after its time. */
  public void alarmFired(long lateMs) {
    alarmLateness.record(Math.max(0, lateMs), TimeUnit.MILLISECONDS);
  }

  public void webhooksPending(long n) {
    webhooksPending.set(n);
  }

  public void webhookDelivered() {
    webhooksDelivered.increment();
  }

  public void webhookFailed() {
    webhooksFailed.increment();
  }

  public void webhooksDropped(int n) {
    webhooksDropped.increment(n);
  }

  public void alarmDropped() {
    alarmsDropped.increment();
  }

  /** Gauges read on each scrape: the state kept of rooms that sleep on this node (ROOMS_WAKE_CACHE_MB). */
  public void observeSleeping(LongSupplier bytes, IntSupplier rooms) {
    Gauge.builder("rooms.sleeping.kept.bytes", bytes::getAsLong)
        .description("bytes of the state of sleeping rooms this node keeps in memory for their next wake, as counted")
        .register(registry);
    Gauge.builder("rooms.sleeping.kept", rooms::getAsInt)
        .description("sleeping rooms whose state this node keeps in memory for their next wake").register(registry);
  }

  /** Gauges read on each scrape: the node's open sockets, its active rooms, the nodes of the cluster. */
  public void observe(IntSupplier connectionsOpen, IntSupplier roomsActive, IntSupplier clusterNodes) {
    Gauge.builder("rooms.connections.open", connectionsOpen::getAsInt)
        .description("WebSocket connections open on this node").register(registry);
    Gauge.builder("rooms.active", roomsActive::getAsInt)
        .description("rooms active (with a verticle) on this node").register(registry);
    Gauge.builder("rooms.cluster.nodes", clusterNodes::getAsInt)
        .description("nodes in the cluster as this node sees it").register(registry);
  }

  /** A room started on this node; {@code wokeUp} if it had been active before, {@code takenOver} from a node that left. */
  public void roomActivated(boolean wokeUp, boolean takenOver) {
    activations.increment();
    if (wokeUp) {
      wakeUps.increment();
    }
    if (takenOver) {
      takeovers.increment();
    }
  }

  /** A room woke from the state this node kept of it (ROOMS_WAKE_CACHE_MB). */
  public void roomWokenFromMemory() {
    wokenFromMemory.increment();
  }

  public void roomHibernated() {
    hibernations.increment();
  }

  /** The cluster's sleeping rooms, as last counted. */
  public void hibernatedRooms(long count) {
    hibernated.set(count);
  }

  public void messageReceived() {
    received.increment();
  }

  /** One delivery from a room reached this node's sockets: {@code frames} were written. */
  public void deliveredToSockets(int frames) {
    fanOut.increment();
    if (frames > 0) {
      delivered.increment(frames);
    }
  }

  /** A chat message that reached the gateway at {@code receivedNanos} (System.nanoTime) was stored and sent. */
  public void messageAcked(long receivedNanos) {
    ackLatency.record(System.nanoTime() - receivedNanos, TimeUnit.NANOSECONDS);
  }

  /** A command the host received at {@code startedNanos} has been processed by its room. */
  public void roomCommandProcessed(long startedNanos) {
    processing.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
  }

  public void errorSent(ErrorCode code) {
    errors.get(code).increment();
  }

  /** A client was closed because it kept sending faster than its rate limit. */
  public void rateLimitedClose() {
    rateLimitedCloses.increment();
  }

  /** A client was closed because it did not read its frames fast enough. */
  public void slowReaderClose() {
    slowReaderCloses.increment();
  }

  private Counter counter(String name, String description) {
    return Counter.builder(name).description(description).register(registry);
  }

  private Counter closes(String limit) {
    return Counter.builder("rooms.limit.closes").description("clients closed by a limit, by limit")
        .tag("limit", limit).register(registry);
  }

  private Timer timer(String name, String description) {
    return Timer.builder(name).description(description)
        .serviceLevelObjectives(BUCKETS)
        .minimumExpectedValue(BUCKETS[0])
        .maximumExpectedValue(BUCKETS[BUCKETS.length - 1])
        .register(registry);
  }
}
