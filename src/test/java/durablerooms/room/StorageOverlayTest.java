package durablerooms.room;

import durablerooms.api.StorageFullException;
import durablerooms.state.MemberSet;
import durablerooms.storage.LogicArchive;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A handler's view of storage without Vert.x: writes over committed values, copies, limits. */
class StorageOverlayTest {
  private static LogicState state(long maxBytes, String... committed) {
    TreeMap<String, String> values = new TreeMap<>();
    for (int i = 0; i < committed.length; i += 2) {
      values.put(committed[i], committed[i + 1]);
    }
    LogicArchive.Loaded loaded = new LogicArchive.Loaded(1, 0, values, List.of(), new LinkedHashMap<>(), new TreeMap<>());
    return new LogicState("t/r", loaded, MemberSet.empty(), new LogicState.Limits(10, maxBytes, 100, 50, 20));
  }

  @Test
  void writesLieOverCommittedValuesAndListsAreSortedByKey() {
    StorageOverlay s = new StorageOverlay(state(10_000, "a:1", "1", "a:2", "\"two\"", "b", "true"), () -> {});
    s.put("a:3", 3);
    s.delete("a:1");
    assertNull(s.get("a:1"));
    assertEquals("two", s.get("a:2"));
    assertEquals(Map.of("a:2", "two", "a:3", 3), s.list("a:"));
    assertEquals(List.of("a:2", "a:3", "b"), List.copyOf(s.list("").keySet()));
    assertEquals(List.of("a:3", "a:1"), List.copyOf(s.writtenText().keySet()), "what the store gets, in write order");
    assertNull(s.writtenText().get("a:1"), "a delete is a null");
  }

  @Test
  void jsonValuesAreCopiesTheLogicMustPutBack() {
    StorageOverlay s = new StorageOverlay(state(10_000), () -> {});
    JsonObject board = new JsonObject().put("cells", new JsonArray().add("x"));
    s.put("board", board);
    board.put("cheat", true);
    ((JsonObject) s.get("board")).put("cheat", true);
    assertEquals(new JsonObject().put("cells", new JsonArray().add("x")), s.get("board"), "neither change reached storage");
  }

  @Test
  void aValueOrARoomOverItsLimitIsStorageFull() {
    StorageOverlay s = new StorageOverlay(state(120, "old", "\"" + "x".repeat(40) + "\""), () -> {});
    assertThrows(StorageFullException.class, () -> s.put("big", "y".repeat(101)), "over 100 characters as JSON");
    s.put("k", "z".repeat(60)); // 1 + 62 + 3 + 42 = 108 of 120
    assertThrows(StorageFullException.class, () -> s.put("k2", "z".repeat(20)));
    s.delete("old");
    s.put("k2", "z".repeat(20)); // room again once a value is gone
    assertThrows(IllegalArgumentException.class, () -> s.put("x".repeat(21), 1), "a key of 1 to 20 characters");
    assertThrows(IllegalArgumentException.class, () -> s.put("k3", new Object()));
  }

  @Test
  void aViewRefusesUseOnceItsHandlerHasEnded() {
    boolean[] ended = {false};
    StorageOverlay s = new StorageOverlay(state(10_000), () -> {
      if (ended[0]) {
        throw new IllegalStateException("ended");
      }
    });
    s.put("k", 1);
    ended[0] = true;
    assertThrows(IllegalStateException.class, () -> s.get("k"));
    assertTrue(s.written().containsKey("k"));
  }
}
