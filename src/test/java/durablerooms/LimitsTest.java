package durablerooms;

import durablerooms.support.TestNodes;

import durablerooms.support.NodeExtension;
import durablerooms.support.RawWs;
import durablerooms.support.WsClient;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The limits at the edge (docs/security.md), one test each, against one real node whose limits are set
 * small where a test needs it: members per room 3, connections per IP 5, ping every 1 s.
 */
@ExtendWith(VertxExtension.class)
class LimitsTest {
  private static final int MAX_MEMBERS = 3;
  private static final int MAX_PER_IP = 5;
  private static final long PING_MS = 1000;
  private static final long HANDSHAKE_MS = 1000;
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of(
        "ROOMS_MAX_MEMBERS", String.valueOf(MAX_MEMBERS),
        "ROOMS_MAX_CONNECTIONS_PER_IP", String.valueOf(MAX_PER_IP),
        "ROOMS_PING_INTERVAL_MS", String.valueOf(PING_MS),
        "ROOMS_PING_TIMEOUT_MS", String.valueOf(PING_MS),
        "ROOMS_HANDSHAKE_TIMEOUT_MS", String.valueOf(HANDSHAKE_MS)));

  private static String freshRoom() {
    return "l-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static WsClient join(Vertx vertx, String room, String name) {
    return WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=" + name);
  }

  /** A raw client that has joined {@code room}: welcome and PRESENCE read. */
  private static RawWs rawJoin(String room) throws IOException {
    RawWs raw = RawWs.open(NODE.port(), "/chat/" + room + "?name=raw");
    assertEquals("SYSTEM", raw.nextJson().getString("type"));
    assertEquals("PRESENCE", raw.nextJson().getString("type"));
    return raw;
  }

  private static String chat(String text) {
    return new JsonObject().put("message", text).encode();
  }

  @Test
  @DisplayName("a frame over ROOMS_MAX_FRAME_BYTES closes the socket with 1009; the room carries on")
  void oversizeFrame(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient a = join(vertx, room, "a"); RawWs raw = rawJoin(room)) {
      raw.sendText(chat("x".repeat(70_000)));
      assertEquals(1009, raw.awaitClose(WsClient.TIMEOUT_MS));
      try (WsClient b = join(vertx, room, "b")) {
        b.say("still here");
        assertEquals("still here", a.nextOfType("MESSAGE").getString("message"));
      }
    }
  }

  @Test
  @DisplayName("a message in frames that add up to more than ROOMS_MAX_FRAME_BYTES closes with 1009")
  void oversizeFragmentedMessage() throws Exception {
    try (RawWs raw = rawJoin(freshRoom())) {
      byte[] part = "y".repeat(30_000).getBytes(StandardCharsets.UTF_8);
      raw.send(RawWs.TEXT, part, false);
      raw.send(RawWs.CONTINUATION, part, false);
      raw.send(RawWs.CONTINUATION, part, true);
      assertEquals(1009, raw.awaitClose(WsClient.TIMEOUT_MS));
    }
  }

  @Test
  @DisplayName("a message over ROOMS_MAX_MESSAGE_CHARS gets ERROR too_large and the socket stays")
  void longMessage(Vertx vertx) {
    String room = freshRoom();
    try (WsClient a = join(vertx, room, "a"); WsClient b = join(vertx, room, "b")) {
      a.say("x".repeat(4001), "long");
      JsonObject err = a.nextOfType("ERROR");
      assertEquals("too_large", err.getString("code"));
      assertEquals("long", err.getString("id"), "the ERROR names the refused message");
      a.say("y".repeat(4000));
      assertEquals(4000, b.nextOfType("MESSAGE").getString("message").length());
      assertNull(a.closeCode);
    }
  }

  @Test
  @DisplayName("a flood gets ERROR rate_limited and is not broadcast; a client that keeps flooding is closed with 1008")
  void flood(Vertx vertx) {
    String room = freshRoom();
    try (WsClient flooder = join(vertx, room, "flooder"); WsClient partner = join(vertx, room, "partner")) {
      flooder.nextOfType("JOIN");
      int sent = 200;
      for (int i = 0; i < sent; i++) {
        flooder.say("flood " + i, "f" + i);
      }
      Set<String> acked = new HashSet<>();
      int limited = 0;
      long deadline = System.currentTimeMillis() + WsClient.TIMEOUT_MS;
      while (true) { // every answer, up to the close (frames arrive before the close that follows them)
        JsonObject f = flooder.poll(100);
        if (f == null) {
          if (flooder.closeCode != null) {
            break;
          }
          assertTrue(System.currentTimeMillis() < deadline, "the flooder is not closed: " + flooder.seen);
          continue;
        }
        if ("ACK".equals(f.getString("type"))) {
          acked.add(f.getString("id"));
        } else if ("ERROR".equals(f.getString("type"))) {
          assertEquals("rate_limited", f.getString("code"));
          limited++;
        }
      }
      assertEquals((short) 1008, flooder.closeCode);
      assertTrue(limited >= 20, "the error budget (20) is spent on rate_limited answers: " + limited);

      // the partner gets the accepted messages, the first ones in order, then the flooder's LEAVE
      List<String> got = new ArrayList<>();
      JsonObject f;
      while (!"LEAVE".equals((f = partner.nextMatching(x -> List.of("MESSAGE", "LEAVE").contains(x.getString("type")),
          "MESSAGE or LEAVE")).getString("type"))) {
        got.add(f.getString("id"));
      }
      assertTrue(got.size() >= 40 && got.size() < 100, "the burst (40) passes, little more: " + got.size());
      for (int i = 0; i < got.size(); i++) {
        assertEquals("f" + i, got.get(i), "accepted messages are the first ones, in order");
      }
      assertTrue(acked.stream().allMatch(got::contains), "whatever was ACKed was broadcast");
      assertTrue(got.size() + limited <= sent, "what was refused was not broadcast");
    }
  }

  @Test
  @DisplayName("pings within their own budget all get PONG and take nothing from the message rate")
  void pingsHaveTheirOwnBudget(Vertx vertx) {
    try (WsClient a = join(vertx, freshRoom(), "pinger")) {
      for (int i = 0; i < 10; i++) { // the ping burst
        a.send(new JsonObject().put("type", "ping"));
      }
      for (int i = 0; i < 10; i++) {
        a.next("PONG");
      }
      for (int i = 0; i < 40; i++) { // the whole message burst is still there
        a.say("after the pings " + i, "m" + i);
      }
      for (int i = 0; i < 40; i++) {
        assertEquals("m" + i, a.nextOfType("ACK").getString("id"));
      }
      assertNull(a.closeCode);
    }
  }

  @Test
  @DisplayName("a text frame that is not UTF-8 closes with 1007; a binary frame gets ERROR and the socket stays")
  void invalidUtf8AndBinary() throws Exception {
    try (RawWs raw = rawJoin(freshRoom())) {
      raw.send(RawWs.BINARY, new byte[] {1, 2, 3}, true);
      JsonObject err = raw.nextOfType("ERROR");
      assertEquals("bad_request", err.getString("code"));
      raw.sendText("{\"type\":\"ping\"}");
      raw.nextOfType("PONG");
      byte[] bad = {'{', '"', 'm', 'e', 's', 's', 'a', 'g', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
      raw.send(RawWs.TEXT, bad, true);
      assertEquals(1007, raw.awaitClose(WsClient.TIMEOUT_MS));
    }
  }

  @Test
  @DisplayName("a full room answers the next member ERROR room_full and closes with 1013; the members see nothing")
  void roomFull(Vertx vertx) {
    String room = freshRoom();
    List<WsClient> members = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_MEMBERS; i++) {
        members.add(join(vertx, room, "m" + i));
      }
      try (WsClient extra = WsClient.connect(vertx, NODE.port(), "/chat/" + room + "?name=extra")) {
        extra.next("SYSTEM");
        assertEquals("room_full", extra.next("ERROR").getString("code"));
        TestNodes.eventually(WsClient.TIMEOUT_MS, "extra closed", () -> extra.closeCode != null);
        assertEquals((short) 1013, extra.closeCode);
      }
      WsClient first = members.get(0);
      first.ping();
      assertTrue(first.seen.stream().noneMatch(f -> "extra".equals(
          f.getJsonObject("member", new JsonObject()).getString("user"))), "no JOIN or LEAVE of the refused one");
      members.remove(members.size() - 1).close();
      first.nextOfType("LEAVE");
      members.add(join(vertx, room, "next")); // a place is free again
    } finally {
      members.forEach(WsClient::close);
    }
  }

  @Test
  @DisplayName("connections per IP: over ROOMS_MAX_CONNECTIONS_PER_IP the upgrade gets HTTP 429 with Retry-After; a closed one frees its place")
  void connectionsPerIp() throws Exception {
    // from 127.0.0.2, so that the other tests' connections from 127.0.0.1 do not count
    String from = "127.0.0.2";
    List<RawWs> open = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_PER_IP; i++) {
        open.add(RawWs.open(RawWs.tcp(NODE.port(), from, 0), "/chat/" + freshRoom()));
      }
      RawWs.Upgrade over = RawWs.upgrade(RawWs.tcp(NODE.port(), from, 0), "/chat/" + freshRoom(), Map.of());
      assertEquals(429, over.status());
      String retryAfter = over.header("Retry-After");
      assertTrue(retryAfter != null && retryAfter.matches("[1-9][0-9]*"), "a 429 says when to retry, in seconds: " + retryAfter);
      try (RawWs other = RawWs.open(NODE.port(), "/chat/" + freshRoom())) {
        other.nextOfType("SYSTEM"); // another address is not affected
      }
      open.remove(0).close();
      TestNodes.eventually(WsClient.TIMEOUT_MS, "the place is free again", () -> {
        try {
          RawWs.Upgrade again = RawWs.upgrade(RawWs.tcp(NODE.port(), from, 0), "/chat/" + freshRoom(), Map.of());
          if (again.ws() != null) {
            open.add(again.ws());
            return true;
          }
          return false;
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      });
    } finally {
      open.forEach(RawWs::close);
    }
  }

  @Test
  @DisplayName("liveness: a client that never answers pings is dropped (1001) and leaves; a quiet one that answers stays")
  void liveness(Vertx vertx) throws Exception {
    String room = freshRoom();
    try (WsClient quiet = join(vertx, room, "quiet"); RawWs mute = rawJoin(room)) {
      JsonObject muteJoin = quiet.nextOfType("JOIN");
      long start = System.nanoTime();
      RawWs.Frame f;
      do {
        f = mute.read(WsClient.TIMEOUT_MS);
      } while (f != null && f.opcode() != RawWs.PING);
      assertTrue(f != null && f.opcode() == RawWs.PING, "the server pings a silent client");
      assertEquals(1001, mute.awaitClose(WsClient.TIMEOUT_MS), "no pong: dropped");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= PING_MS, "not before the timeout: " + ms);
      JsonObject leave = quiet.nextOfType("LEAVE");
      assertEquals(muteJoin.getJsonObject("member").getString("id"), leave.getJsonObject("member").getString("id"));
      assertNull(quiet.closeCode, "a client that answers pings stays, however quiet");
      quiet.ping();
    }
  }

  @Test
  @DisplayName("a connection that never completes its upgrade request is dropped after ROOMS_HANDSHAKE_TIMEOUT_MS")
  void handshakeTimeout() throws Exception {
    try (Socket s = RawWs.tcp(NODE.port(), null, 0)) {
      long start = System.nanoTime();
      s.getOutputStream().write("GET /chat/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      s.setSoTimeout((int) (HANDSHAKE_MS * 5));
      InputStream in = s.getInputStream();
      int b;
      try {
        b = in.read();
      } catch (IOException reset) {
        b = -1;
      }
      assertEquals(-1, b, "closed without an answer");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= HANDSHAKE_MS - 100, "not before the timeout: " + ms);
      assertTrue(ms < HANDSHAKE_MS * 2, "by the handshake timeout, not the idle timeout: " + ms);
    }
  }
}
