package durablerooms;

import durablerooms.support.NodeProcess;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Three node processes, one killed with kill -9 while a room with members on all three is busy:
 * what the survivors do about it, and what they say in their logs.
 */
@Tag("cluster")
@Tag("process")
@ExtendWith(VertxExtension.class)
class PeerDeathTest {
  private final List<NodeProcess> processes = new ArrayList<>();
  private final List<WsClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(WsClient::close);
    processes.forEach(NodeProcess::close);
  }

  @Test
  @DisplayName("kill -9 of a node: the room, run by a survivor that is not the oldest, drops the dead node's member, "
      + "and the survivors log no ERROR")
  void survivorsDropTheDeadNodesMembersAndLogNoError(Vertx vertx) throws Exception {
    String cluster = "death-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    for (int i = 0; i < 3; i++) { // one at a time: node 0 is the oldest
      NodeProcess p = NodeProcess.start(cluster.substring(6, 14) + "-node" + i,
          TestNodes.settings(cluster, clusterPort, Map.of()));
      processes.add(p);
      p.awaitReady();
    }
    TestNodes.eventually(30_000, "three nodes", () -> processes.stream().allMatch(p -> log(p).contains("cluster of 3")));
    String room = "death-" + UUID.randomUUID().toString().substring(0, 8);
    // the first joiner's node runs the room: node 1, not the oldest (which sweeps up after a death)
    WsClient owner = join(vertx, 1, room, "on-owner");
    WsClient oldest = join(vertx, 0, room, "on-oldest");
    join(vertx, 2, room, "on-victim");
    long traffic = vertx.setPeriodic(50, t -> clients.forEach(c -> c.say("busy")));
    try {
      owner.nextOfType("MESSAGE"); // deliveries flow to every node
      // killed with deliveries it has not read yet, as a busy node is: the kernel then resets its
      // connections instead of closing them (what the others' logs showed as an ERROR)
      processes.get(2).signal("STOP");
      owner.nextOfType("MESSAGE"); // one more, delivered to the stopped node too; well within the failure timeout
      processes.get(2).kill();
      Predicate<JsonObject> victimLeft = f -> "LEAVE".equals(f.getString("type"))
          && "on-victim".equals(f.getJsonObject("member").getString("user"));
      for (WsClient c : List.of(owner, oldest)) {
        if (c.seen.stream().noneMatch(victimLeft)) {
          c.nextMatching(victimLeft, "the dead node's member leaves");
        }
      }
    } finally {
      vertx.cancelTimer(traffic);
    }
    for (NodeProcess survivor : processes.subList(0, 2)) {
      TestNodes.eventually(20_000, survivor.name + " saw the node leave", () -> log(survivor).contains("left the cluster"));
      List<String> errors = log(survivor).lines().filter(l -> l.contains(" ERROR ")).toList();
      assertEquals(List.of(), errors, survivor.name + " logs no ERROR for a peer's death:\n" + log(survivor));
    }
  }

  private WsClient join(Vertx vertx, int node, String room, String name) {
    WsClient c = WsClient.join(vertx, processes.get(node).httpPort, "/chat/" + room + "?name=" + name);
    clients.add(c);
    return c;
  }

  private static String log(NodeProcess p) {
    try {
      return Files.readString(p.log);
    } catch (IOException e) {
      return "";
    }
  }
}
