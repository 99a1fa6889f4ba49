package durablerooms;

import ch.qos.logback.classic.Level;
import com.hazelcast.core.Hazelcast;
import durablerooms.config.ServerConfig;
import durablerooms.support.TestNodes;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up before a node starts: real traffic through a private node, which leaves nothing behind. */
class WarmupTest {
  @Test
  @DisplayName("the warm-up's messages are ACKed by a private node, whose folder and cluster member are gone after; the node's own port and store are untouched")
  void warmsUpAndLeavesNothing(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("data");
    int httpPort = TestNodes.freePort();
    ServerConfig config = TestNodes.config(Map.of("ROOMS_WARMUP_SEC", "2", "ROOMS_DATA_DIR", data.toString(),
        "ROOMS_HTTP_PORT", String.valueOf(httpPort)));
    int members = Hazelcast.getAllHazelcastInstances().size();
    Level level = root().getLevel();

    long messages = Warmup.warm(config, tmp);

    assertTrue(messages > 100, "messages ACKed: " + messages);
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.toList(), "the private node's folder is deleted");
    }
    assertFalse(Files.exists(data), "the node's own store is not touched");
    assertEquals(members, Hazelcast.getAllHazelcastInstances().size(), "the private cluster member has left");
    assertEquals(level, root().getLevel(), "the log level is back");
    try (ServerSocket s = new ServerSocket(httpPort, 1, InetAddress.getLoopbackAddress())) {
      assertTrue(s.isBound(), "the node's own port was never taken");
    }
  }

  @Test
  @DisplayName("ROOMS_WARMUP_SEC=0: no warm-up, nothing made")
  void none(@TempDir Path tmp) throws Exception {
    assertEquals(0, Warmup.warm(TestNodes.config(Map.of("ROOMS_WARMUP_SEC", "0")), tmp));
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  @DisplayName("the warm-up ends once three rounds agree within 10% and the JIT compiled for under a sixth of the last")
  void endsWhenTheSpeedLevelsOff() {
    assertFalse(Warmup.levelledOff(List.of(2258L, 9725L), 0), "too few rounds");
    assertFalse(Warmup.levelledOff(List.of(17886L, 22601L, 28485L), 0.1), "still rising");
    assertFalse(Warmup.levelledOff(List.of(32639L, 34989L, 33631L), 0.3), "the JIT is still busy");
    assertTrue(Warmup.levelledOff(List.of(9725L, 34989L, 33631L, 35007L), 0.15));
  }

  private static ch.qos.logback.classic.Logger root() {
    return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  }
}
