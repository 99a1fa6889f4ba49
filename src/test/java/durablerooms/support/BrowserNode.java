package durablerooms.support;

import durablerooms.Node;
import durablerooms.config.ServerConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One node and headless browser pages for a browser test class, registered as a static extension:
 * {@code @RegisterExtension static final BrowserNode BROWSERS = BrowserNode.with(Map.of(), "alice", "bob");}
 * The browsers start while the node does; after each test no page's console holds an error (a
 * script error, a CSP violation, blocked content), unless the class said not to check; after the
 * class the browsers quit and the node stops.
 */
public final class BrowserNode implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private final Map<String, String> extra;
  private final List<String> labels;
  private String[] chromiumArguments = {};
  private String scheme = "http";
  private boolean checkConsoles = true;
  private final Map<String, CompletableFuture<ChatPage>> starting = new LinkedHashMap<>();
  private final Map<String, ChatPage> pages = new LinkedHashMap<>();
  private Map<String, String> settings;
  private Node node;

  private BrowserNode(Map<String, String> extra, List<String> labels) {
    this.extra = extra;
    this.labels = labels;
  }

  /** A node with the default settings but for {@code extra}, and one browser page per label. */
  public static BrowserNode with(Map<String, String> extra, String... labels) {
    return new BrowserNode(extra, List.of(labels));
  }

  /** The browsers get {@code arguments} too (e.g. to accept a test certificate). */
  public BrowserNode chromiumArguments(String... arguments) {
    this.chromiumArguments = arguments;
    return this;
  }

  /** The node serves HTTPS (its settings name a certificate): the origin is https://. */
  public BrowserNode https() {
    this.scheme = "https";
    return this;
  }

  /** For a class whose pages see their node go away: the console then reports refused connections. */
  public BrowserNode withoutConsoleChecks() {
    this.checkConsoles = false;
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    for (String label : labels) {
      starting.put(label, ChatPage.startAsync(label, chromiumArguments));
    }
    settings = TestNodes.settings("test-" + UUID.randomUUID(), TestNodes.clusterPort(), extra);
    node = TestNodes.start(ServerConfig.of(settings));
    for (String label : labels) {
      pages.put(label, ChatPage.await(starting.get(label)));
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!checkConsoles) {
      return;
    }
    for (ChatPage p : pages.values()) {
      assertEquals(List.of(), p.consoleErrors(), p.label + "'s console: no script errors, no CSP violations, "
          + "no blocked content");
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      @SuppressWarnings("unchecked")
      CompletableFuture<ChatPage>[] all = new ArrayList<>(starting.values()).toArray(new CompletableFuture[0]);
      ChatPage.quit(all);
    } finally {
      TestNodes.stop(node);
    }
  }

  /** The page of {@code label}. */
  public ChatPage page(String label) {
    ChatPage p = pages.get(label);
    if (p == null) {
      throw new IllegalArgumentException("no page " + label);
    }
    return p;
  }

  public Node node() {
    return node;
  }

  /** The node's origin as a page loads it, e.g. http://127.0.0.1:8123. */
  public String origin() {
    return scheme + "://127.0.0.1:" + node.httpPort();
  }

  /** Stops the node (a page then sees it go away); {@link #startNode} brings it back. */
  public void stopNode() {
    TestNodes.stop(node);
    node = null;
  }

  /** Starts the node again with the same settings: the same data folder and port. */
  public void startNode() {
    node = TestNodes.start(ServerConfig.of(settings));
  }
}
