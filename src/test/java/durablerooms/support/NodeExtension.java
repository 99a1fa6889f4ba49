package durablerooms.support;

import durablerooms.Node;

import durablerooms.config.ServerConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Map;

/**
 * One node for a test class, started before its tests and stopped after them, on loopback with its
 * own cluster name and ports ({@link TestNodes}) and the class's settings on top:
 * {@code @RegisterExtension static final NodeExtension NODE = NodeExtension.with(Map.of(...));}
 */
public final class NodeExtension implements BeforeAllCallback, AfterAllCallback {
  private final Map<String, String> settings;
  private ServerConfig config;
  private Node node;
  /** A Vert.x of the test's own for its clients (WebSocket, HTTP), made when first asked for. */
  private io.vertx.core.Vertx client;

  private NodeExtension(Map<String, String> settings) {
    this.settings = settings;
  }

  /** A node with the default settings but for {@code settings}. */
  public static NodeExtension with(Map<String, String> settings) {
    return new NodeExtension(settings);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    config = TestNodes.config(settings);
    node = TestNodes.start(config);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (client != null) {
      client.close();
    }
    TestNodes.stop(node);
  }

  /** The test's client Vert.x, closed after the class's tests. */
  public synchronized io.vertx.core.Vertx client() {
    if (client == null) {
      client = io.vertx.core.Vertx.vertx();
    }
    return client;
  }

  public Node node() {
    return node;
  }

  public ServerConfig config() {
    return config;
  }

  public int port() {
    return node.httpPort();
  }
}
