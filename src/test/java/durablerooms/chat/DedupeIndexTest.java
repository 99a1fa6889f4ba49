package durablerooms.chat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DedupeIndexTest {
  /** Random puts and removes, as a room's retention makes them, agree with a HashMap at every step. */
  @Test
  void agreesWithAMap() {
    Random random = new Random(42);
    DedupeIndex index = new DedupeIndex();
    Map<String, Long> expected = new HashMap<>();
    Map<Long, String> keyOf = new HashMap<>();
    List<String> keys = new ArrayList<>();
    for (long step = 1; step <= 200_000; step++) {
      if (keys.isEmpty() || random.nextInt(3) > 0) {
        // few distinct client identities and short ids: many keys share hash neighbourhoods
        String key = "c:" + random.nextInt(50) + "\n" + random.nextInt(4000);
        if (expected.containsKey(key)) {
          continue;
        }
        index.put(key.hashCode(), step);
        expected.put(key, step);
        keyOf.put(step, key);
        keys.add(key);
      } else {
        String key = keys.remove(random.nextInt(keys.size()));
        index.remove(key.hashCode(), expected.remove(key));
      }
      if (step % 1000 == 0) {
        for (Map.Entry<String, Long> e : expected.entrySet()) {
          String key = e.getKey();
          assertEquals(e.getValue(), index.get(key.hashCode(), seq -> key.equals(keyOf.get(seq))), "step " + step);
        }
        assertEquals(expected.size(), index.size());
      }
    }
    for (String key : List.of("c:1\n-1", "c:999\n1", "")) {
      assertEquals(0, index.get(key.hashCode(), seq -> key.equals(keyOf.get(seq))));
    }
  }

  /** Keys whose String hashes collide are told apart by their text; removing one keeps the other. */
  @Test
  void collidingHashes() {
    DedupeIndex index = new DedupeIndex();
    Map<Long, String> keyOf = Map.of(1L, "Aa", 2L, "BB"); // "Aa".hashCode() == "BB".hashCode()
    int hash = "Aa".hashCode();
    index.put(hash, 1);
    index.put(hash, 2);
    assertEquals(1, index.get(hash, seq -> "Aa".equals(keyOf.get(seq))));
    assertEquals(2, index.get(hash, seq -> "BB".equals(keyOf.get(seq))));
    index.remove(hash, 1);
    assertEquals(0, index.get(hash, seq -> "Aa".equals(keyOf.get(seq))));
    assertEquals(2, index.get(hash, seq -> "BB".equals(keyOf.get(seq))));
    index.remove(hash, 3); // not stored: nothing removed
    assertEquals(2, index.get(hash, seq -> "BB".equals(keyOf.get(seq))));
    assertEquals(1, index.size());
  }
}
