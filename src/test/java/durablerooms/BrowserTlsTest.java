package durablerooms;

import durablerooms.support.ChatPage;
import durablerooms.support.TestCertificate;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat page loaded over https:// from a node with its own certificate: it connects with wss:// and chats. */
@Tag("browser")
class BrowserTlsTest {
  private static TestCertificate cert;
  private static Node node;
  private static String origin;
  private static CompletableFuture<ChatPage> startingAlice;
  private static ChatPage alice;

  @BeforeAll
  static void start() {
    // the certificate is self-signed: this browser accepts it as a user would after a warning
    startingAlice = ChatPage.startAsync("alice", "--ignore-certificate-errors");
    cert = TestCertificate.create(Path.of("target", "test-data", "browser-tls-" + UUID.randomUUID()));
    node = TestNodes.start(TestNodes.config(cert.settings()));
    origin = "https://127.0.0.1:" + node.httpPort();
    alice = ChatPage.await(startingAlice);
  }

  @AfterAll
  static void stop() {
    try {
      ChatPage.quit(startingAlice);
    } finally {
      TestNodes.stop(node);
    }
  }

  @AfterEach
  void noScriptErrors() {
    assertEquals(List.of(), alice.consoleErrors(), "alice's console: no script errors, no blocked content");
  }

  @Test
  @DisplayName("the page over https:// joins with wss:// and chats with a wss:// client")
  void pageOverHttpsChatsOverWss() {
    String room = "tls-" + UUID.randomUUID().toString().substring(0, 8);
    alice.recordSockets();
    alice.open(origin, "/#/room/" + room, "alice").waitLive();
    assertTrue(alice.driver.getCurrentUrl().startsWith(origin + "/"), alice.driver.getCurrentUrl());

    try (WsClient bob = WsClient.joinTls(node.vertx(), cert.trustOptions(), node.httpPort(), "/chat/" + room + "?name=bob")) {
      alice.waitUntil("alice sees bob in the room", () -> alice.presence().containsAll(List.of("alice", "bob")));
      bob.say("Hi Alice, over TLS");
      alice.waitUntil("alice gets bob's message", () -> alice.count("Hi Alice, over TLS") == 1);

      alice.send("Hi Bob");
      JsonObject msg = bob.nextMatching(f -> "MESSAGE".equals(f.getString("type"))
          && "alice".equals(f.getString("user")), "alice's message");
      assertEquals("Hi Bob", msg.getString("message"));
      alice.waitUntil("alice's message is acknowledged", alice::nonePending);
    }

    @SuppressWarnings("unchecked")
    List<String> sockets = (List<String>) alice.js("return window.__sockets.map(s => s.url)");
    assertFalse(sockets.isEmpty(), "the page opened a WebSocket");
    for (String url : sockets) {
      assertTrue(url.startsWith("wss://127.0.0.1:" + node.httpPort() + "/chat/" + room), "a wss:// socket: " + url);
    }
  }
}
