package durablerooms;

import durablerooms.support.WsClient;

import durablerooms.support.NodeProcess;
import durablerooms.support.TestNodes;

import durablerooms.cluster.WebhookSender;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Webhooks stored while the receiver is down survive the kill -9 of the node that sends them: the
 * next oldest node delivers every one, in order, once the receiver is back.
 */
@Tag("cluster")
@Tag("process")
@ExtendWith(VertxExtension.class)
class WebhookFailoverTest {
  private static final String SECRET = "webhook-secret-0123456789";
  private static final int EVENTS = 20;
  private final List<NodeProcess> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() {
    processes.forEach(NodeProcess::close);
  }

  @Test
  @DisplayName("kill -9 of the node that sends webhooks while the receiver fails: every webhook arrives later, in order, signed")
  void webhooksOutliveTheSender(Vertx vertx) throws Exception {
    AtomicBoolean up = new AtomicBoolean(false);
    AtomicInteger badSignatures = new AtomicInteger();
    List<JsonObject> accepted = new CopyOnWriteArrayList<>();
    HttpServer receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      String expected = "sha256=" + WebhookSender.sign(SECRET.getBytes(StandardCharsets.UTF_8), body.getBytes());
      if (!expected.equals(req.getHeader("X-Rooms-Signature"))) {
        badSignatures.incrementAndGet();
      }
      if (!up.get()) {
        req.response().setStatusCode(500).end();
        return;
      }
      accepted.add(body.toJsonObject());
      req.response().setStatusCode(200).end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    String cluster = "hooks-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    List<Map<String, String>> envs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      envs.add(TestNodes.settings(cluster, clusterPort, Map.of(
          "ROOMS_WEBHOOK_URL", "http://127.0.0.1:" + receiver.actualPort() + "/",
          "ROOMS_WEBHOOK_SECRET", SECRET, "ROOMS_REQUEST_TIMEOUT_MS", "3000")));
    }
    NodeProcess sender = NodeProcess.start(cluster.substring(6, 14) + "-sender", envs.get(0));
    processes.add(sender);
    sender.awaitReady(); // first: the oldest, which sends the webhooks
    NodeProcess other = NodeProcess.start(cluster.substring(6, 14) + "-other", envs.get(1));
    processes.add(other);
    other.awaitReady();
    TestNodes.eventually(30_000, "two nodes in one cluster", () -> sender.nodesSeen() == 2 && other.nodesSeen() == 2);

    String room = "feed-" + UUID.randomUUID().toString().substring(0, 8);
    try (WsClient c = WsClient.connect(vertx, other.httpPort, "/rooms/ledger/" + room + "?client=k")) {
      c.next("PRESENCE");
      for (int i = 1; i <= EVENTS; i++) {
        c.send(new JsonObject().put("op", "emit").put("event", new JsonObject().put("n", i)).put("id", "e" + i));
        c.nextOfType("ACK"); // committed: its webhook is stored
      }
      sender.kill();
      up.set(true);
      TestNodes.eventually(60_000, "every emitted event delivered by the surviving node",
          () -> accepted.stream().filter(h -> h.getString("room").endsWith(room)
              && "room.emitted".equals(h.getString("type"))).map(h -> h.getString("id")).distinct().count() == EVENTS);
    }
    Map<String, Integer> firstSeen = new LinkedHashMap<>();
    for (JsonObject h : accepted) {
      if (h.getString("room").endsWith(room) && "room.emitted".equals(h.getString("type"))) {
        firstSeen.putIfAbsent(h.getString("id"), h.getJsonObject("data").getInteger("n"));
      }
    }
    List<Integer> order = new ArrayList<>(firstSeen.values());
    List<Integer> expected = new ArrayList<>();
    for (int i = 1; i <= EVENTS; i++) {
      expected.add(i);
    }
    assertEquals(expected, order, "in the order they were emitted, none lost");
    assertEquals(0, badSignatures.get());
    receiver.close();
  }
}
