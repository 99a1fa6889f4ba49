package durablerooms.metrics;

import durablerooms.protocol.ErrorCode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoomMetricsTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final RoomMetrics metrics = new RoomMetrics(registry);

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  @Test
  void aDeliveryIsOneFanOutAndAsManyFramesAsSocketsWritten() {
    metrics.deliveredToSockets(3);
    metrics.deliveredToSockets(0);
    assertEquals(2, count("rooms.fanout.deliveries"));
    assertEquals(3, count("rooms.messages.delivered"));
  }

  @Test
  void activationsCountWakeUpsAndTakeoversSeparately() {
    metrics.roomActivated(false, false);
    metrics.roomActivated(true, false);
    metrics.roomActivated(true, true);
    assertEquals(3, count("rooms.activations"));
    assertEquals(2, count("rooms.wakeups"));
    assertEquals(1, count("rooms.takeovers"));
  }

  @Test
  void errorsAndLimitClosesHaveOneSeriesPerCodeOrLimitFromTheStart() {
    assertEquals(ErrorCode.values().length, registry.find("rooms.errors").counters().size());
    metrics.errorSent(ErrorCode.RATE_LIMITED);
    assertEquals(1, count("rooms.errors", "code", "rate_limited"));
    assertEquals(0, count("rooms.errors", "code", "bad_json"));
    metrics.rateLimitedClose();
    metrics.slowReaderClose();
    metrics.slowReaderClose();
    assertEquals(1, count("rooms.limit.closes", "limit", "rate_limited"));
    assertEquals(2, count("rooms.limit.closes", "limit", "slow_reader"));
  }

  @Test
  void gaugesReadTheirSourceAtScrapeTime() {
    int[] open = {2};
    metrics.observe(() -> open[0], () -> 1, () -> 3);
    metrics.hibernatedRooms(7);
    open[0] = 5;
    assertEquals(5, registry.get("rooms.connections.open").gauge().value());
    assertEquals(7, registry.get("rooms.hibernated").gauge().value());
    assertEquals(3, registry.get("rooms.cluster.nodes").gauge().value());
  }

  @Test
  void latenciesAreHistogramsInSeconds() {
    metrics.messageAcked(System.nanoTime() - 3_000_000);
    String scrape = registry.scrape();
    assertTrue(scrape.contains("# TYPE rooms_ack_latency_seconds histogram"), scrape);
    assertTrue(scrape.contains("rooms_ack_latency_seconds_bucket{le=\"0.001\"} 0"), scrape);
    assertTrue(scrape.contains("rooms_ack_latency_seconds_bucket{le=\"+Inf\"} 1"), scrape);
  }
}
