package durablerooms;

import com.hazelcast.core.HazelcastInstance;
import durablerooms.cluster.Addresses;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Room names cost nothing unless written in. */
@ExtendWith(VertxExtension.class)
class RoomGrowthTest {
  private static Node node;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startNode() {
    node = TestNodes.start(TestNodes.config(Map.of("ROOMS_IDLE_TIMEOUT_MS", "300")));
  }

  @AfterAll
  static void stopNode() {
    TestNodes.stop(node);
  }

  private static String freshRoom(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("a room joined and left without a message leaves no lease, state, member set or store row once asleep")
  void silentRoomLeavesNothing(Vertx vertx) throws Exception {
    String room = freshRoom("silent");
    try (WsClient a = WsClient.join(vertx, node.httpPort(), "/chat/" + room + "?name=ann")) {
      assertTrue(node.host().knows(room));
    }
    TestNodes.eventually(10_000, "the room is asleep", () -> !node.host().knows(room));
    HazelcastInstance hz = node.hazelcast();
    assertFalse(hz.getMap(Addresses.OWNERS_MAP).containsKey(room), "lease entry");
    assertFalse(hz.getMap(Addresses.STATE_MAP).containsKey(room), "state entry");
    assertFalse(hz.getMap(Addresses.MEMBERS_MAP).containsKey(room), "member set");
    assertEquals(404, get("/api/rooms/" + room).statusCode(), "no store row: a room never seen");

    try (WsClient b = WsClient.join(vertx, node.httpPort(), "/chat/" + room + "?name=bob")) {
      b.say("now it has a message", "m1");
      assertEquals(1, b.nextOfType("ACK").getLong("seq"), "the room starts afresh");
    }
    TestNodes.eventually(10_000, "the room is asleep", () -> !node.host().knows(room));
    assertEquals(200, get("/api/rooms/" + room).statusCode(), "a room written in is kept");
  }
}
