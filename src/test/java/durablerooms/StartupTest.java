package durablerooms;

import durablerooms.support.NodeProcess;
import durablerooms.support.TestCertificate;
import durablerooms.support.TestNodes;

import durablerooms.config.ServerConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The node's command line as an operator meets it, each run in its own JVM: --help, a bad setting
 * (one line naming it, a non-zero exit, no stack trace), a port in use, JSON logs.
 */
@Tag("process")
class StartupTest {
  /** What a run of durablerooms.Main printed and how it ended. */
  private record Run(int exit, List<String> out, List<String> err) {}

  private static Run run(Map<String, String> env, Path dir, String... args) throws Exception {
    List<String> cmd = NodeProcess.mainCommand();
    cmd.addAll(List.of(args));
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("ROOMS_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new AssertionError("still running after 120 s: " + cmd);
      }
    } finally {
      p.destroyForcibly();
    }
    return new Run(p.exitValue(), withoutJvmNotes(Files.readAllLines(out)), withoutJvmNotes(Files.readAllLines(err)));
  }

  /** Drops the JVM's own "Picked up JAVA_TOOL_OPTIONS: ..." notes, which a machine may add to any run. */
  private static List<String> withoutJvmNotes(List<String> lines) {
    return lines.stream().filter(l -> !l.startsWith("Picked up ")).toList();
  }

  /** Settings for a node of its own (fresh cluster name, free ports, data in the test's folder). */
  private static Map<String, String> lone(Path dir, int httpPort) {
    Map<String, String> env = new HashMap<>(TestNodes.settings("startup-" + UUID.randomUUID(), TestNodes.clusterPort(),
        Map.of("ROOMS_HTTP_PORT", String.valueOf(httpPort))));
    env.put("ROOMS_DATA_DIR", dir.resolve("data").toString());
    return env;
  }

  private static void assertNoStackTrace(Run r) {
    for (String line : r.out.isEmpty() ? r.err : concat(r.out, r.err)) {
      assertFalse(line.startsWith("\tat ") || line.contains("Exception"), "no stack trace: " + line);
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  @Test
  @DisplayName("--help lists every setting with its variable, key and default, and exits 0")
  void helpListsEverySetting(@TempDir Path dir) throws Exception {
    Run r = run(Map.of(), dir, "--help");
    assertEquals(0, r.exit(), String.join("\n", r.err()));
    String help = String.join("\n", r.out());
    assertTrue(help.contains("-conf FILE"), help);
    for (ServerConfig.Setting s : ServerConfig.SETTINGS) {
      String line = r.out().stream().filter(l -> l.trim().startsWith(s.env() + " ")).findFirst()
          .orElseThrow(() -> new AssertionError("--help lists " + s.env() + ":\n" + help));
      assertTrue(line.contains(s.key()), line);
      assertTrue(line.contains(s.defaultValue().isEmpty() ? "(empty)" : s.defaultValue()), line);
    }
  }

  @Test
  @DisplayName("a bad number stops the start with one line naming the setting and exit status 2")
  void aBadNumberIsOneLine(@TempDir Path dir) throws Exception {
    Run r = run(Map.of("ROOMS_HTTP_PORT", "eighty"), dir);
    assertEquals(2, r.exit());
    assertEquals(List.of("durable-rooms: configuration error: ROOMS_HTTP_PORT=eighty: not a whole number"), r.err());
    assertEquals(List.of(), r.out());
  }

  @Test
  @DisplayName("a TLS key that is not the certificate's stops the start with one line naming both settings and exit status 2")
  void aTlsKeyOfAnotherCertificateIsOneLine(@TempDir Path dir) throws Exception {
    TestCertificate mine = TestCertificate.create(dir.resolve("mine"));
    TestCertificate other = TestCertificate.create(dir.resolve("other"));
    Run r = run(Map.of("ROOMS_TLS_CERT", mine.certFile.toString(), "ROOMS_TLS_KEY", other.keyFile.toString()), dir);
    assertEquals(2, r.exit());
    assertEquals(List.of("durable-rooms: configuration error: ROOMS_TLS_KEY=" + other.keyFile
        + ": is not the private key of the certificate in ROOMS_TLS_CERT=" + mine.certFile), r.err());
    assertEquals(List.of(), r.out());
  }

  @Test
  @DisplayName("-conf names the file to read; a missing one, or a bad value in it, is one line naming it")
  void confFile(@TempDir Path dir) throws Exception {
    Run missing = run(Map.of(), dir, "-conf", dir.resolve("nope.json").toString());
    assertEquals(2, missing.exit());
    assertEquals(1, missing.err().size(), String.join("\n", missing.err()));
    assertTrue(missing.err().get(0).contains("nope.json: no such file"), missing.err().get(0));

    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, new JsonObject().put("historyLimit", "lots").encode());
    Run badValue = run(Map.of(), dir, "-conf", bad.toString());
    assertEquals(2, badValue.exit());
    assertEquals(List.of("durable-rooms: configuration error: " + bad + ": historyLimit=lots: not a whole number"),
        badValue.err());
    assertNoStackTrace(badValue);
  }

  @Test
  @DisplayName("an HTTP port in use stops the start with one line naming ROOMS_HTTP_PORT and a non-zero exit")
  void portInUse(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Run r = run(lone(dir, port), dir);
      assertNotEquals(0, r.exit());
      assertEquals(1, r.err().size(), "one line on stderr:\n" + String.join("\n", r.err()));
      assertTrue(r.err().get(0).startsWith("durable-rooms: could not start: "), r.err().get(0));
      assertTrue(r.err().get(0).contains("ROOMS_HTTP_PORT=" + port), r.err().get(0));
      assertNoStackTrace(r);
    }
  }

  @Test
  @DisplayName("ROOMS_LOG_FORMAT=json: every log line is a JSON object; the start line says where the node serves")
  void jsonLogs(@TempDir Path dir) throws IOException {
    Map<String, String> env = lone(dir, TestNodes.freePort());
    env.put("ROOMS_LOG_FORMAT", "json");
    try (NodeProcess node = NodeProcess.start("json-logs-" + UUID.randomUUID().toString().substring(0, 8), env)) {
      node.awaitReady();
      String serving = "Durable Rooms serving " + node.url() + "/ (node ";
      TestNodes.eventually(10_000, "the start line is logged", () -> lines(node.log).stream()
          .anyMatch(l -> l.contains("serving")));
      List<String> lines = withoutJvmNotes(lines(node.log));
      JsonObject start = null;
      for (String line : lines) {
        JsonObject event = new JsonObject(line); // fails if a line is not JSON
        assertTrue(event.containsKey("level") && event.containsKey("loggerName"), line);
        if (event.getString("formattedMessage", "").startsWith(serving)) {
          start = event;
        }
      }
      assertTrue(start != null, "a start line beginning '" + serving + "' in " + lines);
      assertTrue(start.getString("formattedMessage").endsWith("cluster of 1)"), start.encode());
      assertEquals("INFO", start.getString("level"));
    }
  }

  @Test
  @DisplayName("ROOMS_WARMUP_SEC: the node runs chat traffic through a private node before it starts, logged as "
      + "two lines of its own, and serves none of its rooms")
  void warmsUpBeforeItStarts(@TempDir Path dir) throws Exception {
    Map<String, String> env = lone(dir, TestNodes.freePort());
    env.put("ROOMS_WARMUP_SEC", "2");
    try (NodeProcess node = NodeProcess.start("warm-up-" + UUID.randomUUID().toString().substring(0, 8), env)) {
      node.awaitReady();
      TestNodes.eventually(10_000, "the start line is logged", () -> lines(node.log).stream()
          .anyMatch(l -> l.contains("Durable Rooms serving")));
      List<String> lines = withoutJvmNotes(lines(node.log));
      int warming = indexOf(lines, "warming up: chat traffic through a private node");
      int warmed = indexOf(lines, "warmed up: ");
      assertTrue(warming == 0 && warmed == 1, "the warm-up's two lines come first, alone: " + lines);
      long messages = Long.parseLong(lines.get(1).replaceAll(".*warmed up: (\\d+) messages.*", "$1"));
      assertTrue(messages > 100, lines.get(1));
      JsonObject rooms = new JsonObject(java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.url() + "/api/rooms")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body());
      assertEquals(0, rooms.getJsonArray("rooms").size(), "the private node's rooms are not this node's: " + rooms);
    }
  }

  private static int indexOf(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    return -1;
  }

  private static List<String> lines(Path log) {
    try {
      return Files.readAllLines(log);
    } catch (IOException e) {
      return List.of();
    }
  }
}
