package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.RawWs;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import durablerooms.gateway.Connection;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that stops reading under a flood: its socket is closed with 1013 once its
 * backlog passes ROOMS_MAX_QUEUED_BYTES, the server never holds much more than that for it, and
 * the room and its other members carry on unaffected. The node allows big messages and a high
 * rate so that one sender can outrun the kernel's socket buffers quickly.
 */
@ExtendWith(VertxExtension.class)
class SlowReaderTest {
  private static final int MAX_QUEUED = 256 * 1024;
  private static final int MESSAGE_CHARS = 50_000;
  private static final int MESSAGES = 200; // 10 MB to the slow reader: far more than any socket buffer
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of(
        "ROOMS_MAX_QUEUED_BYTES", String.valueOf(MAX_QUEUED),
        "ROOMS_MAX_MESSAGE_CHARS", String.valueOf(MESSAGE_CHARS),
        "ROOMS_RATE_PER_SEC", "100000",
        "ROOMS_RATE_BURST", "100000"));

  @Test
  @DisplayName("a slow reader under a flood is closed 1013 before its backlog passes the bound; the others get every message")
  void slowReader(Vertx vertx) throws Exception {
    String room = "slow-" + UUID.randomUUID().toString().substring(0, 8);
    // a small receive window, so that the kernel holds little for the client that does not read
    try (RawWs slow = RawWs.open(RawWs.tcp(NODE.port(), null, 4096), "/chat/" + room + "?name=slow");
         WsClient observer = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=observer");
         WsClient sender = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=sender")) {
      slow.nextOfType("SYSTEM");
      String slowId = slow.nextOfType("PRESENCE").getJsonObject("you").getString("id");
      Connection slowConn = NODE.node().connections().get(slowId);
      assertNotNull(slowConn);
      // from here on the slow client reads nothing

      // each message once the previous one is ACKed: the slow reader still gets 10 MB it never reads,
      // while the observer (a client of this JVM that reads everything) is never asked to take a
      // burst of many 50 KB frames at once, which would make it a slow consumer too (1013)
      String text = "z".repeat(MESSAGE_CHARS);
      for (int i = 0; i < MESSAGES; i++) {
        sender.say(text, "m" + i);
        assertEquals("m" + i, sender.nextOfType("ACK").getString("id"));
      }
      long lastSeq = 0;
      for (int i = 0; i < MESSAGES; i++) {
        JsonObject m = observer.nextOfType("MESSAGE");
        assertEquals("m" + i, m.getString("id"), "the observer gets every message, in order");
        assertTrue(lastSeq == 0 || m.getLong("seq") == lastSeq + 1, "seq strictly consecutive");
        lastSeq = m.getLong("seq");
      }

      TestNodes.eventually(WsClient.TIMEOUT_MS, "the slow reader is being closed", slowConn::closing);
      long frame = MESSAGE_CHARS + 200;
      // Netty counts about 100 bytes of bookkeeping per queued frame on top of its bytes
      assertTrue(slowConn.maxQueuedBytes() <= MAX_QUEUED + frame + 4096,
          "the server held at most the bound, one frame and Netty's bookkeeping for it: " + slowConn.maxQueuedBytes());

      // the client reads again, long after its grace to take the close frame: what the kernel held,
      // then the end of the connection, which the node cut
      int[] got = {0};
      int code;
      try {
        code = slow.awaitClose(WsClient.TIMEOUT_MS, t -> {
          if ("MESSAGE".equals(new JsonObject(t).getString("type"))) {
            got[0]++;
          }
        });
      } catch (EOFException e) {
        code = -1; // cut in the middle of a frame
      }
      System.out.printf("slow reader: %d of %d messages through, %d bytes read, at most %d bytes queued%n",
          got[0], MESSAGES, slow.bytesRead, slowConn.maxQueuedBytes());
      assertTrue(code == 1013 || code == -1, "closed with 1013 or cut off: " + code);
      assertTrue(got[0] < MESSAGES, "it was cut off: " + got[0] + " of " + MESSAGES);
      // the LEAVE may have come among the messages the observer read above
      boolean left = observer.seen.stream().anyMatch(f -> "LEAVE".equals(f.getString("type"))
          && slowId.equals(f.getJsonObject("member").getString("id")));
      if (!left) {
        assertEquals(slowId, observer.nextOfType("LEAVE").getJsonObject("member").getString("id"));
      }
    }
  }

  @Test
  @DisplayName("a slow reader that never reads again is cut off within seconds of the 1013 decision, and nothing is logged above INFO")
  void slowReaderCutOnTime(Vertx vertx) throws Exception {
    String room = "cut-" + UUID.randomUUID().toString().substring(0, 8);
    List<ILoggingEvent> loud = new CopyOnWriteArrayList<>();
    AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        if (e.getLevel().isGreaterOrEqual(Level.WARN) || e.getThrowableProxy() != null) {
          loud.add(e);
        }
      }
    };
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    capture.start();
    root.addAppender(capture);
    try (RawWs slow = RawWs.open(RawWs.tcp(NODE.port(), null, 4096), "/chat/" + room + "?name=slow");
         WsClient sender = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=sender")) {
      slow.nextOfType("SYSTEM");
      String slowId = slow.nextOfType("PRESENCE").getJsonObject("you").getString("id");
      Connection slowConn = NODE.node().connections().get(slowId);
      String text = "z".repeat(MESSAGE_CHARS);
      int sent = 0;
      while (!slowConn.closing() && sent < MESSAGES) {
        sender.say(text, "m" + sent);
        assertEquals("m" + sent, sender.nextOfType("ACK").getString("id"));
        sent++;
      }
      assertTrue(slowConn.closing(), "the slow reader is being closed");
      long decided = System.nanoTime();
      TestNodes.eventually(5_000, "the slow reader is cut off", () -> NODE.node().connections().get(slowId) == null);
      long ms = (System.nanoTime() - decided) / 1_000_000;
      System.out.printf("slow reader cut off %d ms after the 1013 decision%n", ms);
      assertTrue(ms < 3_000, "cut off after " + ms + " ms");
      sender.say("after the cut", "last");
      assertEquals("last", sender.nextOfType("ACK").getString("id"));
    } finally {
      root.detachAppender(capture);
    }
    assertTrue(loud.isEmpty(), "logged above INFO: " + loud.stream().map(e -> e.getFormattedMessage()
        + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getClassName())).toList());
  }
}
