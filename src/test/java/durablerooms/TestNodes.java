package durablerooms;

import durablerooms.config.ServerConfig;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Starts real nodes for tests (own random cluster name, free loopback port) and waits on conditions. */
final class TestNodes {
  private TestNodes() {}

  static ServerConfig config() {
    return ServerConfig.defaults()
        .withClusterName("test-" + UUID.randomUUID())
        .withHttpPort(freePort());
  }

  static Node start(ServerConfig config) {
    try {
      return Node.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("node did not start: " + e, e);
    }
  }

  static void stop(Node node) {
    if (node != null) {
      try {
        node.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("node did not stop: " + e, e);
      }
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Polls {@code condition} every 20 ms until it holds, or fails after {@code ms}. */
  static void eventually(long ms, String what, BooleanSupplier condition) {
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
