package durablerooms;

import durablerooms.support.TestNodes;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A load balancer takes a stopping node out of rotation: /ready says DOWN from the first moment of a stop. */
class ReadinessTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("/ready turns 503 DOWN as soon as the node starts to stop, while /health still answers 200")
  void readyTurnsDownWhileStopping() throws Exception {
    Node node = TestNodes.start(TestNodes.config(Map.of()));
    int port = node.httpPort();
    Future<Void> closing = null;
    // a client that never reads: the stop waits for its close handshake (it is cut off after
    // 2 s), so the node is observably stopping for that long
    try (Socket deaf = new Socket("127.0.0.1", port)) {
      upgrade(deaf, port, "/chat/ready-" + System.nanoTime() + "?name=deaf");
      TestNodes.eventually(10_000, "the socket is registered", () -> node.connections().count() == 1);
      assertEquals(200, get(port, "/ready").statusCode());

      long started = System.nanoTime();
      closing = node.close();
      // asked at once, as a load balancer's next probe would: the HTTP server still answers
      HttpResponse<String> ready = get(port, "/ready");
      HttpResponse<String> health = get(port, "/health");
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertFalse(closing.isComplete(), "the node was still stopping (probes took " + tookMs + " ms)");
      assertEquals(503, ready.statusCode(), ready.body());
      JsonObject body = new JsonObject(ready.body());
      assertEquals("DOWN", body.getString("status"));
      assertTrue(body.getJsonArray("checks").stream()
          .map(JsonObject.class::cast)
          .anyMatch(c -> "serving".equals(c.getString("id")) && "DOWN".equals(c.getString("status"))), body.encode());
      assertEquals(200, health.statusCode(), "the process is still alive");
    } finally {
      (closing == null ? node.close() : closing).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** A WebSocket handshake by hand; the socket is then never read again. */
  private static void upgrade(Socket s, int port, String uri) throws IOException {
    String key = Base64.getEncoder().encodeToString("ready-test-key!!".getBytes(StandardCharsets.US_ASCII));
    OutputStream out = s.getOutputStream();
    out.write(("GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed during the handshake: " + head);
      }
      head.append((char) b);
    }
    assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
  }
}
