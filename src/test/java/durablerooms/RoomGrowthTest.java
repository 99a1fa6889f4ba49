package durablerooms;

import durablerooms.support.RawWs;
import durablerooms.support.WsClient;

import durablerooms.support.TestNodes;

import com.hazelcast.core.HazelcastInstance;
import durablerooms.cluster.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Room names cost nothing unless written in, are listed a page at a time, and each address may create only so many. */
@ExtendWith(VertxExtension.class)
class RoomGrowthTest {
  private static final int NEW_ROOMS_PER_MIN = 4;
  private static Node node;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startNode() {
    node = TestNodes.start(TestNodes.config(Map.of(
        "ROOMS_IDLE_TIMEOUT_MS", "300",
        "ROOMS_NEW_ROOMS_PER_MIN", String.valueOf(NEW_ROOMS_PER_MIN))));
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
  @DisplayName("a room joined and left without a message leaves no lease, member set or store row once asleep")
  void silentRoomLeavesNothing(Vertx vertx) throws Exception {
    String room = freshRoom("silent");
    try (WsClient a = WsClient.join(vertx, node.httpPort(), "/chat/" + room + "?name=ann")) {
      assertTrue(node.host().knows(room));
    }
    TestNodes.eventually(10_000, "the room is asleep", () -> !node.host().knows(room));
    HazelcastInstance hz = node.hazelcast();
    assertFalse(hz.getMap(Addresses.OWNERS_MAP).containsKey(room), "lease entry");
    assertFalse(hz.getMap(Addresses.MEMBERS_MAP).containsKey(room), "member set");
    assertEquals(404, get("/api/rooms/" + room).statusCode(), "no store row: a room never seen");

    try (WsClient b = WsClient.join(vertx, node.httpPort(), "/chat/" + room + "?name=bob")) {
      b.say("now it has a message", "m1");
      assertEquals(1, b.nextOfType("ACK").getLong("seq"), "the room starts afresh");
    }
    TestNodes.eventually(10_000, "the room is asleep", () -> !node.host().knows(room));
    assertEquals(200, get("/api/rooms/" + room).statusCode(), "a room written in is kept");
  }

  @Test
  @DisplayName("GET /api/rooms answers a page at a time, in name order, with a cursor to the next page")
  void roomListIsPaged(Vertx vertx) throws Exception {
    String prefix = "page" + UUID.randomUUID().toString().substring(0, 6);
    List<String> rooms = List.of(prefix + "-a", prefix + "-b", prefix + "-c");
    List<RawWs> members = new ArrayList<>();
    try {
      for (String r : rooms) { // from their own addresses: the budget of new rooms is per address
        members.add(RawWs.open(RawWs.tcp(node.httpPort(), "127.0.0." + (10 + members.size()), 0), "/chat/" + r));
      }
      JsonObject first = new JsonObject(get("/api/rooms?limit=2&after=" + prefix).body());
      JsonArray page = first.getJsonArray("rooms");
      assertEquals(2, page.size(), first.encode());
      assertEquals(rooms.get(0), page.getJsonObject(0).getString("room"));
      assertEquals(rooms.get(1), page.getJsonObject(1).getString("room"));
      assertEquals(rooms.get(1), first.getString("next"));
      JsonObject second = new JsonObject(get("/api/rooms?limit=2&after=" + first.getString("next")).body());
      assertEquals(rooms.get(2), second.getJsonArray("rooms").getJsonObject(0).getString("room"), second.encode());

      JsonObject all = new JsonObject(get("/api/rooms").body());
      assertTrue(all.getJsonArray("rooms").size() <= 100, "a default page size");
      assertEquals(400, get("/api/rooms?limit=100000").statusCode(), "over the largest page");
      assertEquals(400, get("/api/rooms?limit=0").statusCode());
    } finally {
      members.forEach(RawWs::close);
    }
  }

  @Test
  @DisplayName("an address that opens more new rooms than ROOMS_NEW_ROOMS_PER_MIN gets HTTP 429 with Retry-After; rooms that exist still open")
  void newRoomsPerAddressAreLimited(Vertx vertx) throws Exception {
    String ip = "127.0.0." + (100 + (int) (Math.random() * 100)); // a budget of its own
    List<RawWs> open = new ArrayList<>();
    try {
      for (int i = 0; i < NEW_ROOMS_PER_MIN; i++) {
        open.add(RawWs.open(RawWs.tcp(node.httpPort(), ip, 0), "/chat/" + freshRoom("budget")));
      }
      RawWs.Upgrade refused = RawWs.upgrade(RawWs.tcp(node.httpPort(), ip, 0), "/chat/" + freshRoom("budget"), Map.of());
      assertEquals(429, refused.status(), refused.head());
      assertNotNull(refused.header("Retry-After"), refused.head());
      assertTrue(Integer.parseInt(refused.header("Retry-After")) >= 1, refused.head());

      String existing = freshRoom("existing");
      try (WsClient a = WsClient.join(vertx, node.httpPort(), "/chat/" + existing)) {
        RawWs.Upgrade again = RawWs.upgrade(RawWs.tcp(node.httpPort(), ip, 0), "/chat/" + existing, Map.of());
        assertEquals(101, again.status(), "a room that exists is not new: " + again.head());
        again.ws().close();
      }
    } finally {
      open.forEach(RawWs::close);
    }
  }
}
