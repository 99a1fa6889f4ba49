package durablerooms;

import durablerooms.config.ConfigException;
import durablerooms.config.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Starts a node from conf/config.json and the environment; the one place a fatal start error is reported. */
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

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    ServerConfig config;
    try {
      config = ServerConfig.load(Path.of("conf/config.json"), System.getenv());
    } catch (ConfigException e) {
      System.err.println("durable-rooms: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.setProperty("hazelcast.logging.type", "slf4j");
    Node node;
    try {
      node = Node.start(config).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("durable-rooms: could not start: " + cause.getMessage());
      System.exit(1);
      return;
    }
    // Vert.x registers no shutdown hook: without one SIGTERM looks like a crash to the cluster
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("shutdown did not complete cleanly: {}", e.toString());
      }
    }, "durable-rooms-shutdown"));
    LOG.info("Durable Rooms serving http://{}:{}/ (node {}, cluster of {})",
        config.httpHost(), config.httpPort(), node.nodeId(), node.clusterSize());
  }
}
