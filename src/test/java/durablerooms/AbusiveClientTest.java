package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.RawWs;
import durablerooms.support.WsClient;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a client that breaks the rules gets, and what it can no longer cost the node. */
class AbusiveClientTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of());

  private static RawWs rawJoin() throws IOException {
    RawWs raw = RawWs.open(NODE.port(), "/chat/abuse-" + UUID.randomUUID().toString().substring(0, 8) + "?name=raw");
    raw.nextOfType("SYSTEM");
    raw.nextOfType("PRESENCE");
    return raw;
  }

  /** Every text frame until the server's close frame, and that close's code. */
  private static int readUntilClose(RawWs raw, List<JsonObject> frames) throws IOException {
    return raw.awaitClose(WsClient.TIMEOUT_MS, t -> frames.add(new JsonObject(t)));
  }

  @Test
  @DisplayName("messages accepted before a 1008 close get their ACKs before the close frame")
  void acksBeforePolicyClose() throws Exception {
    try (RawWs raw = rawJoin()) {
      int messages = 40; // the whole rate burst
      for (int i = 0; i < messages; i++) {
        raw.sendJson(new JsonObject().put("type", "message").put("message", "m" + i).put("id", "m" + i));
      }
      for (int i = 0; i < 30; i++) { // more junk than the error budget holds
        raw.sendText("junk");
      }
      List<JsonObject> frames = new ArrayList<>();
      assertEquals(1008, readUntilClose(raw, frames));
      long acks = frames.stream().filter(f -> "ACK".equals(f.getString("type"))).count();
      assertEquals(messages, acks, "every accepted message was ACKed before the close: " + frames.size() + " frames");
    }
  }

  @Test
  @DisplayName("{\"type\":\"ping\"} has a budget: within it PONG, past it rate_limited, and a flood is closed 1008")
  void jsonPingBudget() throws Exception {
    try (RawWs raw = rawJoin()) {
      for (int i = 0; i < 200; i++) {
        raw.sendText("{\"type\":\"ping\"}");
      }
      List<JsonObject> frames = new ArrayList<>();
      assertEquals(1008, readUntilClose(raw, frames));
      long pongs = frames.stream().filter(f -> "PONG".equals(f.getString("type"))).count();
      long limited = frames.stream().filter(f -> "rate_limited".equals(f.getString("code"))).count();
      assertTrue(pongs >= 10 && pongs < 20, "the burst of pings was answered, not the flood: " + pongs);
      assertTrue(limited > 0, "pings past the budget were refused");
    }
  }

  @Test
  @DisplayName("WebSocket ping frames within the budget get pongs; a flood of them is closed 1008")
  void pingFrameBudget() throws Exception {
    try (RawWs raw = rawJoin()) {
      for (int i = 0; i < 5; i++) {
        raw.send(RawWs.PING, ("p" + i).getBytes(), true);
      }
      for (int i = 0; i < 5; i++) {
        RawWs.Frame pong = raw.read(WsClient.TIMEOUT_MS);
        assertEquals(RawWs.PONG, pong.opcode());
        assertEquals("p" + i, pong.text(), "a pong echoes its ping");
      }
      for (int i = 0; i < 200; i++) {
        raw.send(RawWs.PING, new byte[8], true);
      }
      assertEquals(1008, raw.awaitClose(WsClient.TIMEOUT_MS));
    }
  }
}
