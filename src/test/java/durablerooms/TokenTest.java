package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.RawWs;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Private rooms' tokens: what their claims admit, how long a socket lives, whose message ids they guard. */
@ExtendWith(VertxExtension.class)
class TokenTest {
  private static final String SECRET = "token-test-secret-0123456789-abcdefghijklmnop";
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_PRIVATE_ROOMS", "team-.*", "ROOMS_JWT_SECRET", SECRET));

  private static String team() {
    return "team-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String signed(Vertx vertx, JsonObject claims) {
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm("HS256"));
  }

  private static long inSeconds(long s) {
    return System.currentTimeMillis() / 1000 + s;
  }

  private static int upgradeStatus(String path) throws Exception {
    RawWs.Upgrade u = RawWs.upgrade(NODE.port(), path, Map.of());
    if (u.ws() != null) {
      u.ws().close();
    }
    return u.status();
  }

  @Test
  @DisplayName("a token's room claim is an exact name: a token for team-a.b does not admit team-aXb; roomPattern is the claim for patterns")
  void roomClaimIsExact(Vertx vertx) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String dotted = signed(vertx, new JsonObject().put("room", "team-a.b" + suffix).put("name", "ann").put("exp", inSeconds(600)));
    assertEquals(101, upgradeStatus("/chat/team-a.b" + suffix + "?token=" + dotted));
    assertEquals(401, upgradeStatus("/chat/team-aXb" + suffix + "?token=" + dotted), "a dot is not a wildcard");
    String pattern = signed(vertx, new JsonObject().put("roomPattern", "team-a.b.*").put("name", "ann").put("exp", inSeconds(600)));
    assertEquals(101, upgradeStatus("/chat/team-aXb" + suffix + "?token=" + pattern));
    assertEquals(401, upgradeStatus("/chat/team-c" + suffix + "?token=" + pattern));
  }

  @Test
  @DisplayName("a private room's socket is closed with 1008 when its token expires")
  void closedAtExpiry(Vertx vertx) {
    String room = team();
    String token = signed(vertx, new JsonObject().put("room", room).put("name", "ann").put("exp", inSeconds(2)));
    try (WsClient ann = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?token=" + token)) {
      TestNodes.eventually(WsClient.TIMEOUT_MS, "the socket is closed at exp", () -> ann.closeCode != null);
      assertEquals((short) 1008, ann.closeCode);
    }
  }

  @Test
  @DisplayName("in a private room message ids are deduplicated per token subject: another member using the same client id cannot pre-empt them")
  void dedupePerSubject(Vertx vertx) {
    String room = team();
    String client = "shared-" + UUID.randomUUID();
    String annToken = signed(vertx, new JsonObject().put("room", room).put("name", "ann").put("sub", "u-ann").put("exp", inSeconds(600)));
    String eveToken = signed(vertx, new JsonObject().put("room", room).put("name", "eve").put("sub", "u-eve").put("exp", inSeconds(600)));
    try (WsClient eve = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?client=" + client + "&token=" + eveToken);
         WsClient ann = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?client=" + client + "&token=" + annToken)) {
      eve.say("pre-empted?", "m1");
      long eveSeq = eve.nextOfType("ACK").getLong("seq");
      ann.say("ann's own message", "m1");
      JsonObject ack = ann.nextOfType("ACK");
      assertNotEquals(eveSeq, ack.getLong("seq"), "ann's message is a new one, not eve's duplicate");
      assertEquals("ann's own message", eve.nextOfType("MESSAGE").getString("message"));
    }
  }
}
