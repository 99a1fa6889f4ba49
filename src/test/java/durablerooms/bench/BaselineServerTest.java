package durablerooms.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The benchmarks' baseline server, started in this JVM: it speaks the seed protocol the load generator expects. */
class BaselineServerTest {
  private static final long TIMEOUT_MS = 10_000;
  private static Vertx vertx;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    port = BaselineServer.deploy(vertx, 0, 1).toCompletionStage().toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  @Test
  void aMessageIsRelayedToTheOtherMembersOfItsRoomOnly() throws Exception {
    Member alice = new Member("/chat/relay");
    Member bob = new Member("/chat/relay");
    Member carol = new Member("/chat/elsewhere");
    Member dave = new Member("/chat/elsewhere");
    try {
      relay(alice, bob, carol, dave);
    } finally {
      for (Member m : new Member[] {alice, bob, carol, dave}) {
        m.close();
      }
    }
  }

  private static void relay(Member alice, Member bob, Member carol, Member dave) throws Exception {
    for (Member m : new Member[] {alice, bob, carol, dave}) {
      assertEquals(new JsonObject(BaselineServer.WELCOME), m.next(), "the seed's welcome frame comes first");
    }

    alice.say("hi");
    assertEquals(new JsonObject().put("type", "MESSAGE").put("user", "Anonymous").put("message", "hi"), bob.next());
    bob.say("hello");
    assertEquals("hello", alice.next().getString("message"), "the sender does not get its own message back");
    dave.say("other room");
    assertEquals("other room", carol.next().getString("message"), "another room's members get none of it");
  }

  /** A WebSocket client that queues the frames it receives. */
  private static final class Member {
    private final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    private final WebSocketClient client;
    private final ClientWebSocket ws;

    Member(String uri, String... subProtocols) throws Exception {
      client = vertx.createWebSocketClient();
      ws = client.webSocket();
      ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
      WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri);
      for (String p : subProtocols) {
        options.addSubProtocol(p);
      }
      ws.connect(options).toCompletionStage().toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Closes the socket and its client: a server that stops waits for its open WebSockets (up to
     * its shutdown timeout), so the test leaves none open.
     */
    void close() throws Exception {
      ws.close().compose(v -> client.close()).toCompletionStage().toCompletableFuture()
          .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    void say(String text) {
      ws.writeTextMessage(new JsonObject().put("message", text).encode());
    }

    JsonObject next() throws InterruptedException {
      JsonObject f = frames.poll(TIMEOUT_MS, TimeUnit.MILLISECONDS);
      assertNotNull(f, "no frame within " + TIMEOUT_MS + " ms");
      return f;
    }
  }
}
