package durablerooms;

import durablerooms.support.PrometheusText;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import durablerooms.support.NodeExtension;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator sees of a running node: /metrics in Prometheus text, and the health probes. */
@ExtendWith(VertxExtension.class)
class OperationsTest {
  private static final long IDLE_MS = 700;
  private static final List<String> ROOM_METRICS = List.of(
      "rooms_connections_open", "rooms_active", "rooms_hibernated", "rooms_cluster_nodes",
      "rooms_activations_total", "rooms_wakeups_total", "rooms_takeovers_total", "rooms_hibernations_total",
      "rooms_messages_received_total", "rooms_messages_delivered_total", "rooms_fanout_deliveries_total",
      "rooms_ack_latency_seconds_bucket", "rooms_room_processing_seconds_bucket",
      "rooms_errors_total", "rooms_limit_closes_total");
  private static final List<String> VERTX_METRICS = List.of(
      "vertx_http_server_requests_total", "vertx_http_server_active_ws_connections",
      "vertx_eventbus_processed_total", "vertx_pool_in_use", "jvm_memory_used_bytes");
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_IDLE_TIMEOUT_MS", String.valueOf(IDLE_MS)));

  private final HttpClient http = HttpClient.newHttpClient();

  private static String freshRoom() {
    return "ops-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + NODE.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private PrometheusText scrape() {
    try {
      HttpResponse<String> r = get("/metrics");
      assertEquals(200, r.statusCode());
      return PrometheusText.parse(r.body());
    } catch (Exception e) {
      throw new AssertionError("scrape failed: " + e, e);
    }
  }

