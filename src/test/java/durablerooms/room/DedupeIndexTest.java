package durablerooms.room;

import durablerooms.storage.ChatRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class DedupeIndexTest {
  private static ChatRecord record(long seq, String key) {
    return new ChatRecord(seq, 0, "u", "m", "text " + seq, "id", key);
  }

  /** Random puts and removes, as a room's retention makes them, agree with a HashMap at every step. */
  @Test
  void agreesWithAMap() {
    Random random = new Random(42);
    DedupeIndex index = new DedupeIndex();
    Map<String, ChatRecord> expected = new HashMap<>();
    List<String> keys = new ArrayList<>();
    for (int step = 0; step < 200_000; step++) {
      if (keys.isEmpty() || random.nextInt(3) > 0) {
        // few distinct client identities and short ids: many keys share hash neighbourhoods
        String key = "c:" + random.nextInt(50) + "\n" + random.nextInt(4000);
        ChatRecord r = record(step, key);
        if (expected.containsKey(key)) {
          continue;
        }
        index.put(key, r);
        expected.put(key, r);
        keys.add(key);
      } else {
        String key = keys.remove(random.nextInt(keys.size()));
        index.remove(key, expected.remove(key));
      }
      if (step % 1000 == 0) {
        for (Map.Entry<String, ChatRecord> e : expected.entrySet()) {
          assertSame(e.getValue(), index.get(e.getKey()), "step " + step);
        }
        assertEquals(expected.size(), index.size());
      }
    }
    for (String key : List.of("c:1\n-1", "c:999\n1", "")) {
      assertNull(index.get(key));
    }
  }

  /** Keys whose String hashes collide are told apart by their text; removing one keeps the other. */
  @Test
  void collidingHashes() {
    DedupeIndex index = new DedupeIndex();
    ChatRecord a = record(1, "Aa");
    ChatRecord b = record(2, "BB"); // "Aa".hashCode() == "BB".hashCode()
    index.put("Aa", a);
    index.put("BB", b);
    assertSame(a, index.get("Aa"));
    assertSame(b, index.get("BB"));
    index.remove("Aa", a);
    assertNull(index.get("Aa"));
    assertSame(b, index.get("BB"));
    index.remove("BB", a); // not that record: nothing removed
    assertSame(b, index.get("BB"));
  }
}
