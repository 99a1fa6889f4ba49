package durablerooms;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The limits of the plain HTTP side of the edge, against one real node: bounded metric labels.
 * Each test speaks from its own loopback address (127.0.0.x), so that per-IP limits do not mix.
 */
class HttpLimitsTest {
  private static final Pattern METHOD_LABEL = Pattern.compile("method=\"([^\"]*)\"");
  private static Node node;
  private static int port;

  @BeforeAll
  static void startNode() {
    node = TestNodes.start(TestNodes.config(Map.of()));
    port = node.httpPort();
  }

  @AfterAll
  static void stopNode() {
    TestNodes.stop(node);
  }

  private static String metrics() throws Exception {
    RawHttp.Response r = RawHttp.get(port, null, "/metrics");
    assertEquals(200, r.status());
    return r.body();
  }

  @Test
  @DisplayName("made-up HTTP methods do not grow /metrics: unknown methods are labelled OTHER, and no label holds a path")
  void madeUpMethodsAreNotLabels() throws Exception {
    int before = metrics().length();
    try (Socket s = RawHttp.connect(port, "127.0.0.10")) {
      for (int i = 0; i < 300; i++) {
        RawHttp.send(s, "MADEUP" + i + " / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertTrue(RawHttp.read(s).status() >= 400);
      }
    }
    String after = metrics();
    PrometheusText.parse(after);
    Set<String> methods = new TreeSet<>();
    after.lines().filter(l -> l.startsWith("vertx_http_server")).forEach(l -> {
      Matcher m = METHOD_LABEL.matcher(l);
      if (m.find()) {
        methods.add(m.group(1));
      }
      assertFalse(l.contains("path=\"") || l.contains("route=\""), "no label holds a path: " + l);
    });
    assertTrue(methods.contains("OTHER"), "made-up methods are counted as OTHER: " + methods);
    assertTrue(methods.size() <= 10, "the standard methods and OTHER only: " + methods);
    assertTrue(after.length() - before < 20_000, "/metrics grew from " + before + " to " + after.length() + " bytes");
  }
}
