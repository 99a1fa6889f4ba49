package durablerooms;

import durablerooms.support.RawHttp;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import durablerooms.support.NodeExtension;
import durablerooms.support.RawWs;

import durablerooms.gateway.RoomAccess;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who gets in: the Origin check and private rooms with HS256 tokens, against one real node. */
@ExtendWith(VertxExtension.class)
class SecurityTest {
  private static final String SECRET = "test-secret-0123456789-abcdefghijklmnop";
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of(
        "ROOMS_PRIVATE_ROOMS", "secret-.*|vip",
        "ROOMS_JWT_SECRET", SECRET));
  private final HttpClient http = HttpClient.newHttpClient();

  private static String secretRoom() {
    return "secret-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String token(Vertx vertx, String room, String name) {
    return RoomAccess.create(vertx, NODE.config()).mint(room, name, 600);
  }

  /** A token signed with {@code secret} carrying exactly {@code claims}. */
  private static String signed(Vertx vertx, String secret, JsonObject claims) {
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm("HS256"));
  }

  private static long inSeconds(long s) {
    return System.currentTimeMillis() / 1000 + s;
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static int upgradeStatus(String path, Map<String, String> headers) throws Exception {
    RawWs.Upgrade u = RawWs.upgrade(NODE.port(), path, headers);
    if (u.ws() != null) {
      u.ws().close();
    }
    return u.status();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + NODE.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("a foreign Origin gets HTTP 403 at the upgrade; the server's own, localhost and no Origin pass")
  void origin() throws Exception {
    String path = "/chat/o-" + UUID.randomUUID().toString().substring(0, 8);
    assertEquals(403, upgradeStatus(path, Map.of("Origin", "https://evil.example")));
    assertEquals(403, upgradeStatus(path, Map.of("Origin", "null")));
    assertEquals(403, upgradeStatus(path, Map.of("Origin", "http://127.0.0.1.evil.example:" + NODE.port())));
    assertEquals(101, upgradeStatus(path, Map.of("Origin", "http://127.0.0.1:" + NODE.port())));
    assertEquals(101, upgradeStatus(path, Map.of("Origin", "http://localhost:5173")));
    assertEquals(101, upgradeStatus(path, Map.of("Origin", "https://chat.example.com", "Host", "chat.example.com")));
    assertEquals(101, upgradeStatus(path, Map.of()), "no Origin: not a browser");
  }

  @Test
  @DisplayName("a malformed upgrade request gets a plain 400, without any internals")
  void malformedUpgrade() throws Exception {
    try (java.net.Socket s = RawWs.tcp(NODE.port(), null, 0)) {
      s.getOutputStream().write(("GET /chat/x?name=%zz&token=%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[4096];
      int n = s.getInputStream().read(buf);
      String response = new String(buf, 0, Math.max(0, n), StandardCharsets.ISO_8859_1);
      assertTrue(response.startsWith("HTTP/1.1 400"), response);
      assertFalse(response.contains("Exception") || response.contains("at io.") || response.contains("durablerooms"),
          response);
    }
  }

  @Test
  @DisplayName("a private room without a token, or with a forged, expired, incomplete or other room's token, gets HTTP 401")
  void privateRoomRefusals(Vertx vertx) throws Exception {
    String room = secretRoom();
    String path = "/chat/" + room + "?name=mallory";
    assertEquals(401, upgradeStatus(path, Map.of()), "no token");
    assertEquals(401, upgradeStatus(path + "&token=junk", Map.of()), "junk");
    JsonObject claims = new JsonObject().put("room", room).put("name", "mallory").put("exp", inSeconds(600));
    assertEquals(401, upgradeStatus(path + "&token=" + signed(vertx, "another-secret-0123456789-abcdefghijk", claims),
        Map.of()), "forged: signed with another secret");
    String expired = signed(vertx, SECRET, claims.copy().put("exp", inSeconds(-60)));
    assertEquals(401, upgradeStatus(path + "&token=" + expired, Map.of()), "expired");
    String noExp = signed(vertx, SECRET, new JsonObject().put("room", room).put("name", "mallory"));
    assertEquals(401, upgradeStatus(path + "&token=" + noExp, Map.of()), "no exp");
    assertEquals(401, upgradeStatus(path + "&token=" + token(vertx, "secret-other", "mallory"), Map.of()),
        "another room's token");
    String none = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(claims.encode()) + ".";
    assertEquals(401, upgradeStatus(path + "&token=" + none, Map.of()), "alg none");
    assertEquals(101, upgradeStatus("/chat/vipx", Map.of()), "the pattern matches whole names only");
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("a valid token lets its holder in under the token's name, which a rename cannot change")
  void validToken(Vertx vertx) {
    String room = secretRoom();
    String alice = token(vertx, room, "Alice");
    String bob = RoomAccess.create(vertx, NODE.config()).mintPattern("secret-.*", "Bob", 600); // every secret room
    try (WsClient a = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=mallory&token=" + q(alice));
         WsClient b = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?token=" + q(bob))) {
      assertEquals("Alice", a.seen.get(1).getJsonObject("you").getString("user"), "the token's name, not ?name=");
      assertEquals("Bob", b.seen.get(1).getJsonObject("you").getString("user"));
      a.send(new JsonObject().put("type", "name").put("name", "Bob"));
      assertEquals("forbidden", a.nextOfType("ERROR").getString("code"));
      a.say("hello", "m1");
      a.nextOfType("ACK");
      JsonObject msg = b.nextOfType("MESSAGE");
      assertEquals("Alice", msg.getString("user"));
      assertTrue(b.seen.stream().noneMatch(f -> "RENAME".equals(f.getString("type"))), "no rename happened");
      assertNull(a.closeCode);
    }
  }

  @Test
  @DisplayName("private rooms are hidden from the HTTP API unless the request carries a token for them")
  void hiddenFromTheApi(Vertx vertx) throws Exception {
    String room = secretRoom();
    String tok = q(token(vertx, room, "Alice"));
    try (WsClient a = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?token=" + tok);
         WsClient pub = WsClient.join(vertx, NODE.port(), "/chat/open-" + room.substring(7))) {
      a.say("secret words", "m1");
      a.nextOfType("ACK");
      assertFalse(listed(get("/api/rooms").body(), room));
      assertTrue(listed(get("/api/rooms").body(), "open-" + room.substring(7)), "public rooms are listed");
      assertEquals(404, get("/api/rooms/" + room).statusCode());
      assertEquals(404, get("/api/rooms/" + room + "/messages").statusCode());
      assertEquals(404, get("/api/rooms/" + room + "?token=forged").statusCode());

      assertTrue(listed(get("/api/rooms?token=" + tok).body(), room));
      HttpResponse<String> info = get("/api/rooms/" + room + "?token=" + tok);
      assertEquals(200, info.statusCode());
      assertEquals(1, new JsonObject(info.body()).getJsonArray("members").size());
      HttpResponse<String> messages = get("/api/rooms/" + room + "/messages?token=" + tok);
      assertEquals(200, messages.statusCode());
      assertEquals("secret words", new JsonObject(messages.body()).getJsonArray("messages").getJsonObject(0)
          .getString("message"));
    }
  }

  @Test
  @DisplayName("no query string reaches the log: a token in a refused upgrade or API request is never printed")
  void tokensStayOutOfTheLog(Vertx vertx) throws Exception {
    String mark = "LEAKMARK" + UUID.randomUUID().toString().replace("-", "");
    String room = secretRoom();
    // a header segment that is not JSON, so that the JWT library's own error could quote it
    String badJson = b64("{\"alg\":\"HS256\",\"" + mark + "\"") + "." + b64("{}") + "." + mark;
    String unquoted = b64("{\"alg\":" + mark + "}") + "." + b64("{}") + "." + mark;
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("durablerooms");
    ch.qos.logback.classic.Level level = logger.getLevel();
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
        new ch.qos.logback.core.read.ListAppender<>();
    log.start();
    logger.addAppender(log);
    logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
    try {
      try (java.net.Socket s = RawWs.tcp(NODE.port(), null, 0)) { // a query that is not valid percent-encoding
        s.getOutputStream().write(("GET /chat/x?token=" + mark + "&name=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertTrue(new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 400"));
      }
      assertEquals(401, upgradeStatus("/chat/" + room + "?token=" + mark, Map.of()));
      assertEquals(401, upgradeStatus("/chat/" + room + "?token=" + badJson, Map.of()));
      assertEquals(401, upgradeStatus("/chat/" + room + "?token=" + unquoted, Map.of()));
      assertEquals(404, get("/api/rooms/" + room + "?token=" + mark).statusCode());
      assertEquals(404, get("/api/rooms/" + room + "?token=" + unquoted).statusCode());
      assertEquals(404, get("/api/rooms/" + room + "/messages?token=" + badJson).statusCode());
      assertEquals(400, get("/api/rooms/" + room + "/messages?limit=x&token=" + mark).statusCode());
      int status = RawHttp.get(NODE.port(), null, "/api/rooms/" + room + "/messages?token=" + mark + "&x=%zz").status();
      assertTrue(status == 400 || status == 404, "a query that cannot be decoded: " + status);
      TestNodes.eventually(WsClient.TIMEOUT_MS, "the refusals are logged",
          () -> log.list.stream().filter(e -> e.getFormattedMessage().contains(room)).count() >= 2);
    } finally {
      logger.detachAppender(log);
      logger.setLevel(level);
    }
    for (ch.qos.logback.classic.spi.ILoggingEvent e : log.list) {
      String text = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
      assertFalse(text.contains(mark), "logged: " + text);
    }
  }

  private static boolean listed(String body, String room) {
    JsonArray rooms = new JsonObject(body).getJsonArray("rooms");
    assertNotNull(rooms);
    return rooms.stream().anyMatch(r -> room.equals(((JsonObject) r).getString("room")));
  }
}
