package durablerooms;

import durablerooms.support.NodeProcess;
import durablerooms.support.TestNodes;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * run.sh as an operator meets it: its help, and {@code cluster N}, run from a copy of the script in
 * a folder of the test's own (its logs go there) on the compiled classes (RUN_SH_NODE_COMMAND).
 */
@Tag("process")
class RunShTest {
  private static final Path SCRIPT = Path.of("run.sh").toAbsolutePath();
  private static final List<String> COMMANDS = List.of("run", "cluster [N]", "build", "test", "token [--pattern] ROOM NAME",
      "bench [OPTIONS]", "help, -h, --help");

  /** What a run of the script printed and how it ended. */
  private record Run(int exit, String out, String err) {}

  /** Runs {@code bash run.sh args} in {@code dir} (a copy there, unless it is the project's) to its end. */
  private static Run run(Path dir, Map<String, String> env, String... args) throws Exception {
    Process p = start(dir, env, args);
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("run.sh " + String.join(" ", args) + " still runs after 180 s");
    }
    return new Run(p.exitValue(), Files.readString(dir.resolve("out.txt")), Files.readString(dir.resolve("err.txt")));
  }

  private static Process start(Path dir, Map<String, String> env, String... args) throws IOException {
    Path script = dir.resolve("run.sh");
    Files.copy(SCRIPT, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", script.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("ROOMS_"));
    pb.environment().put("RUN_SH_NODE_COMMAND", String.join(" ", NodeProcess.mainCommand()));
    pb.environment().putAll(env);
    return pb.start();
  }

  /** Settings for the nodes of one run: a fresh cluster, HTTP ports from {@code base}, data in the test's folder. */
  private static Map<String, String> cluster(Path dir, int base) {
    Map<String, String> env = new java.util.HashMap<>(TestNodes.settings("runsh-" + UUID.randomUUID(),
        TestNodes.clusterPort(), Map.of("ROOMS_HTTP_PORT", String.valueOf(base))));
    env.put("ROOMS_DATA_DIR", dir.resolve("data").toString());
    return env;
  }

  /** A base port whose next {@code n - 1} ports are free too. */
  private static int freeBase(int n) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = TestNodes.freePort();
      boolean free = true;
      for (int i = 1; i < n && free; i++) {
        free = !listening(base + i) && base + i < 20000;
      }
      if (free) {
        return base;
      }
    }
    throw new AssertionError("no " + n + " free ports in a row");
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  @DisplayName("./run.sh --help and -h print the usage of every command and exit 0")
  void help(@TempDir Path dir) throws Exception {
    for (String flag : List.of("--help", "-h", "help")) {
      Run r = run(dir, Map.of(), flag);
      assertEquals(0, r.exit(), flag + ": " + r.err());
      assertEquals("", r.err(), flag);
      for (String command : COMMANDS) {
        assertTrue(r.out().contains("  " + command), flag + " lists '" + command + "':\n" + r.out());
      }
    }
  }

  @Test
  @DisplayName("an unknown command prints the usage on stderr and exits 2")
  void unknownCommand(@TempDir Path dir) throws Exception {
    Run r = run(dir, Map.of(), "clsuter");
    assertEquals(2, r.exit());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("./run.sh: unknown command 'clsuter'\nusage: ./run.sh"), r.err());
    assertTrue(r.err().contains("  cluster [N]"), r.err());
  }

  @Test
  @DisplayName("cluster 2 with the second node's port taken: no address printed for it, the end of its log on stderr, "
      + "the first node stopped, exit 1")
  void clusterReportsANodeThatDidNotStart(@TempDir Path dir) throws Exception {
    int base = freeBase(2);
    try (ServerSocket taken = new ServerSocket(base + 1, 1, InetAddress.getByName("127.0.0.1"))) {
      Run r = run(dir, cluster(dir, base), "cluster", "2");
      assertEquals(1, r.exit(), r.out() + r.err());
      assertTrue(r.out().contains("node 0: http://127.0.0.1:" + base + "/"), r.out());
      assertFalse(r.out().contains("node 1: http"), "no address for the node that did not start:\n" + r.out());
      assertTrue(r.err().startsWith("node 1 did not start (exit status 1); the end of logs/node-1.log:"), r.err());
      assertTrue(r.err().contains("could not start: ") && r.err().contains("ROOMS_HTTP_PORT=" + (base + 1)),
          "the node's own words are in the report:\n" + r.err());
      assertFalse(listening(base), "the node that had started was stopped");
    }
  }

  @Test
  @DisplayName("cluster 3 starts the nodes one by one and says where each serves once it is ready; SIGTERM stops them "
      + "all; no node logs a warning or a stack trace")
  void clusterStartsAndStopsCleanly(@TempDir Path dir) throws Exception {
    int base = freeBase(3);
    Process p = start(dir, cluster(dir, base), "cluster", "3");
    try {
      TestNodes.eventually(180_000, "run.sh says the cluster is up", () -> {
        if (!p.isAlive()) {
          throw new AssertionError("run.sh ended: " + read(dir.resolve("err.txt")));
        }
        return read(dir.resolve("out.txt")).contains("Ctrl-C stops all nodes");
      });
      String out = read(dir.resolve("out.txt"));
      for (int i = 0; i < 3; i++) {
        assertTrue(out.contains("node " + i + ": http://127.0.0.1:" + (base + i) + "/"), out);
        assertTrue(listening(base + i), "node " + i + " serves");
        assertTrue(read(dir.resolve("logs/node-" + i + ".log")).contains("cluster of " + (i + 1) + ")"),
            "node " + i + " started once the ones before it had joined");
      }
      new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
      assertTrue(p.waitFor(90, TimeUnit.SECONDS), "run.sh stops the nodes and ends");
      assertEquals(0, p.exitValue());
    } finally {
      p.destroyForcibly();
    }
    for (int i = 0; i < 3; i++) {
      assertFalse(listening(base + i), "node " + i + " stopped");
      String log = read(dir.resolve("logs/node-" + i + ".log"));
      List<String> troubles = log.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")
          || l.startsWith("\tat ") || l.contains("Exception")).toList();
      assertEquals(List.of(), troubles, "node " + i + " logs no warning and no stack trace:\n" + log);
      assertTrue(log.contains("durablerooms.Main - stopped"), log);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
