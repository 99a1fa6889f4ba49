package durablerooms.gateway;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OwnerCacheTest {
  @Test
  @DisplayName("the owners of rooms reached from a node are remembered up to a bound, however many names come")
  void bounded() {
    OwnerCache cache = new OwnerCache(100);
    for (int i = 0; i < 10_000; i++) {
      cache.put("room-" + i, "node-" + (i % 3));
    }
    assertEquals(100, cache.size());
    cache.put("room-x", "node-1");
    assertEquals("node-1", cache.get("room-x", "here"), "the newest entry is kept");
    assertEquals("here", cache.get("never-seen", "here"));
  }

  @Test
  @DisplayName("a room's owner is forgotten only if it is still the one given")
  void conditionalRemove() {
    OwnerCache cache = new OwnerCache(10);
    cache.put("r", "node-2");
    cache.remove("r", "node-1");
    assertEquals("node-2", cache.get("r", "here"));
    cache.remove("r", "node-2");
    assertEquals("here", cache.get("r", "here"));
  }
}
