package durablerooms.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerConfigTest {
  @Test
  void defaultsAreTheDocumentedOnes() {
    ServerConfig c = ServerConfig.of(Map.of());
    assertEquals(8080, c.httpPort());
    assertEquals("durable-rooms", c.clusterName());
    assertEquals(30000, c.idleTimeoutMs());
    assertEquals(1000, c.historyLimit());
  }

  @Test
  void theEnvironmentOverridesTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"httpPort\": 9000, \"idleTimeoutMs\": 1234}");
    ServerConfig c = ServerConfig.load(file, Map.of("ROOMS_HTTP_PORT", "9100"));
    assertEquals(9100, c.httpPort());
    assertEquals(1234, c.idleTimeoutMs());
  }

  @Test
  void aBadValueNamesItsKey() {
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_HTTP_PORT", "eighty")));
    assertTrue(e.getMessage().startsWith("ROOMS_HTTP_PORT=eighty"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_IDLE_TIMEOUT_MS", "-5")));
    assertTrue(e.getMessage().contains("ROOMS_IDLE_TIMEOUT_MS"), e.getMessage());
  }

  @Test
  void anUnreadableFileIsReported(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{not json");
    assertThrows(ConfigException.class, () -> ServerConfig.load(file, Map.of()));
  }
}
