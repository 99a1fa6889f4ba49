package durablerooms;

import durablerooms.support.WsClient;

import durablerooms.support.TestNodes;

import durablerooms.cluster.WebhookSender;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Webhooks to a real HTTP receiver that fails its first calls: a room's lifecycle and emitted
 * events arrive signed, each once accepted, in order, after the retries.
 */
class WebhookTest {
  private static final String SECRET = "webhook-secret-0123456789";
  private static Vertx vertx;
  private static HttpServer receiver;
  private static final List<JsonObject> accepted = new CopyOnWriteArrayList<>();
  private static final AtomicInteger calls = new AtomicInteger();
  private static final AtomicInteger badSignatures = new AtomicInteger();
  private static final int FAIL_FIRST = 3;
  private static Node node;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      String expected = "sha256=" + WebhookSender.sign(SECRET.getBytes(StandardCharsets.UTF_8), body.getBytes());
      if (!expected.equals(req.getHeader("X-Rooms-Signature"))) {
        badSignatures.incrementAndGet();
      }
      if (calls.incrementAndGet() <= FAIL_FIRST) {
        req.response().setStatusCode(503).end();
        return;
      }
      JsonObject hook = body.toJsonObject();
      assertEquals(hook.getString("id"), req.getHeader("X-Rooms-Event-Id"));
      accepted.add(hook);
      req.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    node = TestNodes.start(TestNodes.config(Map.of(
        "ROOMS_WEBHOOK_URL", "http://127.0.0.1:" + receiver.actualPort() + "/hooks",
        "ROOMS_WEBHOOK_SECRET", SECRET,
        "ROOMS_IDLE_TIMEOUT_MS", "500")));
  }

  @AfterAll
  static void stop() {
    TestNodes.stop(node);
    vertx.close();
  }

  private static List<JsonObject> of(String room) {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject h : accepted) {
      if (room.equals(h.getString("room"))) {
        out.add(h);
      }
    }
    return out;
  }

  @Test
  void aRoomsLifecycleAndEmittedEventsArriveSignedInOrderDespiteFailures() {
    String room = "ledger/hooked";
    try (WsClient a = WsClient.connect(vertx, node.httpPort(), "/rooms/ledger/hooked?client=w")) {
      a.next("PRESENCE");
      for (int i = 1; i <= 3; i++) {
        a.send(new JsonObject().put("op", "emit").put("event", new JsonObject().put("n", i)).put("id", "e" + i));
        a.nextOfType("ACK");
      }
      a.send(new JsonObject().put("op", "fail").put("id", "f")); // rolled back: nothing of it is sent
      a.nextOfType("ERROR");
    }
    TestNodes.eventually(30_000, "the room is vacated, sleeps, and its webhooks are delivered",
        () -> of(room).stream().anyMatch(h -> "room.hibernated".equals(h.getString("type"))));
    List<String> types = of(room).stream().map(h -> h.getString("type")).toList();
    assertEquals(List.of("room.occupied", "room.emitted", "room.emitted", "room.emitted", "room.vacated",
        "room.hibernated"), types);
    List<Integer> emitted = of(room).stream().filter(h -> "room.emitted".equals(h.getString("type")))
        .map(h -> h.getJsonObject("data").getInteger("n")).toList();
    assertEquals(List.of(1, 2, 3), emitted);
    assertEquals(0, badSignatures.get(), "every webhook is signed with the secret");
    assertTrue(calls.get() >= accepted.size() + FAIL_FIRST, "the first calls failed and were retried");
    Set<String> ids = new HashSet<>();
    accepted.forEach(h -> assertTrue(ids.add(h.getString("id")), "a webhook accepted twice: " + h));
    assertEquals(1, of(room).get(0).getJsonObject("data").getInteger("members"));
    assertEquals("ledger", of(room).get(0).getJsonObject("data").getString("type"));

    // a chat room's lifecycle goes out too
    try (WsClient c = WsClient.join(vertx, node.httpPort(), "/chat/hooked-chat?name=x")) {
      c.say("hi", "m1");
      c.nextOfType("ACK");
    }
    TestNodes.eventually(30_000, "the chat room's webhooks", () -> of("hooked-chat").size() >= 2);
    assertEquals(List.of("room.occupied", "room.vacated"),
        of("hooked-chat").stream().limit(2).map(h -> h.getString("type")).toList());
  }
}
