package durablerooms;

import durablerooms.support.RawWs;
import durablerooms.support.WsClient;

import durablerooms.support.TestNodes;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Thousands of random and hostile frames from several raw clients while two members chat in the
 * same room (DESIGN.md invariant 7): each frame gets an ERROR or the right close code, the node
 * stays up, and the bystander gets every one of its partner's messages, in seq order.
 */
@ExtendWith(VertxExtension.class)
class FuzzTest {
  private static final int FUZZERS = 4;
  private static final int SHOTS_PER_FUZZER = 800;
  private static final int PARTNER_MESSAGES = 60;
  private static final Set<String> JSON_ERRORS = Set.of("bad_json", "bad_request");
  private static Node node;
  private static int port;

  @BeforeAll
  static void startNode() {
    node = TestNodes.start(TestNodes.config(Map.of())); // the default limits
    port = node.httpPort();
  }

  @AfterAll
  static void stopNode() {
    TestNodes.stop(node);
  }

  /** One frame on the wire. */
  private record Raw(int opcode, byte[] payload, boolean fin) {}

  /**
   * A hostile input: its frames, and the answer it must get: an ERROR with one of {@code codes},
   * or (codes empty) a close with {@code close}. A close 1008 (the error budget is spent) is
   * right for any of them.
   */
  private record Shot(String what, List<Raw> frames, Set<String> codes, int close) {
    static Shot text(String what, String text, Set<String> codes) {
      return new Shot(what, List.of(new Raw(RawWs.TEXT, text.getBytes(StandardCharsets.UTF_8), true)), codes, 0);
    }
  }

