package durablerooms;

import durablerooms.support.NodeProcess;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rooms outlive their node: restart on the same data folder, resume with since, retention. */
@Tag("process")
@ExtendWith(VertxExtension.class)
class DurabilityTest {

  @Test
  @DisplayName("a node killed with kill -9 and started again on its data folder has every room back: history, next seq")
  void restartKeepsEveryAckedMessage(Vertx vertx) {
    String cluster = "restart-" + UUID.randomUUID();
    Map<String, String> env = TestNodes.settings(cluster, TestNodes.clusterPort(), Map.of("ROOMS_DURABILITY", "disk"));
    List<String> rooms = List.of("alpha-" + cluster.substring(8, 14), "beta-" + cluster.substring(8, 14),
        "gamma-" + cluster.substring(8, 14));
    Map<String, List<Long>> acked = new HashMap<>();
    try (NodeProcess first = NodeProcess.start("restart-a", env)) {
      first.awaitReady();
      List<WsClient> clients = new ArrayList<>();
      for (String room : rooms) {
        clients.add(WsClient.join(vertx, first.httpPort, "/chat/" + room + "?name=writer&client=w-" + room));
      }
      for (int i = 0; i < 25; i++) {
        for (int r = 0; r < rooms.size(); r++) {
          clients.get(r).say(rooms.get(r) + " #" + i, "id-" + i);
        }
      }
      for (int r = 0; r < rooms.size(); r++) {
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
          seqs.add(clients.get(r).nextOfType("ACK").getLong("seq"));
        }
        acked.put(rooms.get(r), seqs);
      }
      first.kill(); // no shutdown: what was ACKed must already be on disk
      clients.forEach(WsClient::close);
    }
    try (NodeProcess second = NodeProcess.start("restart-b", env)) {
      second.awaitReady();
      for (String room : rooms) {
        try (WsClient reader = WsClient.connect(vertx, second.httpPort, "/chat/" + room + "?name=reader&since=0")) {
          reader.next("SYSTEM");
          JsonObject presence = reader.next("PRESENCE");
          assertEquals(25L, presence.getLong("seq"), room + ": next seq continues");
          assertEquals(1, presence.getJsonArray("members").size(), room + ": the members of the dead node are gone");
          JsonArray history = reader.next("HISTORY").getJsonArray("messages");
          assertEquals(25, history.size(), room);
          for (int i = 0; i < 25; i++) {
            JsonObject m = history.getJsonObject(i);
            assertEquals(acked.get(room).get(i), m.getLong("seq"));
            assertEquals(room + " #" + i, m.getString("message"));
          }
          reader.say("after restart", "after");
          assertEquals(26L, reader.nextOfType("ACK").getLong("seq"));
        }
        // a retried id from before the restart is still recognised
        try (WsClient writer = WsClient.join(vertx, second.httpPort, "/chat/" + room + "?name=writer&client=w-" + room)) {
          writer.say("retry", "id-3");
          assertEquals(acked.get(room).get(3), writer.nextOfType("ACK").getLong("seq"));
        }
      }
    }
  }

  @Test
  @DisplayName("a room that lost the newest messages it handed out (every node killed) never gives their seqs to other "
      + "messages, and a client ahead of the room is told to reset")
  void lostTailNeverReusesSeqs(Vertx vertx) throws Exception {
    String cluster = "lost-tail-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    // two nodes: there an ACK waits for the memory of both, and the disk is written behind
    Map<String, String> env = TestNodes.settings(cluster, clusterPort, Map.of("ROOMS_DURABILITY", "memory"));
    Map<String, String> otherEnv = TestNodes.settings(cluster, clusterPort, Map.of("ROOMS_DURABILITY", "memory"));
    String room = "tail-" + cluster.substring(10, 18);
    String path = "/chat/" + room;
    Map<Long, String> seen = new HashMap<>(); // what members saw: seq -> message
    long lastSeen;
    try (NodeProcess first = NodeProcess.start("lost-tail-a", env);
         NodeProcess other = NodeProcess.start("lost-tail-b", otherEnv)) {
      first.awaitReady();
      other.awaitReady();
      TestNodes.eventually(30_000, "the nodes form one cluster", () -> first.nodesSeen() == 2);
      try (WsClient reader = WsClient.join(vertx, first.httpPort, path + "?name=reader");
           WsClient writer = WsClient.join(vertx, first.httpPort, path + "?name=writer&client=w")) {
        for (JsonObject message : sayAndReceive(writer, reader, "before #", "b", 6)) {
          seen.put(message.getLong("seq"), message.getString("message"));
        }
        lastSeen = Collections.max(seen.keySet());
        first.kill();
        other.kill();
      }
    }
    try (NodeProcess second = NodeProcess.start("lost-tail-c", env)) {
      second.awaitReady(); // the dead node's journal is in the store now
      List<Long> lost = loseStoredTail(Path.of(env.get("ROOMS_DATA_DIR")), room);
      assertFalse(lost.isEmpty());
      try (WsClient back = WsClient.connect(vertx, second.httpPort, path + "?name=reader&since=" + lastSeen);
           WsClient writer = WsClient.join(vertx, second.httpPort, path + "?name=writer&client=w")) {
        back.next("SYSTEM");
        long seq = back.next("PRESENCE").getLong("seq");
        assertTrue(seq >= lastSeen, "the room starts after every seq it handed out, at " + seq + ", lost " + lost);
        JsonObject history = back.next("HISTORY");
        assertTrue(history.getBoolean("gap"), "the lost messages are a gap: " + history);
        assertFalse(history.getBoolean("reset", false));
        for (JsonObject message : sayAndReceive(writer, back, "after #", "a", 3)) {
          String before = seen.put(message.getLong("seq"), message.getString("message"));
          assertTrue(before == null, "seq " + message.getLong("seq") + " was \"" + before + "\" and is now \""
              + message.getString("message") + "\"");
          assertTrue(message.getLong("seq") > lastSeen);
        }
      }
      long ahead = lastSeen + 1_000_000;
      try (WsClient stranger = WsClient.connect(vertx, second.httpPort, path + "?name=ahead&since=" + ahead)) {
        stranger.next("SYSTEM");
        long seq = stranger.next("PRESENCE").getLong("seq");
        JsonObject history = stranger.next("HISTORY");
        assertTrue(history.getBoolean("reset", false), "a since above the room's seq " + seq + " resets: " + history);
        assertTrue(history.getBoolean("gap"));
        JsonArray messages = history.getJsonArray("messages");
        assertEquals(seq, messages.getJsonObject(messages.size() - 1).getLong("seq"), "it gets what the room holds");
      }
    }
  }

  /**
   * What ROOMS_DURABILITY=memory may lose when every node is killed: the newest messages, ACKed once
   * in the memory of two nodes, that had not reached a journal. Made here by deleting the room's
   * newest stored run of messages and lowering its stored seq to match, with no node holding the
   * room; the rest of what the dead node wrote to disk stays. Returns the seqs deleted.
   */
  /**
   * {@code writer} says {@code n} messages with ids, then each one's ACK and its delivery to
   * {@code reader} must carry the same seq; the delivered MESSAGE frames, in order.
   */
  private static List<JsonObject> sayAndReceive(WsClient writer, WsClient reader, String text, String idPrefix, int n) {
    for (int i = 0; i < n; i++) {
      writer.say(text + i, idPrefix + i);
    }
    List<JsonObject> messages = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      JsonObject ack = writer.nextOfType("ACK");
      JsonObject message = reader.nextOfType("MESSAGE");
      assertEquals(ack.getLong("seq"), message.getLong("seq"));
      messages.add(message);
    }
    return messages;
  }

  private static List<Long> loseStoredTail(Path dataDir, String room) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("rooms.db"));
         Statement st = c.createStatement()) {
      st.execute("PRAGMA busy_timeout = 30000");
      long last;
      try (PreparedStatement ps = c.prepareStatement("SELECT MAX(seq) FROM logic_events WHERE room = ?")) {
        ps.setString(1, room);
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next() && rs.getLong(1) > 0, "the room's messages are stored");
          last = rs.getLong(1);
        }
      }
      long first = Math.max(1, last - 2); // the newest three, as if the last commits never reached a journal
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM logic_events WHERE room = ? AND seq >= ?");
           PreparedStatement lower = c.prepareStatement("UPDATE logic_rooms SET seq = ? WHERE room = ?")) {
        delete.setString(1, room);
        delete.setLong(2, first);
        delete.executeUpdate();
        lower.setLong(1, first - 1);
        lower.setString(2, room);
        lower.executeUpdate();
      }
      return LongStream.rangeClosed(first, last).boxed().toList();
    }
  }

  @Test
  @DisplayName("a client that reconnects with since gets exactly what it missed, then live messages, no duplicate, no hole")
  void resumeWithSince(Vertx vertx) {
    Node node = TestNodes.start(TestNodes.config(Map.of("ROOMS_RATE_BURST", "100")));
    try {
      String room = "resume-" + UUID.randomUUID().toString().substring(0, 8);
      long last;
      try (WsClient sender = WsClient.join(vertx, node.httpPort(), "/chat/" + room + "?name=sender&client=s")) {
        try (WsClient reader = WsClient.join(vertx, node.httpPort(), "/chat/" + room + "?name=reader")) {
          sender.say("before", "b0");
          last = reader.nextOfType("MESSAGE").getLong("seq");
        }
        // the first message's ACK, so that the 50 awaited below are the missed ones' (else the
        // reader could rejoin before the last of them reached the room)
        assertEquals(last, sender.nextOfType("ACK").getLong("seq"));
        for (int i = 0; i < 50; i++) {
          sender.say("missed " + i, "m" + i);
        }
        for (int i = 0; i < 50; i++) {
          sender.nextOfType("ACK");
        }
        try (WsClient back = WsClient.connect(vertx, node.httpPort(), "/chat/" + room + "?name=reader&since=" + last)) {
          back.next("SYSTEM");
          assertEquals(last + 50, back.next("PRESENCE").getLong("seq"));
          JsonObject history = back.next("HISTORY");
          assertFalse(history.getBoolean("gap"));
          JsonArray msgs = history.getJsonArray("messages");
          assertEquals(50, msgs.size());
          for (int i = 0; i < 50; i++) {
            assertEquals(last + 1 + i, msgs.getJsonObject(i).getLong("seq"));
            assertEquals("missed " + i, msgs.getJsonObject(i).getString("message"));
          }
          assertEquals(last + 1, history.getLong("from"));
          assertEquals(last + 50, history.getLong("to"));
          sender.say("live", "l1");
          JsonObject live = back.nextOfType("MESSAGE");
          assertEquals(last + 51, live.getLong("seq"));
          back.ping();
          assertTrue(back.seen.stream().filter(f -> "MESSAGE".equals(f.getString("type"))).count() == 1,
              "nothing replayed twice: " + back.seen);
        }
      }
    } finally {
      TestNodes.stop(node);
    }
  }

  @Test
  @DisplayName("only the last ROOMS_HISTORY_LIMIT messages are kept; a since older than that gets gap=true")
  void retention(Vertx vertx) {
    Node node = TestNodes.start(TestNodes.config(Map.of("ROOMS_HISTORY_LIMIT", "10")));
    try {
      String room = "retain-" + UUID.randomUUID().toString().substring(0, 8);
      try (WsClient sender = WsClient.join(vertx, node.httpPort(), "/chat/" + room + "?name=s")) {
        for (int i = 1; i <= 30; i++) {
          sender.say("n" + i, "i" + i);
        }
        for (int i = 1; i <= 30; i++) {
          sender.nextOfType("ACK");
        }
      }
      try (WsClient late = WsClient.connect(vertx, node.httpPort(), "/chat/" + room + "?name=late&since=5")) {
        late.next("SYSTEM");
        late.next("PRESENCE");
        JsonObject h = late.next("HISTORY");
        assertTrue(h.getBoolean("gap"), "messages 6..20 are no longer retained");
        assertEquals(10, h.getJsonArray("messages").size());
        assertEquals(21L, h.getJsonArray("messages").getJsonObject(0).getLong("seq"));
        late.send(new JsonObject().put("type", "history").put("before", 21).put("limit", 5));
        JsonObject page = late.nextOfType("HISTORY");
        assertTrue(page.getBoolean("gap"));
        assertEquals(0, page.getJsonArray("messages").size());
      }
    } finally {
      TestNodes.stop(node);
    }
  }
}
