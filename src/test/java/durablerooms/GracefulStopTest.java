package durablerooms;

import durablerooms.support.NodeProcess;
import durablerooms.support.RawWs;

import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import durablerooms.config.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node that stops gracefully hands its rooms over and sends its clients elsewhere with 1012. */
@Tag("process")
@ExtendWith(VertxExtension.class)
class GracefulStopTest {

  @Test
  @DisplayName("a stopping node closes its clients with 1012, its members leave, its rooms move with their history")
  void gracefulStopHandsOver(Vertx vertx) {
    String cluster = "stop-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    Node stays = TestNodes.start(ServerConfig.of(TestNodes.settings(cluster, clusterPort, Map.of())));
    Node leaves = TestNodes.start(ServerConfig.of(TestNodes.settings(cluster, clusterPort, Map.of())));
    try {
      TestNodes.eventually(20_000, "two nodes", () -> stays.clusterSize() == 2);
      TestNodes.awaitPartitionsSettled(stays, leaves);
      String room = "handover-" + UUID.randomUUID().toString().substring(0, 8);
      try (WsClient onLeaving = WsClient.join(vertx, leaves.httpPort(), "/chat/" + room + "?name=a");
           WsClient onStaying = WsClient.join(vertx, stays.httpPort(), "/chat/" + room + "?name=b&client=b")) {
        assertTrue(leaves.host().isActive(room), "the leaving node runs the room");
        onLeaving.say("before the stop");
        assertEquals(1L, onStaying.nextOfType("MESSAGE").getLong("seq"));

        long started = System.currentTimeMillis();
        TestNodes.stop(leaves);
        long tookMs = System.currentTimeMillis() - started;
        assertTrue(tookMs < 10_000, "left the cluster within 10 s, took " + tookMs + " ms");
        TestNodes.eventually(5_000, "the client is told to reconnect", () -> onLeaving.closeCode != null);
        assertEquals((short) 1012, onLeaving.closeCode);
        JsonObject leave = onStaying.nextOfType("LEAVE");
        assertEquals("a", leave.getJsonObject("member").getString("user"));
        TestNodes.eventually(10_000, "one node left", () -> stays.clusterSize() == 1);

        onStaying.say("after the stop", "after-1");
        assertEquals(2L, onStaying.nextOfType("ACK").getLong("seq"), "seq continues on the node that stayed");
        assertTrue(stays.host().isActive(room));
        try (WsClient back = WsClient.connect(vertx, stays.httpPort(), "/chat/" + room + "?name=a&since=0")) {
          back.next("SYSTEM");
          back.next("PRESENCE");
          assertEquals(2, back.next("HISTORY").getJsonArray("messages").size());
        }
      }
    } finally {
      TestNodes.stop(stays);
      TestNodes.stop(leaves); // closing twice returns the first close

    }
  }

  @Test
  @DisplayName("a client that never answers the close holds a stop up for 2 s, not for the ping timeout")
  void aClientThatDoesNotAnswerTheCloseIsCutOffSoon() throws Exception {
    Node node = TestNodes.start(TestNodes.config(Map.of()));
    try (RawWs deaf = RawWs.open(node.httpPort(), "/chat/deaf-" + UUID.randomUUID().toString().substring(0, 8)
        + "?name=deaf")) {
      deaf.nextOfType("PRESENCE");
      long started = System.nanoTime();
      Future<Void> closing = node.close();
      assertEquals(Node.StopStep.CLIENTS, node.stopStep());
      assertEquals(1012, deaf.awaitClose(10_000), "told to reconnect elsewhere");
      while (deaf.read(15_000) != null) {
        // it reads what comes (a second close, as Vert.x shuts its server down), but never answers
      }
      long cutMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertTrue(cutMs < 4_000, "cut off " + cutMs + " ms after the stop began");
      closing.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(Node.StopStep.STOPPED, node.stopStep());
    } finally {
      TestNodes.stop(node);
    }
  }

  @Test
  @DisplayName("a node stopped with SIGTERM while its rooms take messages logs no warning and no stack trace, "
      + "and leaves no journal behind")
  void sigtermUnderLoadIsClean(Vertx vertx, @TempDir Path dir) throws IOException {
    Map<String, String> env = new HashMap<>(TestNodes.settings("stop-" + UUID.randomUUID(), TestNodes.clusterPort(),
        Map.of()));
    env.put("ROOMS_DATA_DIR", dir.resolve("data").toString());
    try (NodeProcess node = NodeProcess.start("sigterm-" + UUID.randomUUID().toString().substring(0, 8), env)) {
      node.awaitReady();
      List<WsClient> talkers = new ArrayList<>();
      long timer = -1;
      try {
        for (int i = 0; i < 6; i++) {
          talkers.add(WsClient.join(vertx, node.httpPort, "/chat/load-" + (i % 3) + "?name=t" + i + "&client=t" + i));
        }
        int[] sent = {0};
        timer = vertx.setPeriodic(60, t -> { // 16 a second each: under the per-connection rate limit
          for (WsClient c : talkers) {
            c.say("message " + sent[0]++, "id-" + sent[0]);
          }
        });
        WsClient first = talkers.get(0);
        for (int acks = 0; acks < 20; acks++) {
          first.nextOfType("ACK"); // the rooms are busy writing
        }

        assertEquals(143, node.stop(), "the exit status of a process stopped by SIGTERM");
      } finally {
        vertx.cancelTimer(timer);
        talkers.forEach(WsClient::close);
      }
      String log = String.join("\n", Files.readAllLines(node.log));
      assertTrue(log.contains("stopped"), "the stop completed:\n" + log);
      assertEquals(List.of(), node.troubles(), "no warning, error or stack trace in the log:\n" + log);
      try (Stream<Path> journal = Files.list(dir.resolve("data").resolve("journal"))) {
        assertEquals(List.of(), journal.toList(), "a clean stop deletes its journal: the store has it all");
      }
    }
  }
}
