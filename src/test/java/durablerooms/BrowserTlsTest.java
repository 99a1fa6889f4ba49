package durablerooms;

import durablerooms.support.BrowserNode;
import durablerooms.support.ChatPage;
import durablerooms.support.TestCertificate;
import durablerooms.support.WsClient;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat page loaded over https:// from a node with its own certificate: it connects with wss:// and chats. */
@Tag("browser")
class BrowserTlsTest {
  private static final TestCertificate CERT =
      TestCertificate.create(Path.of("target", "test-data", "browser-tls-" + UUID.randomUUID()));
  // the certificate is self-signed: this browser accepts it as a user would after a warning
  @RegisterExtension
  static final BrowserNode BROWSERS = BrowserNode.with(CERT.settings(), "alice")
      .chromiumArguments("--ignore-certificate-errors").https();
  private final ChatPage alice = BROWSERS.page("alice");
  private final String origin = BROWSERS.origin();
  private final Node node = BROWSERS.node();

  @Test
  @DisplayName("the page over https:// joins with wss:// and chats with a wss:// client")
  void pageOverHttpsChatsOverWss() {
    String room = "tls-" + UUID.randomUUID().toString().substring(0, 8);
    alice.recordSockets();
    alice.open(origin, "/#/room/" + room, "alice").waitLive();
    assertTrue(alice.driver.getCurrentUrl().startsWith(origin + "/"), alice.driver.getCurrentUrl());

    try (WsClient bob = WsClient.joinTls(node.vertx(), CERT.trustOptions(), node.httpPort(), "/chat/" + room + "?name=bob")) {
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