  @Test
  @DisplayName("a few thousand hostile frames: each gets ERROR or the right close, the node stays up, the bystander misses nothing")
  void fuzz(Vertx vertx) throws Exception {
    String room = "fuzz-" + UUID.randomUUID().toString().substring(0, 8);
    long seed = Long.getLong("fuzz.seed", System.nanoTime()); // -Dfuzz.seed=N replays a run
    System.out.println("fuzz seed " + seed);
    try (WsClient bystander = WsClient.join(vertx, port, "/chat/" + room + "?name=bystander");
         WsClient partner = WsClient.join(vertx, port, "/chat/" + room + "?name=partner")) {
      // the partner chats at 20 messages/s, within the rate limit, for the whole fuzz
      AtomicInteger said = new AtomicInteger();
      long timer = vertx.setPeriodic(50, id -> {
        int i = said.getAndIncrement();
        if (i < PARTNER_MESSAGES) {
          partner.say("partner " + i, "p" + i);
        }
      });
      Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(FUZZERS);
      List<Future<Integer>> fuzzers = new ArrayList<>();
      try {
        for (int f = 0; f < FUZZERS; f++) {
          Random random = new Random(seed + f);
          fuzzers.add(pool.submit(() -> fuzzer(room, random, answers)));
        }
        int total = 0;
        for (Future<Integer> f : fuzzers) {
          total += f.get(120, TimeUnit.SECONDS);
        }
        assertEquals(FUZZERS * SHOTS_PER_FUZZER, total, "every hostile frame was answered");
        System.out.println("fuzz answers: " + answers);
      } finally {
        pool.shutdownNow();
      }

      // the bystander got every message of its partner, in seq order, and nothing from the fuzzers
      long lastSeq = 0;
      for (int i = 0; i < PARTNER_MESSAGES; i++) {
        JsonObject m = bystander.nextOfType("MESSAGE");
        assertEquals("partner", m.getString("user"), "only the partner's messages were accepted: " + m);
        assertEquals("p" + i, m.getString("id"));
        assertTrue(m.getLong("seq") > lastSeq, "seq order");
        lastSeq = m.getLong("seq");
      }
      for (int i = 0; i < PARTNER_MESSAGES; i++) {
        partner.nextOfType("ACK");
      }
      vertx.cancelTimer(timer);
      assertNull(partner.closeCode);
      assertNull(bystander.closeCode);
    }
    // the node is up and serves
    HttpResponse<String> health = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode());
    try (WsClient a = WsClient.join(vertx, port, "/chat/" + room + "?name=after");
         WsClient b = WsClient.join(vertx, port, "/chat/" + room + "?name=after2")) {
      a.say("still serving");
      assertEquals("still serving", b.nextOfType("MESSAGE").getString("message"));
    }
  }

  /** Fires hostile frames, each answered before the next; reconnects whenever the server closes. */
  private int fuzzer(String room, Random random, Map<String, AtomicInteger> answers) throws IOException {
    int shots = 0;
    RawWs ws = connect(room);
    try {
      while (shots < SHOTS_PER_FUZZER) {
        Shot shot = hostile(random);
        for (Raw r : shot.frames()) {
          ws.send(r.opcode(), r.payload(), r.fin());
        }
        shots++;
        String answer = answer(ws, shot);
        answers.computeIfAbsent(answer, k -> new AtomicInteger()).incrementAndGet();
        if (answer.startsWith("close")) {
          ws.close();
          ws = connect(room);
        }
      }
    } finally {
      ws.close();
    }
    return shots;
  }

  private static RawWs connect(String room) throws IOException {
    RawWs ws = RawWs.open(port, "/chat/" + room + "?name=fuzzer");
    ws.nextOfType("SYSTEM");
    return ws;
  }

  /** Reads until the shot's answer: an ERROR (other frames of the room are skipped) or a close. */
  private static String answer(RawWs ws, Shot shot) throws IOException {
    while (true) {
      RawWs.Frame f;
      try {
        f = ws.read(WsClient.TIMEOUT_MS);
      } catch (AssertionError e) {
        throw new AssertionError(shot.what() + ": " + e.getMessage(), e);
      }
      if (f == null) {
        fail(shot.what() + ": the connection ended without a close frame");
      }
      if (f.opcode() == RawWs.CLOSE) {
        int code = f.closeCode();
        if (code != 1008 && code != shot.close()) {
          fail(shot.what() + ": closed with " + code + ", expected " + (shot.close() == 0 ? shot.codes() : shot.close()));
        }
        return "close " + code;
      }
      if (f.opcode() != RawWs.TEXT) {
        continue;
      }
      JsonObject json = new JsonObject(f.text());
      if ("ACK".equals(json.getString("type"))) {
        fail(shot.what() + ": the server accepted it as a message: " + json); // a fuzzer sends nothing valid
      }
      if (!"ERROR".equals(json.getString("type"))) {
        continue; // JOIN, LEAVE, MESSAGE... of the room
      }
      String code = json.getString("code");
      if (!shot.codes().contains(code)) {
        fail(shot.what() + ": got ERROR " + code + " (" + json.getString("message") + "), expected "
            + (shot.codes().isEmpty() ? "close " + shot.close() : shot.codes()));
      }
      assertTrue(json.getString("message").length() < 200 && !json.getString("message").contains("Exception"),
          "a short message, no stack trace: " + json);
      return "ERROR " + code;
    }
  }

  // --- the generator ------------------------------------------------------------------------------

  private static final String[] WRONG_TYPES = {
      "{\"type\":\"message\",\"message\":[\"a\"]}",
      "{\"type\":\"message\",\"message\":{\"nested\":true}}",
      "{\"type\":\"message\",\"message\":null}",
      "{\"message\":42}",
      "{\"message\":true}",
      "{\"message\":\"\"}",
      "{\"message\":\"   \\n\\t \"}",
      "{\"message\":\"hi\",\"id\":7}",
      "{\"message\":\"hi\",\"id\":\"\"}",
      "{\"message\":\"hi\",\"id\":[\"x\"]}",
      "{\"type\":\"name\",\"name\":42}",
      "{\"type\":\"name\",\"name\":\"\"}",
      "{\"type\":\"name\",\"name\":\"   \"}",
      "{\"type\":\"name\",\"name\":\"\\u202Eadmin\"}",
      "{\"type\":\"name\",\"name\":\"a\\u0000b\"}",
      "{\"type\":\"name\",\"name\":\"\\ud800\"}",
      "{\"type\":\"name\"}",
      "{\"type\":null}",
      "{\"type\":7}",
      "{\"type\":[\"message\"]}",
      "{\"type\":{\"x\":1}}",
      "{\"type\":\"history\",\"before\":-1}",
      "{\"type\":\"history\",\"limit\":0}",
      "{\"type\":\"history\",\"limit\":100000}",
      "{\"type\":\"history\",\"before\":\"10\"}",
      "{\"type\":\"history\",\"before\":1.5}",
      "{\"type\":\"history\",\"limit\":1e308}",
      "{\"message\":\"a\\u0000b\"}",
      "{\"message\":\"\\u001b[2J\"}",
      "{\"message\":\"\\udc00 lone\"}",
      "{\"type\":\"message\",\"type\":\"nope\",\"message\":\"dup keys\"}",
      "{}",
  };

  private static final String[] NOT_OBJECTS = {"", "null", "true", "42", "\"message\"", "[]", "[{\"message\":\"hi\"}]",
      "{", "}", "{\"message\":", "{\"message\":\"unterminated}", "{'message':'single quotes'}", "{message:\"bare\"}",
      "\u0000", "{\"message\":\"hi\"} trailing"};

  private static Shot hostile(Random r) {
    int pick = r.nextInt(100);
    if (pick < 15) {
      return Shot.text("junk", junk(r, 1 + r.nextInt(200)), Set.of("bad_json"));
    } else if (pick < 25) {
      String s = NOT_OBJECTS[r.nextInt(NOT_OBJECTS.length)];
      return Shot.text("not an object: " + s, s, JSON_ERRORS);
    } else if (pick < 45) {
      String s = WRONG_TYPES[r.nextInt(WRONG_TYPES.length)];
      return Shot.text("wrong type: " + s, s, JSON_ERRORS);
    } else if (pick < 53) {
      String word = junk(r, 1 + r.nextInt(12)).replace("\"", "").replace("\\", "");
      return Shot.text("unknown type", new JsonObject().put("type", word).encode(), JSON_ERRORS);
    } else if (pick < 60) {
      int depth = 1200 + r.nextInt(8000); // at most 6 bytes a level: under the frame limit
      String open = r.nextBoolean() ? "[" : "{\"a\":";
      String close = open.equals("[") ? "]" : "}";
      String nested = open.repeat(depth) + "1" + close.repeat(depth);
      return Shot.text("deep nesting " + depth, r.nextBoolean() ? nested : "{\"message\":" + nested + "}", JSON_ERRORS);
    } else if (pick < 66) {
      String digits = "9".repeat(20 + r.nextInt(3000));
      String[] forms = {
          "{\"type\":\"history\",\"before\":" + digits + "}",
          "{\"type\":\"history\",\"limit\":-" + digits + "}",
          "{\"message\":\"x\",\"id\":" + digits + "}",
          "{\"type\":\"history\",\"before\":1e" + digits + "}"};
      return Shot.text("huge number", forms[r.nextInt(forms.length)], JSON_ERRORS);
    } else if (pick < 72) {
      String text = "x".repeat(4001 + r.nextInt(20_000));
      return Shot.text("long message", new JsonObject().put("message", text).encode(), Set.of("too_large"));
    } else if (pick < 80) {
      byte[] b = new byte[r.nextInt(1000)];
      r.nextBytes(b);
      return new Shot("binary", List.of(new Raw(RawWs.BINARY, b, true)), Set.of("bad_request"), 0);
    } else if (pick < 87) {
      byte[] b = new byte[1 + r.nextInt(300)];
      r.nextBytes(b);
      if (validUtf8(b)) {
        return new Shot("random bytes (valid UTF-8)", List.of(new Raw(RawWs.TEXT, b, true)), JSON_ERRORS, 0);
      }
      return new Shot("invalid UTF-8", List.of(new Raw(RawWs.TEXT, b, true)), Set.of(), 1007);
    } else if (pick < 92) {
      byte[] a = ("{\"message\":" + junk(r, 50)).getBytes(StandardCharsets.UTF_8);
      byte[] b = (junk(r, 50) + "}").getBytes(StandardCharsets.UTF_8);
      return new Shot("fragmented junk", List.of(new Raw(RawWs.TEXT, a, false), new Raw(RawWs.CONTINUATION, b, true)),
          JSON_ERRORS, 0);
    } else if (pick < 94) {
      byte[] big = new byte[65_537 + r.nextInt(40_000)];
      java.util.Arrays.fill(big, (byte) 'a');
      return new Shot("oversize frame", List.of(new Raw(RawWs.TEXT, big, true)), Set.of(), 1009);
    } else if (pick < 96) {
      byte[] part = junk(r, 30_000).getBytes(StandardCharsets.UTF_8);
      return new Shot("oversize fragmented message", List.of(new Raw(RawWs.TEXT, part, false),
          new Raw(RawWs.CONTINUATION, part, false), new Raw(RawWs.CONTINUATION, part, true)), Set.of(), 1009);
    } else if (pick < 98) {
      return new Shot("continuation without a start",
          List.of(new Raw(RawWs.CONTINUATION, "{}".getBytes(StandardCharsets.UTF_8), true)), Set.of(), 1002);
    } else {
      return new Shot("reserved opcode", List.of(new Raw(0x3, new byte[] {1, 2}, true)), Set.of(), 1002);
    }
  }

  private static String junk(Random r, int n) {
    StringBuilder s = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      s.append((char) (33 + r.nextInt(94)));
    }
    if ("{[\"".indexOf(s.charAt(0)) >= 0) {
      // never a JSON object, nor a string that the fragmented shot's two halves could close into a valid message
      s.setCharAt(0, '#');
    }
    return s.toString();
  }

  private static boolean validUtf8(byte[] b) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
