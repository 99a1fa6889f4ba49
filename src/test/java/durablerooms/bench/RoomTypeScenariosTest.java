package durablerooms.bench;

import durablerooms.support.NodeExtension;
import durablerooms.support.TestNodes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load generator's room scenarios against a node, small: every game's alarm is counted once,
 * every webhook of the rooms it made arrives once, in order, well signed, and the capacity run
 * makes, puts to sleep and wakes its rooms. (Their figures
 * are measured with the commands of docs/benchmarks.md, not here.)
 */
class RoomTypeScenariosTest {
  private static final int HOOK_PORT = TestNodes.freePort();
  private static final String SECRET = "scenario-test-secret-0123";

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of(
      "ROOMS_IDLE_TIMEOUT_MS", "500",
      "ROOMS_NEW_ROOMS_PER_MIN", "100000",
      "ROOMS_WEBHOOK_URL", "http://127.0.0.1:" + HOOK_PORT + "/hooks",
      "ROOMS_WEBHOOK_SECRET", SECRET));

  private static JsonObject bench(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String[] all = new String[args.length + 3];
    all[0] = "--url";
    all[1] = "ws://127.0.0.1:" + NODE.port();
    all[2] = "--json";
    System.arraycopy(args, 0, all, 3, args.length);
    LoadGenerator g = new LoadGenerator(BenchOptions.parse(all), new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, g.run());
    } finally {
      g.shutdown();
    }
    return new JsonObject(out.toString(StandardCharsets.UTF_8).trim());
  }

  @Test
  @DisplayName("alarms: each game's turn clock runs out once, also in rooms asleep by then, and its lateness is measured")
  void everyGamesAlarmIsCountedOnce() throws Exception {
    JsonObject r = bench("--scenario", "alarms", "--rooms", "8", "--connect-rate", "20", "--turn-seconds", "2");
    assertEquals(8, r.getInteger("armed"), r.encode());
    assertEquals(8, r.getInteger("timedOut"), r.encode());
    assertEquals(0, r.getInteger("missing"));
    assertEquals(0L, r.getLong("duplicates"));
    assertTrue(r.getDouble("p99Ms") > 0 && r.getDouble("p99Ms") >= r.getDouble("p50Ms"), r.encode());
  }

  @Test
  @DisplayName("webhooks: the generator receives each room's occupied and vacated once, in order, with good signatures")
  void everyWebhookArrivesOnceInOrderSigned() throws Exception {
    JsonObject r = bench("--scenario", "webhooks", "--rooms", "20", "--connect-rate", "50",
        "--hook-port", String.valueOf(HOOK_PORT), "--hook-secret", SECRET);
    assertEquals(20, r.getInteger("rooms"), r.encode());
    assertEquals(40, r.getInteger("received"), r.encode());
    assertEquals(0, r.getInteger("duplicates"));
    assertEquals(0, r.getInteger("outOfOrder"));
    assertEquals(0, r.getInteger("badSignatures"));
  }

  @Test
  @DisplayName("a wrong secret is reported as bad signatures, not hidden")
  void aWrongSecretShowsAsBadSignatures() throws Exception {
    JsonObject r = bench("--scenario", "webhooks", "--rooms", "3", "--connect-rate", "50",
        "--hook-port", String.valueOf(HOOK_PORT), "--hook-secret", "not-the-node-secret");
    assertEquals(6, r.getInteger("received"), r.encode());
    assertTrue(r.getInteger("badSignatures") >= 6, "each of the rooms' webhooks (and their hibernations) " + r.encode());
  }

  @Test
  @DisplayName("capacity: rooms made and put to sleep, idle connections, rooms woken through them: each counted, none failed")
  void capacityMakesSleepsAndWakesEveryRoom() throws Exception {
    JsonObject r = bench("--scenario", "capacity", "--rooms", "40", "--connect-rate", "100", "--messages", "2",
        "--idle-connections", "10", "--awake", "5", "--duration", "1", "--hibernate-timeout", "60");
    assertEquals(0, r.getInteger("failures"), r.encode());
    assertEquals(40, r.getInteger("rooms"));
    assertEquals(5, r.getInteger("awakeRooms"));
    assertTrue(r.getBoolean("serverHealthyAtEnd"));
    assertTrue(r.getDouble("wakeP99Ms") > 0, "the five wakes were timed: " + r.encode());
  }
}
