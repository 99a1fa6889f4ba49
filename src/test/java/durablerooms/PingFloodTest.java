package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.RawWs;
import durablerooms.support.WsClient;

import durablerooms.gateway.Connection;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebSocket ping frames from a client that never reads cost the node a bounded amount: every pong
 * goes through the check on queued bytes, pings past the connection's budget are charged to its
 * error budget (then close 1008), and the room's other members keep their latency.
 */
@ExtendWith(VertxExtension.class)
class PingFloodTest {
  private static final int MAX_QUEUED = 256 * 1024;
  /** How long the flood lasts (-Dflood.seconds=N to change). */
  private static final long FLOOD_MS = TimeUnit.SECONDS.toMillis(Long.getLong("flood.seconds", 15));
  /** What the node may hold beyond the queued-bytes bound after the flood: a generous allowance for buffers and caches. */
  private static final long HEAP_ALLOWANCE = 64L * 1024 * 1024;
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_MAX_QUEUED_BYTES", String.valueOf(MAX_QUEUED)));

  @Test
  @DisplayName("15 s of unread ping frames: the node's heap stays bounded, the flooder is closed, a bystander's ACK p99 stays under 100 ms")
  void pingFlood(Vertx vertx) throws Exception {
    String room = "ping-" + UUID.randomUUID().toString().substring(0, 8);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    try (WsClient sender = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=sender");
         WsClient reader = WsClient.join(vertx, NODE.port(), "/chat/" + room + "?name=reader")) {
      System.gc();
      long heapBefore = memory.getHeapMemoryUsage().getUsed();

      AtomicBoolean stop = new AtomicBoolean();
      List<Connection> flooders = new CopyOnWriteArrayList<>();
      List<RawWs> sockets = new CopyOnWriteArrayList<>();
      AtomicLong pings = new AtomicLong();
      Thread flood = new Thread(() -> {
        byte[] payload = new byte[125];
        while (!stop.get()) {
          try {
            // a small receive window: the kernel holds little of what the node writes to it
            RawWs raw = RawWs.open(RawWs.tcp(NODE.port(), null, 4096), "/chat/" + room + "?name=flood");
            sockets.add(raw);
            raw.nextOfType("SYSTEM");
            String id = raw.nextOfType("PRESENCE").getJsonObject("you").getString("id");
            flooders.add(NODE.node().connections().get(id));
            // from here on this client reads nothing
            while (!stop.get()) {
              raw.send(RawWs.PING, payload, true);
              pings.incrementAndGet();
            }
          } catch (IOException | AssertionError e) {
            // the node cut this socket off (or refused it while closing the last): the next one
          }
        }
      }, "ping-flood");
      flood.start();

      Histogram ackMs = new Histogram(60_000, 3);
      long maxQueued = 0;
      long end = System.currentTimeMillis() + FLOOD_MS;
      for (int i = 0; System.currentTimeMillis() < end; i++) {
        long sent = System.nanoTime();
        sender.say("m" + i, "m" + i);
        assertEquals("m" + i, sender.nextOfType("ACK").getString("id"));
        ackMs.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent)));
        assertEquals("m" + i, reader.nextOfType("MESSAGE").getString("id"));
        for (Connection c : flooders) {
          maxQueued = Math.max(maxQueued, c.queuedBytes());
        }
        Thread.sleep(50); // the sender's pace: 20 messages a second at most, within its rate limit
      }
      // still connected, still not reading: what does the node hold now?
      System.gc();
      long heapAfter = memory.getHeapMemoryUsage().getUsed();
      stop.set(true);
      sockets.forEach(RawWs::close);
      flood.join(10_000);

      System.out.printf("ping flood: %d pings over %d sockets in %d s; bystander ACK p50 %d ms, p99 %d ms, max %d ms; "
              + "at most %d bytes queued for a flooder; heap %d MB before, %d MB after%n",
          pings.get(), flooders.size(), FLOOD_MS / 1000, ackMs.getValueAtPercentile(50),
          ackMs.getValueAtPercentile(99), ackMs.getMaxValue(), maxQueued, heapBefore >> 20, heapAfter >> 20);
      assertTrue(maxQueued <= MAX_QUEUED + 64 * 1024,
          "the node queued at most ROOMS_MAX_QUEUED_BYTES (and a frame's bookkeeping) for a flooder: " + maxQueued);
      assertTrue(heapAfter <= heapBefore + HEAP_ALLOWANCE,
          "the heap grew by " + ((heapAfter - heapBefore) >> 20) + " MB");
      // the last socket may have been opened just before the flood ended
      assertTrue(flooders.stream().limit(Math.max(1, flooders.size() - 1)).allMatch(Connection::closing),
          "the node closes every flooding socket (" + flooders.size() + " opened)");
      assertTrue(ackMs.getValueAtPercentile(99) < 100, "bystander ACK p99 " + ackMs.getValueAtPercentile(99) + " ms");
    }
  }
}
