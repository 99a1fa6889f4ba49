package durablerooms;

import durablerooms.support.WsClient;

import durablerooms.support.PluginJar;
import durablerooms.support.TestNodes;

import durablerooms.config.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Room types from the plugins folder: the hello example, built into a jar as its own project
 * would build it, is served beside chat; a jar whose type has an invalid or taken name stops the
 * node's start with a message that names it.
 */
@ExtendWith(VertxExtension.class)
class PluginTest {
  private static final Path EXAMPLE = Path.of("examples", "hello-room", "src", "main");

  @TempDir
  static Path work;
  private static Path helloJar;
  private static Node node;

  @BeforeAll
  static void startANodeWithTheHelloJar() throws IOException {
    Path plugins = Files.createDirectory(work.resolve("plugins"));
    helloJar = PluginJar.build(EXAMPLE.resolve("java"), EXAMPLE.resolve("resources"), work,
        plugins.resolve("hello-room.jar"));
    node = TestNodes.start(TestNodes.config(Map.of("ROOMS_PLUGINS_DIR", plugins.toString())));
  }

  @AfterAll
  static void stopTheNode() {
    TestNodes.stop(node);
  }

  @Test
  @DisplayName("the hello example's jar in the plugins folder is served beside chat, and listed by /api/types")
  void theHelloJarIsServed() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/api/types")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(new JsonObject().put("types", new JsonArray().add("chat").add("dashboard").add("hello").add("ledger").add("relay").add("tictactoe").add("whiteboard")), new JsonObject(r.body()));
  }

  @Test
  @DisplayName("a jar whose type's name is invalid stops the start: the message names the name, the rule, the class and the jar")
  void anInvalidNameStopsTheStart() throws IOException {
    Path plugins = Files.createDirectory(work.resolve("bad-name"));
    Path jar = PluginJar.namedType("BadName", "Bad Name", work, plugins.resolve("bad-name.jar"));
    String message = startFails(plugins);
    assertTrue(message.contains("'Bad Name'"), message);
    assertTrue(message.contains("[a-z][a-z0-9-]{0,31}"), message);
    assertTrue(message.contains("plugintest.BadName"), message);
    assertTrue(message.contains(jar.toAbsolutePath().toString()), message);
  }

  @Test
  @DisplayName("a jar whose type is named chat stops the start: the name is the built-in chat rooms'")
  void aTypeNamedChatStopsTheStart() throws IOException {
    Path plugins = Files.createDirectory(work.resolve("chat-again"));
    Path jar = PluginJar.namedType("ChatAgain", "chat", work, plugins.resolve("chat-again.jar"));
    String message = startFails(plugins);
    assertTrue(message.contains("'chat' is taken by the built-in chat rooms"), message);
    assertTrue(message.contains(jar.toAbsolutePath().toString()), message);
  }

  @Test
  @DisplayName("two jars with a type of the same name stop the start: the message names both")
  void twoTypesOfOneNameStopTheStart() throws IOException {
    Path plugins = Files.createDirectory(work.resolve("hello-twice"));
    Files.copy(helloJar, plugins.resolve("a-hello-room.jar"));
    PluginJar.namedType("HelloAgain", "hello", work, plugins.resolve("b-hello-again.jar"));
    String message = startFails(plugins);
    assertTrue(message.contains("'hello' is taken"), message);
    assertTrue(message.contains("plugintest.HelloAgain"), message);
    assertTrue(message.contains("durablerooms.examples.hello.HelloRoom"), message);
  }

  /** Starts a node on {@code plugins}, which must fail with a ConfigException; its message. */
  private static String startFails(Path plugins) {
    try {
      Node started = Node.start(TestNodes.config(Map.of("ROOMS_PLUGINS_DIR", plugins.toString())))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      TestNodes.stop(started);
      return fail("a node started with the plugins of " + plugins);
    } catch (ExecutionException e) {
      assertInstanceOf(ConfigException.class, e.getCause());
      return e.getCause().getMessage();
    } catch (Exception e) {
      throw new AssertionError("the start neither failed nor succeeded: " + e, e);
    }
  }

  // --- the hello room over WebSocket ---------------------------------------------------------------

  @Test
  @DisplayName("a hello room counts in one order with ACKs, rolls back a handler that throws, and keeps the count")
  void helloRoomOverWebSocket(Vertx vertx) {
    String room = "r1-" + UUID.randomUUID().toString().substring(0, 8);
    String path = "/rooms/hello/" + room;
    try (WsClient alice = WsClient.connect(vertx, node.httpPort(), path + "?name=alice&client=" + UUID.randomUUID())) {
      JsonObject presence = alice.next("PRESENCE");
      JsonObject hello = alice.nextOfType("hello");
      assertEquals(0L, hello.getLong("count"));
      assertEquals(presence.getJsonObject("you").getString("id"), hello.getString("you"));
      for (long n = 1; n <= 2; n++) {
        alice.send(new JsonObject().put("type", "increment").put("id", "inc-" + n));
        Map<String, JsonObject> got = nextOfEach(alice, "count", "ACK");
        JsonObject count = got.get("count");
        assertEquals(n, count.getLong("count"));
        assertEquals("alice", count.getString("by"));
        assertEquals(n, count.getLong("seq"), "published events are numbered from 1, in order");
        JsonObject ack = got.get("ACK");
        assertEquals("inc-" + n, ack.getString("id"));
        assertEquals(n, ack.getLong("seq"));
      }
      alice.send(new JsonObject().put("type", "fail").put("id", "boom"));
      JsonObject error = alice.nextOfType("ERROR");
      assertEquals("room_error", error.getString("code"));
      assertEquals("boom", error.getString("id"));
    }
    try (WsClient again = WsClient.connect(vertx, node.httpPort(), path)) {
      again.next("PRESENCE");
      assertEquals(2L, again.nextOfType("hello").getLong("count"), "the increments are stored, the failed write is not");
      again.send(new JsonObject().put("type", "increment").put("id", "inc-3"));
      JsonObject count = nextOfEach(again, "count", "ACK").get("count");
      assertEquals(3L, count.getLong("count"));
      assertEquals("someone", count.getString("by"), "a connection without a name");
      assertEquals(3L, count.getLong("seq"));
    }
  }

  /** The next frame of each of {@code types}, whatever their order, skipping frames of other types. */
  private static Map<String, JsonObject> nextOfEach(WsClient c, String... types) {
    Map<String, JsonObject> got = new HashMap<>();
    long deadline = System.currentTimeMillis() + WsClient.TIMEOUT_MS;
    while (got.size() < types.length) {
      long left = deadline - System.currentTimeMillis();
      JsonObject f = left > 0 ? c.poll(left) : null;
      if (f == null) {
        fail("not every one of " + String.join(", ", types) + " within " + WsClient.TIMEOUT_MS + " ms; saw " + c.seen);
      }
      for (String type : types) {
        if (type.equals(f.getString("type"))) {
          got.putIfAbsent(type, f);
        }
      }
    }
    return got;
  }
}
