package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.RawHttp;
import durablerooms.support.TestCertificate;
import durablerooms.support.WsClient;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node given ROOMS_TLS_CERT and ROOMS_TLS_KEY: its HTTP port speaks https:// and wss://, and nothing in clear. */
class TlsTest {
  private static final TestCertificate CERT =
      TestCertificate.create(Path.of("target", "test-data", "tls-" + UUID.randomUUID()));
  private static final long HANDSHAKE_TIMEOUT_MS = 1000;
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(withHandshakeTimeout(CERT.settings()));

  private static Map<String, String> withHandshakeTimeout(Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put("ROOMS_HANDSHAKE_TIMEOUT_MS", String.valueOf(HANDSHAKE_TIMEOUT_MS));
    return all;
  }

  private static final HttpClient HTTPS = HttpClient.newBuilder().sslContext(CERT.sslContext()).build();

  private static String freshRoom() {
    return "tls-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTPS.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + NODE.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("https:// serves the chat page and /ready, and the node advertises its https:// address")
  void servesThePageAndReadinessOverHttps() throws Exception {
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<html"), "the chat page: " + page.body());
    assertEquals(200, get("/ready").statusCode());
    assertTrue(NODE.node().httpUrl().startsWith("https://"), NODE.node().httpUrl());
    assertTrue(get("/api/nodes").body().contains("\"https://127.0.0.1:" + NODE.port() + "\""),
        "other nodes' pages fall back to this one over https");
  }

  @Test
  @DisplayName("two clients that trust the certificate chat over wss://")
  void twoClientsChatOverWss() {
    String room = freshRoom();
    try (WsClient alice = WsClient.joinTls(NODE.client(), CERT.trustOptions(), NODE.port(), "/chat/" + room + "?name=alice");
         WsClient bob = WsClient.joinTls(NODE.client(), CERT.trustOptions(), NODE.port(), "/chat/" + room + "?name=bob")) {
      alice.send(new JsonObject().put("type", "message").put("message", "hello over TLS").put("id", "m1"));
      assertEquals("m1", alice.nextOfType("ACK").getString("id"));
      JsonObject msg = bob.nextOfType("MESSAGE");
      assertEquals("alice", msg.getString("user"));
      assertEquals("hello over TLS", msg.getString("message"));
      bob.say("and back");
      assertEquals("and back", alice.nextMatching(f -> "MESSAGE".equals(f.getString("type"))
          && "bob".equals(f.getString("user")), "bob's message").getString("message"));
    }
  }

  @Test
  @DisplayName("plain HTTP to the TLS port gets no HTTP answer: the connection is closed")
  void plainHttpGetsNoAnswer() throws IOException {
    try (Socket s = RawHttp.connect(NODE.port(), null)) {
      RawHttp.send(s, "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      String answer = readUntilClosed(s);
      assertFalse(answer.startsWith("HTTP/"), "no HTTP in clear: " + answer);
    }
  }

  @Test
  @DisplayName("a connection that never starts its TLS handshake is closed after ROOMS_HANDSHAKE_TIMEOUT_MS")
  void silentConnectionIsClosed() throws IOException {
    try (Socket s = RawHttp.connect(NODE.port(), null)) {
      // Vert.x's own TLS handshake timeout is 10 s: closed well before, it is the setting's
      assertTrue(RawHttp.closedWithin(s, HANDSHAKE_TIMEOUT_MS + 4000), "closed by the handshake timeout");
    }
  }

  @Test
  @DisplayName("a plain ws:// upgrade to the TLS port fails")
  void plainWebSocketFails() {
    WebSocketClient plain = NODE.client().createWebSocketClient();
    try {
      assertConnectFails(plain);
    } finally {
      plain.close();
    }
  }

  @Test
  @DisplayName("a wss:// client that does not trust the certificate is refused in the handshake")
  void untrustedCertificateIsRefused() {
    // the JDK's default trust store, which does not hold the self-signed certificate
    WebSocketClient untrusting = NODE.client().createWebSocketClient(new WebSocketClientOptions().setSsl(true));
    try {
      assertConnectFails(untrusting);
    } finally {
      untrusting.close();
    }
  }

  private static void assertConnectFails(WebSocketClient client) {
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(NODE.port()).setURI("/chat/" + freshRoom());
    assertThrows(ExecutionException.class, () -> client.connect(options).toCompletionStage().toCompletableFuture()
        .get(WsClient.TIMEOUT_MS, TimeUnit.MILLISECONDS));
  }

  /** What the server sends until it closes the connection (RawHttp's socket times out reads after 20 s). */
  private static String readUntilClosed(Socket s) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    try {
      for (int b = in.read(); b >= 0; b = in.read()) {
        got.write(b);
      }
    } catch (java.net.SocketException reset) {
      // a reset is a close too
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }
}
