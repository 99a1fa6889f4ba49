package durablerooms;

import durablerooms.support.RawWs;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import durablerooms.support.NodeExtension;
import durablerooms.support.PrometheusText;
import durablerooms.support.RawHttp;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The limits of the plain HTTP side of the edge, against one real node: bounded metric labels,
 * HTTP connections per IP, the request deadline, no reading on after an error answer, pages of
 * history capped in bytes, and the /api/* rate per IP.
 * Each test speaks from its own loopback address (127.0.0.x), so that per-IP limits do not mix.
 */
@ExtendWith(VertxExtension.class)
class HttpLimitsTest {
  private static final Pattern METHOD_LABEL = Pattern.compile("method=\"([^\"]*)\"");
  private static final int MAX_HTTP_PER_IP = 4;
  private static final long DEADLINE_MS = 3000;
  /** Promptly: well within the deadline and the handshake timeout (10 s), which would close them too. */
  private static final long PROMPTLY_MS = 1000;
  private static final int PAGE_BYTES = 8192;
  private static final int API_BURST = 10;
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of(
        "ROOMS_MAX_HTTP_CONNECTIONS_PER_IP", String.valueOf(MAX_HTTP_PER_IP),
        "ROOMS_HTTP_REQUEST_DEADLINE_MS", String.valueOf(DEADLINE_MS),
        "ROOMS_MAX_PAGE_BYTES", String.valueOf(PAGE_BYTES),
        "ROOMS_API_RATE_PER_SEC", "1",
        "ROOMS_API_BURST", String.valueOf(API_BURST)));

  private static String metrics() throws Exception {
    RawHttp.Response r = RawHttp.get(NODE.port(), null, "/metrics");
    assertEquals(200, r.status());
    return r.body();
  }

  @Test
  @DisplayName("made-up HTTP methods do not grow /metrics: unknown methods are labelled OTHER, and no label holds a path")
  void madeUpMethodsAreNotLabels() throws Exception {
    int before = metrics().length();
    try (Socket s = RawHttp.connect(NODE.port(), "127.0.0.10")) {
      for (int i = 0; i < 300; i++) {
        RawHttp.send(s, "MADEUP" + i + " / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertTrue(RawHttp.read(s).status() >= 400);
      }
    }
    String after = metrics();
    PrometheusText.parse(after);
    Set<String> methods = new TreeSet<>();
    after.lines().filter(l -> l.startsWith("vertx_http_server")).forEach(l -> {
      Matcher m = METHOD_LABEL.matcher(l);
      if (m.find()) {
        methods.add(m.group(1));
      }
      assertFalse(l.contains("path=\"") || l.contains("route=\""), "no label holds a path: " + l);
    });
    assertTrue(methods.contains("OTHER"), "made-up methods are counted as OTHER: " + methods);
    assertTrue(methods.size() <= 10, "the standard methods and OTHER only: " + methods);
    assertTrue(after.length() - before < 20_000, "/metrics grew from " + before + " to " + after.length() + " bytes");
  }

  @Test
  @DisplayName("idle TCP connections from one IP over ROOMS_MAX_HTTP_CONNECTIONS_PER_IP are closed at once; a closed one frees its place")
  void idleConnectionsPerIp() throws Exception {
    String from = "127.0.0.11";
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_HTTP_PER_IP; i++) {
        Socket s = RawHttp.connect(NODE.port(), from);
        held.add(s);
        RawHttp.send(s, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(200, RawHttp.read(s).status(), "within the limit: served, and kept alive");
      }
      for (int i = 0; i < 3; i++) {
        try (Socket extra = RawHttp.connect(NODE.port(), from)) {
          assertTrue(RawHttp.closedWithin(extra, PROMPTLY_MS), "connection " + (MAX_HTTP_PER_IP + i + 1) + " is closed");
        }
      }
      try (Socket other = RawHttp.connect(NODE.port(), "127.0.0.111")) { // another address is not affected
        RawHttp.send(other, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(200, RawHttp.read(other).status());
      }
      Socket first = held.get(0);
      RawHttp.send(first, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, RawHttp.read(first).status(), "the connections within the limit stay");
      held.remove(0).close();
      TestNodes.eventually(5000, "the place is free again", () -> {
        try {
          Socket again = RawHttp.connect(NODE.port(), from);
          RawHttp.send(again, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
          held.add(again);
          return RawHttp.read(again).status() == 200;
        } catch (IOException closed) {
          return false;
        }
      });
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  @DisplayName("a request body trickled byte by byte is cut off at ROOMS_HTTP_REQUEST_DEADLINE_MS")
  void trickledBodyIsCutOff() throws Exception {
    try (Socket s = RawHttp.connect(NODE.port(), "127.0.0.12")) {
      long start = System.nanoTime();
      RawHttp.send(s, "GET /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n");
      boolean closed = false;
      for (int i = 0; i < 100 && !closed; i++) {
        try {
          RawHttp.send(s, "x");
        } catch (IOException reset) {
          closed = true;
          break;
        }
        closed = RawHttp.closedWithin(s, 100);
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(closed, "still open after " + ms + " ms");
      assertTrue(ms >= DEADLINE_MS - 100, "not before the deadline: " + ms);
      assertTrue(ms < DEADLINE_MS + 2000, "at the deadline: " + ms);
    }
  }

  @Test
  @DisplayName("an error answer to a request whose body was not read says Connection: close and closes")
  void errorAnswerToAnUnreadBodyCloses() throws Exception {
    for (String head : List.of("GET /api/rooms/bad!name HTTP/1.1", "POST /api/rooms HTTP/1.1", "GET /nowhere/at/all HTTP/1.1",
        "GET /chat/bad!name HTTP/1.1")) {
      try (Socket s = RawHttp.connect(NODE.port(), "127.0.0.13")) {
        RawHttp.send(s, head + "\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n");
        RawHttp.Response r = RawHttp.read(s);
        assertTrue(r.status() >= 400, head + ": " + r.status());
        assertEquals("close", r.header("Connection"), head);
        assertTrue(RawHttp.closedWithin(s, PROMPTLY_MS), head + ": closed, not left reading the body");
      }
    }
  }

  @Test
  @DisplayName("a WebSocket outlives the request deadline, and no longer counts as an HTTP connection of its IP")
  void webSocketsOutliveTheDeadline() throws Exception {
    String from = "127.0.0.14";
    List<RawWs> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_HTTP_PER_IP + 2; i++) {
        RawWs ws = RawWs.open(RawWs.tcp(NODE.port(), from, 0), "/chat/" + freshRoom());
        sockets.add(ws);
        ws.nextOfType("PRESENCE");
      }
      RawWs first = sockets.get(0);
      assertFalse(RawHttp.closedWithin(first.socket, DEADLINE_MS + 1000), "open past the deadline");
      first.sendText("{\"type\":\"ping\"}");
      first.nextOfType("PONG");
    } finally {
      sockets.forEach(RawWs::close);
    }
  }

  @Test
  @DisplayName("a page of history stops before ROOMS_MAX_PAGE_BYTES and names the seq to read on from; the pages add up to the whole history")
  void pagesAreCappedInBytes(Vertx vertx) throws Exception {
    String room = freshRoom();
    int sent = 20;
    try (WsClient a = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=writer")) {
      for (int i = 0; i < sent; i++) {
        a.say(i + ":" + "x".repeat(1000), "m" + i);
        a.nextOfType("ACK");
      }
    }
    List<Long> seqs = new ArrayList<>();
    long since = 0;
    int pages = 0;
    while (true) {
      RawHttp.Response r = RawHttp.get(NODE.port(), "127.0.0.15", "/api/rooms/" + room + "/messages?limit=1000&since=" + since);
      assertEquals(200, r.status(), r.body());
      assertTrue(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= PAGE_BYTES,
          "a page of " + r.body().length() + " bytes");
      JsonObject page = new JsonObject(r.body());
      JsonArray messages = page.getJsonArray("messages");
      assertFalse(messages.isEmpty());
      for (int i = 0; i < messages.size(); i++) {
        seqs.add(messages.getJsonObject(i).getLong("seq"));
      }
      pages++;
      Long next = page.getLong("next");
      if (next == null) {
        break;
      }
      assertEquals(seqs.get(seqs.size() - 1), next, "next is the seq of the page's last message");
      since = next;
    }
    assertTrue(pages >= 3, "20 messages of 1 KB in pages of 8 KiB: " + pages);
    assertEquals(sent, seqs.size());
    for (int i = 1; i < seqs.size(); i++) {
      assertEquals(seqs.get(i - 1) + 1, seqs.get(i), "in order, none left out: " + seqs);
    }
  }

  @Test
  @DisplayName("/api/* is rate limited per IP: past ROOMS_API_BURST requests get 429 with Retry-After; other paths and other IPs are not")
  void apiRateLimit() throws Exception {
    String from = "127.0.0.16";
    int ok = 0;
    RawHttp.Response refused = null;
    for (int i = 0; i < API_BURST + 5; i++) {
      RawHttp.Response r = RawHttp.get(NODE.port(), from, "/api/rooms");
      if (r.status() == 200) {
        ok++;
      } else {
        assertEquals(429, r.status());
        refused = r;
      }
    }
    assertNotNull(refused, "over the burst: refused");
    assertTrue(ok >= API_BURST && ok <= API_BURST + 2, "the burst passes, little more: " + ok);
    String retryAfter = refused.header("Retry-After");
    assertTrue(retryAfter != null && retryAfter.matches("[1-9][0-9]*"), "a 429 says when to retry, in seconds: " + retryAfter);
    assertEquals(200, RawHttp.get(NODE.port(), from, "/health").status(), "not /api: not limited");
    assertEquals(200, RawHttp.get(NODE.port(), "127.0.0.161", "/api/rooms").status(), "another IP has its own bucket");
  }

  private static String freshRoom() {
    return "h-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }
}