  @Test
  @DisplayName("/metrics is Prometheus text with Vert.x's metrics and every rooms_ metric, and no room in a label")
  void metricsAreInThePrometheusTextFormat(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient c = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=watcher")) {
      c.say("counted", "m1");
      c.nextOfType("ACK");
      HttpResponse<String> r = get("/metrics");
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"),
          r.headers().firstValue("content-type").orElse("(none)"));
      PrometheusText text = PrometheusText.parse(r.body());
      for (String name : ROOM_METRICS) {
        assertTrue(text.has(name), "exposes " + name);
      }
      for (String name : VERTX_METRICS) {
        assertTrue(text.has(name), "exposes " + name);
      }
      assertTrue(text.lines.contains("# TYPE rooms_ack_latency_seconds histogram"), "ACK latency is a histogram");
      assertTrue(text.has("rooms_errors_total{code=\"bad_json\"}"), "errors are counted by code");
      assertFalse(r.body().contains(room), "no room name in any label");
      assertEquals(1.0, text.value("rooms_cluster_nodes"));
      assertTrue(text.value("rooms_connections_open") >= 1);
      assertTrue(text.value("rooms_active") >= 1);
    }
  }

  @Test
  @DisplayName("the message counters and the ACK latency histogram move when messages flow")
  void countersMoveWithMessages(Vertx vertx) {
    String room = freshRoom();
    PrometheusText before = scrape();
    int n = 5;
    try (WsClient alice = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=alice");
         WsClient bob = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=bob")) {
      for (int i = 1; i <= n; i++) {
        alice.say("hello " + i, "id-" + i);
      }
      for (int i = 1; i <= n; i++) {
        alice.nextOfType("ACK");
        bob.nextOfType("MESSAGE");
      }
      TestNodes.eventually(5_000, "every ACK timed", () ->
          scrape().value("rooms_ack_latency_seconds_count") - before.value("rooms_ack_latency_seconds_count") >= n);
      PrometheusText after = scrape();
      assertTrue(delta(before, after, "rooms_messages_received_total") >= n, "received");
      // to bob: n messages; to alice: n ACKs; plus welcome-time presence frames
      assertTrue(delta(before, after, "rooms_messages_delivered_total") >= 2 * n, "delivered");
      assertTrue(delta(before, after, "rooms_fanout_deliveries_total") >= 2 * n, "one delivery per node per output");
      assertTrue(delta(before, after, "rooms_room_processing_seconds_count") >= n + 2, "commands processed");
      assertTrue(delta(before, after, "rooms_activations_total") >= 1, "the fresh room was activated");
      assertTrue(after.value("rooms_connections_open") >= 2, "two sockets open");
      assertTrue(after.value("rooms_ack_latency_seconds_sum") > before.value("rooms_ack_latency_seconds_sum"));
    }
  }

  @Test
  @DisplayName("hibernation and the next wake-up are counted")
  void hibernationAndWakeUpAreCounted(Vertx vertx) {
    String room = freshRoom();
    try (WsClient alice = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=alice")) {
      alice.say("before sleep", "s1");
      alice.nextOfType("ACK");
      PrometheusText awake = scrape();
      TestNodes.eventually(IDLE_MS * 10, "the room hibernates", () -> !NODE.node().host().isActive(room));
      TestNodes.eventually(5_000, "hibernation counted",
          () -> delta(awake, scrape(), "rooms_hibernations_total") >= 1);
      PrometheusText asleep = scrape();
      alice.say("wake up", "s2");
      alice.nextOfType("ACK");
      PrometheusText woken = scrape();
      assertTrue(delta(asleep, woken, "rooms_activations_total") >= 1, "activated again");
      assertTrue(delta(asleep, woken, "rooms_wakeups_total") >= 1, "counted as a wake-up");
    }
  }

  @Test
  @DisplayName("an ERROR frame is counted under its code")
  void errorsAreCountedByCode(Vertx vertx) {
    String series = "rooms_errors_total{code=\"bad_json\"}";
    PrometheusText before = scrape();
    try (WsClient c = WsClient.join(vertx, NODE.port(), "/chat/" + freshRoom() + "?name=clumsy")) {
      c.sendText("{not json");
      assertEquals("bad_json", c.nextOfType("ERROR").getString("code"));
    }
    assertEquals(1.0, delta(before, scrape(), series), 0.0);
  }

  @Test
  @DisplayName("a flooding client closed with 1008 is counted as a rate-limited close, its refusals as rate_limited errors")
  void rateLimitedCloseIsCounted(Vertx vertx) {
    PrometheusText before = scrape();
    try (WsClient flooder = WsClient.join(vertx, NODE.port(), "/chat/" + freshRoom() + "?name=flooder")) {
      for (int i = 0; i < 200; i++) {
        flooder.say("flood " + i);
      }
      TestNodes.eventually(WsClient.TIMEOUT_MS, "the flooder is closed", () -> flooder.closeCode != null);
      assertEquals((short) 1008, flooder.closeCode);
    }
    PrometheusText after = scrape();
    assertEquals(1.0, delta(before, after, "rooms_limit_closes_total{limit=\"rate_limited\"}"), 0.0);
    assertEquals(0.0, delta(before, after, "rooms_limit_closes_total{limit=\"slow_reader\"}"), 0.0);
    assertTrue(delta(before, after, "rooms_errors_total{code=\"rate_limited\"}") >= 20, "the error budget was spent");
  }

  @Test
  @DisplayName("/health and /ready answer in vertx-health-check's shape")
  void probes() throws Exception {
    HttpResponse<String> health = get("/health");
    assertEquals(200, health.statusCode());
    assertEquals("UP", new JsonObject(health.body()).getString("status"));
    HttpResponse<String> ready = get("/ready");
    assertEquals(200, ready.statusCode());
    JsonObject body = new JsonObject(ready.body());
    assertEquals("UP", body.getString("status"));
    assertEquals(2, body.getJsonArray("checks").size(), body.encode());
    JsonObject cluster = body.getJsonArray("checks").getJsonObject(0);
    assertEquals("cluster", cluster.getString("id"));
    assertEquals(1, cluster.getJsonObject("data").getInteger("nodes"));
  }

  private static double delta(PrometheusText before, PrometheusText after, String series) {
    return after.value(series) - before.value(series);
  }
}
