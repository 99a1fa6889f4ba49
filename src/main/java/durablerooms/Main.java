package durablerooms;

import durablerooms.config.ConfigException;
import durablerooms.config.ServerConfig;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import sun.misc.Signal;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts a node from conf/config.json (or {@code -conf FILE}) and the environment; the one place a
 * fatal start error is reported: one line on stderr naming the setting, and a non-zero exit.
 */
public final class Main {
  static {
    // Hazelcast (ConcurrencyUtil, like CompletableFuture) starts a new thread for every async callback
    // when the common fork-join pool has a single thread, which it has on a 2-core machine: with
    // two, callbacks run on the pool. Set before anything touches ForkJoinPool.
    String parallelism = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(parallelism) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(parallelism, "2");
    }
  }

  /** Exit status for a setting the node cannot start with (bad value, unreadable file, unknown argument). */
  static final int BAD_CONFIG = 2;
  /** Exit status for a start that failed for another reason (port in use, store unreachable). */
  static final int START_FAILED = 1;
  /** Exit status when a thread the node needs died while it served (the shutdown hook still runs). */
  static final int FATAL = 70;

  private Main() {}

  public static void main(String[] args) {
    Path file = ServerConfig.DEFAULT_FILE;
    boolean named = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h") || a.equals("-help") || a.equals("--help")) {
        System.out.print(help());
        System.exit(0);
        return;
      } else if ((a.equals("-conf") || a.equals("--conf")) && i + 1 < args.length) {
        file = Path.of(args[++i]);
        named = true;
      } else {
        System.err.println("durable-rooms: unknown argument " + a + " (--help lists the options)");
        System.exit(BAD_CONFIG);
        return;
      }
    }
    ServerConfig config;
    try {
      config = ServerConfig.load(file, named, System.getenv());
    } catch (ConfigException e) {
      System.err.println("durable-rooms: configuration error: " + e.getMessage());
      System.exit(BAD_CONFIG);
      return;
    }
    useLogFormat(config.logFormat());
    Logger log = LoggerFactory.getLogger(Main.class);
    Warmup.run(config);
    Node node;
    try {
      node = Node.start(config, Main::exitFatal).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      String hint = bindFailed(cause)
          ? " (ROOMS_HTTP_HOST=" + config.httpHost() + " ROOMS_HTTP_PORT=" + config.httpPort() + ")" : "";
      System.err.println("durable-rooms: could not start: " + firstLine(cause.getMessage()) + hint);
      System.exit(cause instanceof ConfigException ? BAD_CONFIG : START_FAILED);
      return;
    }
    // Vert.x registers no shutdown hook: without a stop of our own, SIGTERM looks like a crash to the cluster
    stopOnSignals(node);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(node), "durable-rooms-shutdown"));
    log.info("Durable Rooms serving {}/ (node {}, cluster of {})", node.httpUrl(), node.nodeId(), node.clusterSize());
  }

  /**
   * Ends the process after stopping the node; from a new thread, as the dying one may be the
   * caller, and the stop waits for the store's threads.
   */
  private static void exitFatal(Node node) {
    new Thread(() -> stopThenExit(node, FATAL), "durable-rooms-fatal-exit").start();
  }

  /**
   * SIGTERM, Ctrl-C and SIGHUP stop the node before the JVM's shutdown begins. The JVM runs its
   * shutdown hooks all at once, in no order, and two of them would pull the store and the cluster
   * from under a stop run as a hook: a store's (H2's, when ROOMS_STORE_URL names one, closes the
   * database) and Hazelcast's (it shuts the member down). Run first,
   * the stop flushes the rooms to the store while it is open, and a clean stop leaves no journal.
   * Where the JVM keeps a signal for itself (-Xrs), the shutdown hook stops the node instead.
   */
  private static void stopOnSignals(Node node) {
    for (String name : List.of("TERM", "INT", "HUP")) {
      try {
        Signal.handle(new Signal(name), signal -> stopThenExit(node, 128 + signal.getNumber()));
      } catch (IllegalArgumentException taken) {
        // left to the shutdown hook
      }
    }
  }

  private static void stopThenExit(Node node, int status) {
    stop(node);
    System.exit(status);
  }

  private static boolean stopped;
  /**
   * How long a stop may take before the process exits anyway: the clients have 5 s at most (2 s
   * for one that does not answer its close), then the rooms' last writes, then Hazelcast's leave
   * (moving the partitions off this node, and up to 3 s more on the oldest node); twice that on a
   * busy machine.
   */
  private static final long STOP_WAIT_S = 20;

  /** Stops the node once, whichever comes first: a signal, a fatal error, or the shutdown hook. */
  private static synchronized void stop(Node node) {
    if (stopped) {
      return;
    }
    stopped = true;
    Logger log = LoggerFactory.getLogger(Main.class);
    log.info("stopping: clients are sent to other nodes, rooms hibernate, then the node leaves the cluster");
    try {
      node.close().toCompletionStage().toCompletableFuture().get(STOP_WAIT_S, TimeUnit.SECONDS);
      log.info("stopped");
    } catch (TimeoutException e) {
      Node.StopStep step = node.stopStep();
      log.warn("the stop did not complete within {} s, while {}; exiting anyway: {}", STOP_WAIT_S, step.doing(),
          step.leftUndone());
    } catch (Exception e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      log.warn("the stop failed while {}: {}", node.stopStep().doing(), cause.toString());
    }
  }

  /**
   * Points logback.xml at logback-text.xml or logback-json.xml. Reading the settings already made
   * logback start (Vert.x's JSON codec asks for a logger), so it is configured again with the format.
   */
  private static void useLogFormat(String format) {
    System.setProperty("rooms.log.format", format);
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
      logback.reset();
      try {
        new ContextInitializer(logback).autoConfig();
      } catch (JoranException e) {
        System.err.println("durable-rooms: logging configuration: " + e.getMessage());
      }
    }
  }

  /** Whether the HTTP port could not be bound: Java NIO says so with a BindException, Netty's epoll transport with the errno's text. */
  private static boolean bindFailed(Throwable cause) {
    return cause instanceof java.net.BindException
        || (cause instanceof java.io.IOException && String.valueOf(cause.getMessage()).contains("Address already in use"));
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  static String help() {
    return "Usage: java -jar durable-rooms.jar [-conf FILE] [--help]\n"
        + "\n"
        + "Starts a Durable Rooms node: http://HOST:PORT/ (https:// with ROOMS_TLS_CERT and ROOMS_TLS_KEY)\n"
        + "serves the chat page, /chat/{room} (WebSocket), /api/..., /health, /ready and /metrics\n"
        + "(Prometheus). The settings are read from\n"
        + ServerConfig.DEFAULT_FILE + " in the working folder if it exists (or from the file named by -conf),\n"
        + "and each one is overridden by its environment variable.\n"
        + "\n"
        + "Options:\n"
        + "  -conf FILE   read the settings from FILE instead of " + ServerConfig.DEFAULT_FILE + "\n"
        + "  -h, --help   print this help and exit\n"
        + "\n"
        + "Settings:\n"
        + ServerConfig.describe();
  }
}
