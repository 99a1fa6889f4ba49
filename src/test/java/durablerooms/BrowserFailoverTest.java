package durablerooms;

import durablerooms.support.TestNodes;

import durablerooms.support.ChatPage;

import durablerooms.config.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page while its node stops (two nodes in this JVM, one cluster): it shows that it reconnects,
 * comes back through the other node, and every message typed meanwhile appears exactly once.
 */
@Tag("browser")
@Tag("cluster")
class BrowserFailoverTest {
  private static Node nodeA;
  private static Node nodeB;
  private static CompletableFuture<Void> stoppingA;
  private static CompletableFuture<ChatPage> startingAlice;
  private static CompletableFuture<ChatPage> startingBob;
  private static ChatPage alice;
  private static ChatPage bob;

  @BeforeAll
  static void start() {
    startingAlice = ChatPage.startAsync("alice"); // the browsers start while the nodes do
    startingBob = ChatPage.startAsync("bob");
    String cluster = "test-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    Map<String, String> extra = Map.of("ROOMS_REQUEST_TIMEOUT_MS", "2000");
    nodeA = TestNodes.start(ServerConfig.of(TestNodes.settings(cluster, clusterPort, extra)));
    nodeB = TestNodes.start(ServerConfig.of(TestNodes.settings(cluster, clusterPort, extra)));
    TestNodes.eventually(20_000, "both nodes in one cluster", () -> nodeA.clusterSize() == 2 && nodeB.clusterSize() == 2);
    TestNodes.awaitPartitionsSettled(nodeA, nodeB);
    alice = ChatPage.await(startingAlice);
    bob = ChatPage.await(startingBob);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      ChatPage.quit(startingAlice, startingBob);
    } finally {
      try {
        if (stoppingA != null) {
          stoppingA.get(30, TimeUnit.SECONDS);
        } else {
          TestNodes.stop(nodeA);
        }
      } finally {
        TestNodes.stop(nodeB);
      }
    }
  }

  @Test
  @DisplayName("the page's node stops while the page sends: it shows reconnecting, comes back through the other node, "
      + "and every message typed appears exactly once on both pages")
  void pageSurvivesItsNodeStopping() throws Exception {
    String room = "r-" + UUID.randomUUID().toString().substring(0, 8);
    alice.open("http://127.0.0.1:" + nodeA.httpPort(), "/#/room/" + room, "alice").waitLive();
    bob.open("http://127.0.0.1:" + nodeB.httpPort(), "/#/room/" + room, "bob").waitLive();
    alice.waitUntil("alice sees bob", () -> alice.presence().size() == 2);
    assertEquals(nodeA.nodeId(), alice.node(), "alice's page talks to the node that served it");

    List<String> typed = new ArrayList<>();
    typed.add("before the stop");
    alice.send("before the stop");
    alice.waitUntil("acknowledged", alice::nonePending);
    alice.waitUntil("the page knows the other node", () -> (Boolean) alice.js(
        "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/api/nodes'))"));

    alice.recordStates();
    stoppingA = CompletableFuture.runAsync(() -> TestNodes.stop(nodeA));
    // keep typing while the node stops and until the page is back: some messages go out on the dying
    // socket, some wait in the page while it reconnects, the rest go to the other node
    for (int i = 1; i <= 40 && !(alice.recordedStates().contains("reconnecting") && "live".equals(alice.state())); i++) {
      alice.send("during " + i);
      typed.add("during " + i);
    }
    alice.waitUntil("the page is live again, through node B",
        () -> "live".equals(alice.state()) && nodeB.nodeId().equals(alice.node()));
    assertTrue(alice.recordedStates().contains("reconnecting"), "the page showed it was reconnecting: "
        + alice.recordedStates());
    stoppingA.get(30, TimeUnit.SECONDS);
    for (int i = 1; i <= 3; i++) {
      alice.send("after " + i);
      typed.add("after " + i);
    }

    alice.waitUntil("alice's page shows every message once, none pending",
        () -> alice.nonePending() && exactlyOnce(alice.texts(), typed));
    bob.waitUntil("bob's page shows every message once", () -> exactlyOnce(bob.texts(), typed));
    assertEquals(alice.texts(), bob.texts(), "both pages show the room's one order");
    List<Object> seqs = alice.messages().stream().map(m -> m.get("seq")).toList();
    assertTrue(seqs.stream().allMatch(Objects::nonNull), "every message has its seq: " + seqs);
    assertEquals(seqs, bob.messages().stream().map(m -> m.get("seq")).toList(), "the same seq for each message");
    bob.waitUntil("bob sees alice back in the room", () -> bob.presence().contains("alice") && bob.presence().size() == 2);
  }

  private static boolean exactlyOnce(List<String> shown, List<String> typed) {
    return shown.size() == typed.size() && typed.stream().allMatch(t -> shown.stream().filter(t::equals).count() == 1);
  }
}
