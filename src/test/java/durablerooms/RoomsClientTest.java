package durablerooms;

import durablerooms.support.NodeExtension;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The client module that every page uses (webroot/rooms-client.js), driven from Node.js against a
 * real node: each test runs one scenario of src/test/js/rooms-client-scenarios.mjs, with the `ws`
 * package as the module's WebSocket. The scenarios and the module are copied into
 * target/node-client, where `ws` is installed from the npm registry the first time. Like the
 * browser tests, these fail, not skip, when Node.js or npm is missing.
 */
class RoomsClientTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of());
  static final Path DIR = Path.of("target", "node-client");
  static final Path SCENARIOS = Path.of("src", "test", "js");

  @BeforeAll
  static void prepare() throws Exception {
    Files.createDirectories(DIR);
    Files.copy(SCENARIOS.resolve("package.json"), DIR.resolve("package.json"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(SCENARIOS.resolve("rooms-client-scenarios.mjs"), DIR.resolve("rooms-client-scenarios.mjs"),
        StandardCopyOption.REPLACE_EXISTING);
    // the module as every node serves it; the folder's package.json makes its .js files ES modules
    Files.copy(Path.of("webroot", "rooms-client.js"), DIR.resolve("rooms-client.js"), StandardCopyOption.REPLACE_EXISTING);
    if (!Files.isDirectory(DIR.resolve("node_modules").resolve("ws"))) {
      String out = run(List.of("npm", "install", "--prefix", DIR.toString(), "--no-audit", "--no-fund"), Map.of(), 180);
      if (!Files.isDirectory(DIR.resolve("node_modules").resolve("ws"))) {
        throw new AssertionError("npm could not install ws into " + DIR + ":\n" + out);
      }
    }
  }

  private static void scenario(String name) throws Exception {
    String origin = "http://127.0.0.1:" + NODE.port();
    String room = "js-" + UUID.randomUUID().toString().substring(0, 8);
    String out = run(List.of("node", "rooms-client-scenarios.mjs", name), Map.of("ORIGIN", origin, "ROOM", room), 60);
    assertEquals("", out.startsWith("exit 0\n") ? "" : out, "scenario " + name);
  }

  /** Runs a command in DIR (npm: from the project's folder); "exit N" and its output. */
  private static String run(List<String> command, Map<String, String> env, int timeoutSeconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (!command.get(0).equals("npm")) {
      pb.directory(DIR.toFile());
    }
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError(command.get(0) + " is needed to test the client module (Node.js 18 or later): "
          + "apt-get install -y nodejs npm (.ci/run does this)", e);
    }
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timeout after " + timeoutSeconds + " s:\n" + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
    return "exit " + p.exitValue() + "\n" + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("send() resolves with the frame's ACK and rejects with the room's code when refused; the log's events "
      + "arrive once each, in order; post() sends at once")
  void framesAreAcknowledgedOrRefused() throws Exception {
    scenario("acks");
  }

  @Test
  @DisplayName("frames sent while no node answers wait in the outbox, in storage; a new client with that storage "
      + "(a reload) sends them, and each runs once")
  void theOutboxOutlivesAReload() throws Exception {
    scenario("outbox");
  }

  @Test
  @DisplayName("a dropped socket reconnects with since and the same client id, and gets the events it missed, each once")
  void aDropIsResumed() throws Exception {
    scenario("resume");
  }

  @Test
  @DisplayName("a node that refuses the socket is left for another node that /api/nodes lists")
  void anotherNodeWhenOneIsGone() throws Exception {
    scenario("failover");
  }

  @Test
  @DisplayName("a client on an https page keeps to the https nodes that /api/nodes lists")
  void aSecurePageKeepsToHttpsNodes() throws Exception {
    scenario("secureNodes");
  }

  @Test
  @DisplayName("after a silence the client pings and the platform answers PONG")
  void aSilenceIsPinged() throws Exception {
    scenario("ping");
  }
}
