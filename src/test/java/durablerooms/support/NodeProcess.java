package durablerooms.support;

import durablerooms.Main;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node in its own JVM (same classes as the tests), for what needs a process to die: kill -9,
 * SIGSTOP. Its output goes to target/node-logs/NAME.log.
 */
public final class NodeProcess implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  public final String name;
  /** The address its HTTP server answers on: ROOMS_HTTP_HOST, or 127.0.0.1 for the default or a wildcard. */
  public final String httpHost;
  public final int httpPort;
  public final Process process;
  public final Path log;

  private NodeProcess(String name, String httpHost, int httpPort, Process process, Path log) {
    this.name = name;
    this.httpHost = httpHost;
    this.httpPort = httpPort;
    this.process = process;
    this.log = log;
  }

  /** The command that runs durablerooms.Main in a small JVM with the test classpath. */
  public static List<String> mainCommand() {
    return new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
        "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "durablerooms.Main"));
  }

  public static NodeProcess start(String name, Map<String, String> settings) {
    try {
      Path logs = Path.of("target", "node-logs");
      Files.createDirectories(logs);
      Path log = logs.resolve(name + ".log");
      List<String> cmd = mainCommand();
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().putAll(settings);
      int port = Integer.parseInt(settings.get("ROOMS_HTTP_PORT"));
      String host = settings.getOrDefault("ROOMS_HTTP_HOST", "127.0.0.1");
      return new NodeProcess(name, host.equals("0.0.0.0") ? "127.0.0.1" : host, port, pb.start(), log);
    } catch (IOException e) {
      throw new AssertionError("could not start " + name, e);
    }
  }

  /** How many nodes this node's /api/nodes lists (-1 when it does not answer): whether a cluster has formed. */
  public int nodesSeen() {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/api/nodes"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new io.vertx.core.json.JsonObject(r.body()).getJsonArray("nodes").size() : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * Whether this node's /api/nodes says the cluster's partitions are safe (every backup in sync):
   * a test that stops a node before then can lose the cluster's copy of rooms with it.
   */
  public boolean partitionsSafe() {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/api/nodes"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && new io.vertx.core.json.JsonObject(r.body()).getBoolean("safe", false);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public boolean ready() {
    try {
      HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/ready"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public void awaitReady() {
    awaitReady(60_000);
  }

  /** Waits up to {@code ms} for /ready: longer where several JVMs start at once on a small machine. */
  public void awaitReady(long ms) {
    TestNodes.eventually(ms, name + " ready (see " + log + ")", () -> {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited; see " + log);
      }
      return ready();
    });
  }

  public long pid() {
    return process.pid();
  }

  /** kill -9. */
  public void kill() {
    process.destroyForcibly();
  }

  /** kill -STOP / -CONT: the process hangs with its sockets open, as in a long GC pause. */
  public void signal(String signal) {
    try {
      Process p = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid())).start();
      if (p.waitFor() != 0) {
        throw new AssertionError("kill -" + signal + " " + pid() + " failed");
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM, as an operator or a service manager stops a node; the exit status, once it has ended. */
  public int stop() {
    signal("TERM");
    try {
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new AssertionError(name + " still runs 30 s after SIGTERM; see " + log);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    return process.exitValue();
  }

  /** The lines of its log so far that are warnings, errors or parts of a stack trace. */
  public List<String> troubles() {
    try {
      return Files.readAllLines(log).stream()
          .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.startsWith("\tat ")
              || l.contains("Exception") || l.startsWith("Caused by"))
          .toList();
    } catch (IOException e) {
      throw new AssertionError("no log " + log, e);
    }
  }

  public String url() {
    return "http://" + httpHost + ":" + httpPort;
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        signal("CONT");
      } catch (AssertionError e) {
        // it exited between isAlive and kill (a kill -9 just before): nothing to resume
      }
      process.destroyForcibly();
    }
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(File.separator.equals("/") ? "\n" : "\r\n",
          lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
