package durablerooms;

import com.hazelcast.map.IMap;
import durablerooms.cluster.Processors;
import durablerooms.room.SleepingRooms;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.storage.LogicArchive;
import durablerooms.support.NodeExtension;
import durablerooms.support.PrometheusText;
import durablerooms.support.TestNodes;
import durablerooms.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A room that slept on a node wakes there from the state the node kept (ROOMS_WAKE_CACHE_MB), which
 * is exactly what the store reads back, and goes on as if it had been read from the store; a kept
 * state that another activation made stale, or whose member set changed meanwhile, is not used.
 */
class WakeFromMemoryTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String API_KEY = "wake-key-0123456789abcdef";
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of(
      "ROOMS_IDLE_TIMEOUT_MS", "300",
      "ROOMS_HISTORY_LIMIT", "5",
      "ROOMS_API_KEY", API_KEY));

  private static WsClient join(String room, String client) {
    WsClient c = WsClient.connect(NODE.client(), NODE.port(), "/rooms/ledger/" + room + "?client=" + client);
    c.next("PRESENCE");
    c.nextOfType("hello");
    return c;
  }

  private static JsonObject op(String op) {
    return new JsonObject().put("op", op);
  }

  /**
   * Writes of every kind, past the history limit of events and of ACKs: values (one overwritten,
   * text that JSON escapes, a number with a fraction, an object with a null), eight events, an alarm
   * set and one set and cancelled; returns once the last is ACKed.
   */
  private static void writeEveryKind(WsClient a) {
    a.send(op("put").put("key", "n").put("value", 1.5).put("id", "p1"));
    a.send(op("put").put("key", "s").put("value", "h\u00e9llo \"x\" \u2713\n").put("id", "p2"));
    a.send(op("put").put("key", "o").put("value",
        new JsonObject().put("a", new JsonArray().add(1).add(true)).putNull("z")).put("id", "p3"));
    a.send(op("put").put("key", "n").put("value", 2.25).put("id", "p4"));
    for (int i = 0; i < 8; i++) {
      a.send(op("publish").put("text", "e" + i).put("id", "e" + i));
    }
    a.send(op("alarm").put("name", "later").put("inMs", 600_000).put("id", "al1"));
    a.send(op("alarm").put("name", "gone").put("inMs", 600_000).put("id", "al2"));
    a.send(op("cancel").put("name", "gone").put("id", "al3"));
    a.nextMatching(f -> "ACK".equals(f.getString("type")) && "al3".equals(f.getString("id")), "the last ACK");
  }

  private static LogicArchive.Loaded keptOnceAsleep(String key) {
    SleepingRooms sleeping = NODE.node().sleepingRooms();
    TestNodes.eventually(10_000, "the room slept and its state is kept", () -> sleeping.peek(key) != null);
    return sleeping.peek(key);
  }

  /**
   * The value of {@code key} as the room answers it once it is read again: a room dropped for what
   * it started from answers nothing, and the gateway tells the client so ("unavailable") until then.
   */
  private static JsonObject valueOnceReadAgain(WsClient a, String key) {
    for (int i = 0; i < 10; i++) {
      a.send(op("get").put("key", key));
      JsonObject answer = a.nextMatching(f -> "value".equals(f.getString("type")) || "ERROR".equals(f.getString("type")),
          "a value or an error");
      if (!"ERROR".equals(answer.getString("type"))) {
        return answer;
      }
      assertEquals("unavailable", answer.getString("code"));
    }
    throw new AssertionError("no value after 10 tries");
  }

  private static double wokenFromMemory() {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + NODE.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      return PrometheusText.parse(r.body()).value("rooms_wakeups_from_memory_total");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theStateKeptWhenARoomSleepsIsWhatTheStoreReadsBack() throws Exception {
    String key = "ledger/kept";
    try (WsClient a = join("kept", "k1")) {
      writeEveryKind(a);
      LogicArchive.Loaded kept = keptOnceAsleep(key);
      // a read of the store as an activation on another node makes it (which raises the store's epoch)
      LogicArchive.Loaded stored = NODE.node().logicArchive().activate(key).get(10, TimeUnit.SECONDS);
      assertEquals(kept.epoch() + 1, stored.epoch());
      assertEquals(stored.seq(), kept.seq());
      assertEquals(stored.values(), kept.values());
      assertEquals(stored.events(), kept.events());
      assertEquals(5, kept.events().size(), "the last ROOMS_HISTORY_LIMIT events");
      assertEquals(new ArrayList<>(stored.acks().values()), new ArrayList<>(kept.acks().values()), "the ACKs, in order");
      assertEquals(stored.alarms(), kept.alarms());
      assertEquals(stored.applied(), kept.applied());
      assertEquals(stored.reserved(), kept.reserved());

      // that activation (as another node's would) changes the room: the kept state is stale. The
      // wake's raise of the store's epoch fails (and raises it past both), so nothing the room woken
      // from it does goes out; it is dropped, and the client's retries find it read from the store.
      java.util.LinkedHashMap<String, String> changed = new java.util.LinkedHashMap<>();
      changed.put("n", "99");
      NODE.node().logicArchive().commit(new LogicArchive.Change(key, stored.epoch(), changed, java.util.List.of(),
          java.util.List.of(), stored.seq())).get(10, TimeUnit.SECONDS);
      double before = wokenFromMemory();
      assertEquals(99, valueOnceReadAgain(a, "n").getInteger("value"), "never the stale value");
      assertEquals(before, wokenFromMemory(), "not counted as woken from memory");
      assertNull(NODE.node().sleepingRooms().peek(key), "the stale state is gone");
      a.send(op("publish").put("text", "next").put("id", "n1"));
      assertEquals(9, a.nextOfType("ACK").getLong("seq"), "the room numbers on from the store's seq");
    }
  }

  @Test
  void aRoomWakesFromTheKeptStateAndGoesOnAsIfReadFromTheStore() {
    String key = "ledger/woken";
    try (WsClient a = join("woken", "w1")) {
      writeEveryKind(a);
      keptOnceAsleep(key);
      double before = wokenFromMemory();

      a.send(op("get").put("key", "o"));
      JsonObject value = a.nextOfType("value");
      assertEquals(before + 1, wokenFromMemory(), "woken from memory");
      assertNull(NODE.node().sleepingRooms().peek(key), "the kept state was taken");
      assertEquals(new JsonObject().put("a", new JsonArray().add(1).add(true)).putNull("z"), value.getJsonObject("value"));
      JsonObject all = value.getJsonObject("all");
      assertEquals(2.25, all.getDouble("n"));
      assertEquals("h\u00e9llo \"x\" \u2713\n", all.getString("s"));

      a.send(op("publish").put("text", "e7").put("id", "e7")); // a retry of an ACKed frame: its first ACK, no second run
      assertEquals(8, a.nextOfType("ACK").getLong("seq"));
      a.send(op("publish").put("text", "e8").put("id", "e8"));
      assertEquals(9, a.nextOfType("ACK").getLong("seq"));
      a.send(op("alarms"));
      assertEquals(new JsonArray().add("later"), a.nextOfType("alarms").getJsonArray("names"));

      // and again: each sleep keeps the state its activation left
      keptOnceAsleep(key);
      a.send(op("publish").put("text", "e9").put("id", "e9"));
      assertEquals(10, a.nextOfType("ACK").getLong("seq"));
      assertEquals(before + 2, wokenFromMemory());
    }
    try (WsClient late = WsClient.connect(NODE.client(), NODE.port(), "/rooms/ledger/woken?since=0")) {
      late.next("PRESENCE");
      JsonObject history = late.next("HISTORY");
      JsonArray messages = history.getJsonArray("messages");
      assertEquals(5, messages.size(), "the last ROOMS_HISTORY_LIMIT events: " + messages);
      assertEquals(6, messages.getJsonObject(0).getLong("seq"));
      assertEquals("e9", messages.getJsonObject(4).getString("text"));
      assertTrue(history.getBoolean("gap"));
    }
  }

  @Test
  void aRoomWhoseMemberSetChangedWhileAsleepIsNotWokenWithTheMembersKept() {
    String key = "ledger/roster";
    try (WsClient a = join("roster", "r1")) {
      a.send(op("put").put("key", "k").put("value", 1).put("id", "r1-put"));
      a.nextOfType("ACK");
      keptOnceAsleep(key);
      // only the room's activations change its member set; one the cluster lost and counted again
      // would differ like this from what the node kept
      IMap<String, MemberSet> sets = NODE.node().hazelcast().getMap("rooms.members");
      Member behind = new Member("behind", "behind", NODE.node().nodeId());
      assertTrue((Boolean) sets.executeOnKey(key, new Processors.ChangeMembers(sets.get(key).epoch(),
          List.of(new Processors.MemberChange(behind, false)))));
      double before = wokenFromMemory();
      assertEquals(1, valueOnceReadAgain(a, "k").getInteger("value"));
      assertEquals(before, wokenFromMemory(), "not counted as woken from memory");
      try (WsClient b = WsClient.connect(NODE.client(), NODE.port(), "/rooms/ledger/roster?client=r2")) {
        JsonArray members = b.next("PRESENCE").getJsonArray("members");
        List<String> ids = members.stream().map(m -> ((JsonObject) m).getString("id")).toList();
        assertTrue(ids.contains("behind"), "the member set as the cluster holds it: " + members);
      }
    }
  }

  @Test
  void aRoomWokenFromAStaleStateSendsNothingEvenWhatNeedsNoWrite() throws Exception {
    String key = "dashboard/held";
    try (WsClient viewer = WsClient.connect(NODE.client(), NODE.port(), "/rooms/dashboard/held")) {
      viewer.next("PRESENCE");
      viewer.nextOfType("figures");
      assertEquals(200, DashboardTest.push(NODE.port(), API_KEY, "held", "{\"figure\":\"a\",\"value\":1}").statusCode());
      keptOnceAsleep(key);
      NODE.node().logicArchive().activate(key).get(10, TimeUnit.SECONDS); // as another node's activation would
      // a viewer's frame is refused by the dashboard without any write: from a stale room, even
      // that refusal must not go out
      viewer.send(new JsonObject().put("type", "message").put("text", "hello"));
      assertEquals("unavailable", viewer.nextOfType("ERROR").getString("code"));
      viewer.send(new JsonObject().put("type", "message").put("text", "hello"));
      assertEquals("read_only", viewer.nextOfType("ERROR").getString("code"), "the room read from the store refuses it");
    }
  }
}
