package durablerooms;

import durablerooms.config.ServerConfig;
import durablerooms.support.RawWs;
import durablerooms.support.TestNodes;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * After a restart, when the cluster holds no lease, a room of a user's type that the store holds is
 * known: joining it again takes nothing from the client's budget of new rooms.
 */
class RoomTypeRestartTest {
  @Test
  void aStoredRoomOfAUsersTypeIsNoNewRoomAfterARestart() throws Exception {
    ServerConfig config = ServerConfig.of(TestNodes.settings("test-" + UUID.randomUUID(), TestNodes.clusterPort(),
        Map.of("ROOMS_NEW_ROOMS_PER_MIN", "1")));
    Node node = TestNodes.start(config);
    try {
      RawWs.Upgrade first = RawWs.upgrade(node.httpPort(), "/rooms/ledger/kept", Map.of());
      assertEquals(101, first.status());
      first.ws().socket.close();
      TestNodes.eventually(10_000, "the room is stored", () -> node.host().isActive("ledger/kept"));
    } finally {
      TestNodes.stop(node);
    }
    Node again = TestNodes.start(config); // a fresh budget, and a cluster that holds no lease
    try {
      assertEquals(101, RawWs.upgrade(again.httpPort(), "/rooms/ledger/new-one", Map.of()).status(),
          "the budget's one new room");
      assertEquals(101, RawWs.upgrade(again.httpPort(), "/rooms/ledger/kept", Map.of()).status(),
          "the stored room is known: no new room");
      assertEquals(429, RawWs.upgrade(again.httpPort(), "/rooms/ledger/another", Map.of()).status(),
          "a second new room is over the budget");
    } finally {
      TestNodes.stop(again);
    }
  }
}
