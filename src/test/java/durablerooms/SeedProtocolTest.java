package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.RawWs;
import durablerooms.support.WsClient;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The protocol is chosen by WebSocket subprotocol: the full one, the seed's, or a refusal. */
@ExtendWith(VertxExtension.class)
class SeedProtocolTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of());

  private static String room() {
    return "seed-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  @DisplayName("a client that asks only for unknown subprotocols gets HTTP 400 with a reason, before any upgrade")
  void unknownSubprotocol() throws Exception {
    RawWs.Upgrade u = RawWs.upgrade(NODE.port(), "/chat/" + room(), Map.of("Sec-WebSocket-Protocol", "mqtt, wamp"));
    assertEquals(400, u.status());
    assertNull(u.ws());
  }

  @Test
  @DisplayName("the full protocol's subprotocol is echoed, also when offered beside others")
  void fullProtocolEchoed() throws Exception {
    RawWs.Upgrade u = RawWs.upgrade(NODE.port(), "/chat/" + room(), Map.of("Sec-WebSocket-Protocol", "wamp, durable-rooms.v1"));
    try (RawWs ws = u.ws()) {
      assertEquals(101, u.status());
      assertEquals("durable-rooms.v1", u.header("Sec-WebSocket-Protocol"));
      ws.nextOfType("PRESENCE");
    }
  }

  @Test
  @DisplayName("a seed client (no subprotocol) gets only SYSTEM and MESSAGE frames: the welcome, others' messages, joins and leaves as text")
  void seedClientGetsSystemAndMessageOnly(Vertx vertx) throws Exception {
    String room = room();
    RawWs.Upgrade u = RawWs.upgrade(NODE.port(), "/chat/" + room, Map.of("Sec-WebSocket-Protocol", ""));
    assertNull(u.header("Sec-WebSocket-Protocol"), "no subprotocol chosen");
    List<JsonObject> got = new ArrayList<>();
    try (RawWs seed = u.ws()) {
      assertEquals("Welcome to the chat room!", seed.nextJson().getString("message"));
      try (WsClient bob = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=Bob")) {
        bob.say("hello seed", "b1");
        bob.nextOfType("ACK");
        seed.sendText("{\"message\":\"hello Bob\"}");
        assertEquals("hello Bob", bob.nextOfType("MESSAGE").getString("message"));
        seed.sendText("{\"type\":\"ping\"}"); // no PONG for a seed client
        seed.sendText("not json"); // its error comes as a SYSTEM line
        // the error and Bob's frames reach the seed by different paths (its own socket, the
        // room): the error is read before Bob goes on, so their order is fixed
        readUntil(seed, got, f -> f.getString("message", "").startsWith("Error: "));
        bob.send(new JsonObject().put("type", "typing"));
        bob.say("the last one", "b2");
        bob.nextOfType("ACK");
      }
      readUntil(seed, got, f -> f.getString("message", "").equals("Bob left"));
      assertTrue(got.stream().allMatch(f -> f.getString("type").equals("SYSTEM") || f.getString("type").equals("MESSAGE")),
          got.toString());
      List<String> texts = got.stream().map(f -> f.getString("type").equals("MESSAGE")
          ? f.getString("user") + ": " + f.getString("message") : f.getString("message")).toList();
      assertEquals(1, texts.stream().filter(t -> t.startsWith("Error: ")).count(), texts.toString());
      assertEquals(List.of("Bob joined", "Bob: hello seed", "Bob: the last one", "Bob left"),
          texts.stream().filter(t -> !t.startsWith("Error: ")).toList());
    }
  }

  private static void readUntil(RawWs ws, List<JsonObject> got, Predicate<JsonObject> last) throws Exception {
    while (true) {
      JsonObject f = ws.nextJson();
      got.add(f);
      if (last.test(f)) {
        return;
      }
    }
  }
}
