package durablerooms.state;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A room's retained records in rings: what goes in comes out, in order, whatever their sizes. */
class HistoryTest {
  private static ChatRecord record(long seq, Random random) {
    int size = random.nextInt(10) == 0 ? random.nextInt(20_000) : random.nextInt(200);
    String text = "é".repeat(size / 2) + "x".repeat(size % 7);
    boolean keyed = random.nextBoolean();
    return new ChatRecord(seq, 1000 + seq, "user" + seq % 5, "m" + seq % 3, text, keyed ? "id" + seq : null,
        keyed ? "client\nid" + seq : null);
  }

  /**
   * Random adds (small and large records) and drops of the oldest agree with a deque of records at
   * every step: the byte ring wraps, grows and compacts under them.
   */
  @Test
  void agreesWithADeque() {
    Random random = new Random(7);
    History history = new History();
    ArrayDeque<ChatRecord> expected = new ArrayDeque<>();
    List<Long> droppedKeyed = new ArrayList<>();
    List<Long> expectedDroppedKeyed = new ArrayList<>();
    long seq = 0;
    int limit = 50;
    for (int step = 0; step < 50_000; step++) {
      if (step % 2000 == 0) {
        limit = 1 + random.nextInt(300); // a room's retention, changed now and then
      }
      ChatRecord r = record(++seq, random);
      history.add(r);
      expected.addLast(r);
      while (expected.size() > limit || (!expected.isEmpty() && random.nextInt(20) == 0)) {
        ChatRecord oldest = expected.removeFirst();
        if (oldest.dedupeKey() != null) {
          expectedDroppedKeyed.add(oldest.seq());
        }
        history.removeFirst((hash, s) -> {
          assertEquals(oldest.dedupeKey().hashCode(), hash);
          droppedKeyed.add(s);
        });
      }
      assertEquals(expected.size(), history.size());
      if (step % 100 == 0) {
        assertEquals(List.copyOf(expected), history.records(), "step " + step);
      }
    }
    assertEquals(expectedDroppedKeyed, droppedKeyed);
    assertEquals(List.copyOf(expected), history.records());
  }

  /**
   * Many short histories whose records are a large part of the ring: each one fills, wraps and
   * grows often, with the newest bytes right behind the oldest. No record is overwritten.
   */
  @Test
  void aFullRingNeverOverwritesItsOldestRecord() {
    Random random = new Random(11);
    for (int run = 0; run < 3000; run++) {
      History history = new History();
      ArrayDeque<ChatRecord> expected = new ArrayDeque<>();
      int limit = 1 + random.nextInt(12);
      for (long seq = 1; seq <= 40; seq++) {
        ChatRecord r = new ChatRecord(seq, seq, "ann", "c1", "x".repeat(random.nextInt(900)), null, null);
        history.add(r);
        expected.addLast(r);
        while (expected.size() > limit) {
          expected.removeFirst();
          history.removeFirst(null);
        }
        assertEquals(List.copyOf(expected), history.records(), "run " + run + ", seq " + seq);
      }
    }
  }

  @Test
  void findsRecordsBySeqAndDecodesTheirKeys() {
    History history = new History();
    for (long s = 5; s <= 9; s++) {
      history.add(new ChatRecord(s, s, "ann", "c1", "m" + s, s % 2 == 0 ? "id" + s : null, s % 2 == 0 ? "k\nid" + s : null));
    }
    assertEquals(2, history.indexOf(7));
    assertEquals(-1, history.indexOf(4));
    assertEquals(-1, history.indexOf(10));
    assertEquals(0, history.firstAfter(0));
    assertEquals(3, history.firstAfter(7));
    assertEquals(5, history.firstAfter(9));
    assertEquals("k\nid6", history.dedupeKey(6));
    assertNull(history.dedupeKey(7));
    assertTrue(history.hasKey(1));
    assertFalse(history.hasKey(2));
    assertEquals("k\nid6".hashCode(), history.keyHash(1));
    assertEquals("m8", history.get(3).text());
  }

  /** An activation works on a copy of the cluster's state: changing either leaves the other as it was. */
  @Test
  void aCopyIsIndependentOfItsOriginal() {
    Random random = new Random(5);
    History original = new History();
    for (long s = 1; s <= 50; s++) {
      original.add(record(s, random));
    }
    original.removeFirst(null);
    List<ChatRecord> before = original.records();
    History copy = original.copy();
    assertEquals(before, copy.records());
    for (long s = 51; s <= 120; s++) {
      copy.add(record(s, random)); // wraps, then grows the copy's rings
      copy.removeFirst(null);
    }
    assertEquals(before, original.records());
    original.add(record(51, random));
    assertEquals(50, original.size());
    assertEquals(49, copy.size());
    assertEquals(72, copy.seq(0));
  }

  /** Hazelcast copies a room's state by Java serialization (backups, migration): all records survive it. */
  @Test
  void serializationKeepsEveryRecord() throws Exception {
    Random random = new Random(3);
    History history = new History();
    for (long s = 1; s <= 300; s++) {
      history.add(record(s, random));
    }
    for (int i = 0; i < 100; i++) {
      history.removeFirst(null); // the ring no longer starts at slot 0
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(history);
    }
    History back;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (History) in.readObject();
    }
    assertEquals(history.records(), back.records());
    assertEquals(history.keyHash(1), back.keyHash(1));
    assertEquals(history.records(), history.copy().records());
    back.add(new ChatRecord(301, 1, "ann", "c1", "after", null, null)); // and it goes on growing
    assertEquals(201, back.size());
  }
}
