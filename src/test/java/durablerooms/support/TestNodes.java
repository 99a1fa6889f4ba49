package durablerooms.support;

import durablerooms.Node;

import durablerooms.config.ServerConfig;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Starts real nodes for tests (own random cluster name, free loopback port) and waits on conditions. */
public final class TestNodes {
  private static final java.util.Random RANDOM = new java.util.Random();
  private TestNodes() {}

  /** Loopback settings for a test node: its own cluster name, free ports, and {@code extra} on top. */
  public static Map<String, String> settings(String clusterName, int clusterPort, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("ROOMS_CLUSTER_NAME", clusterName);
    env.put("ROOMS_CLUSTER_PORT", String.valueOf(clusterPort));
    env.put("ROOMS_HTTP_PORT", String.valueOf(freePort()));
    env.put("ROOMS_DATA_DIR", Path.of("target", "test-data", clusterName).toString());
    // a folder of its own that does not exist: a developer's plugins/ (README) must not change
    // which room types the tests' nodes serve; PluginTest sets the one it tests
    env.put("ROOMS_PLUGINS_DIR", Path.of("target", "test-data", clusterName, "plugins").toString());
    // tests poll the HTTP API every 20 ms from one address; HttpLimitsTest sets the rate it tests
    env.put("ROOMS_API_RATE_PER_SEC", "1000");
    env.put("ROOMS_API_BURST", "1000");
    // a node started as a process would first warm up for up to 30 s; WarmupTest tests the warm-up
    env.put("ROOMS_WARMUP_SEC", "0");
    env.putAll(extra);
    return env;
  }

  /** A lone test node's config. */
  public static ServerConfig config(Map<String, String> extra) {
    return ServerConfig.of(settings("test-" + UUID.randomUUID(), clusterPort(), extra));
  }

  /**
   * A random Hazelcast base port, so that test clusters and a developer's node do not probe each
   * other; below Linux's ephemeral range (32768 on), where outgoing connections take their ports.
   */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public static int clusterPort() {
    return 20000 + RANDOM.nextInt(250) * 50;
  }

  public static Node start(ServerConfig config) {
    try {
      return Node.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("node did not start: " + e, e);
    }
  }

  public static void stop(Node node) {
    if (node != null) {
      try {
        node.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("node did not stop: " + e, e);
      }
    }
  }

  /**
   * A free HTTP port for a test node, from 10000-19999: an ephemeral port (what the OS hands out
   * for port 0) can be taken by an outgoing connection before the node binds it, which CI saw.
   */
  public static int freePort() {
    for (int attempt = 0; attempt < 200; attempt++) {
      int candidate = 10000 + RANDOM.nextInt(10000);
      // a port is free until its node binds it: two settings made before either node started were
      // once given the same port, so a port is handed out once per test JVM
      if (!HANDED_OUT.add(candidate)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(candidate, 1, InetAddress.getByName("127.0.0.1"))) {
        return s.getLocalPort();
      } catch (IOException inUse) {
        // taken: try another
      }
    }
    throw new AssertionError("no free port in 10000-19999");
  }

  /**
   * Waits until Hazelcast has moved every partition to the nodes that joined: an operation on a
   * partition still moving waits for it, and a first activation right after a join once took over
   * 5 s on a CI machine, past the request timeout.
   */
  public static void awaitPartitionsSettled(Node... nodes) {
    eventually(30_000, "partitions settled", () -> Arrays.stream(nodes).allMatch(Node::clusterSafe));
  }

  /** Polls {@code condition} every 20 ms until it holds, or fails after {@code ms}. */
  public static void eventually(long ms, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within " + ms + " ms: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
  }
}
