package durablerooms.state;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatRecordTest {
  /** The packed fields come back as they went in: empty, null, multi-byte and long text. */
  @Test
  void fieldsComeBack() throws Exception {
    String longText = "x\u00e9\u4e2d\uD83D\uDE00".repeat(20_000);
    ChatRecord[] records = {
        new ChatRecord(1, 10, "ann", "m1", "hello", "i1", "c:a\ni1"),
        new ChatRecord(2, 20, "bob", "m2", "", null, null),
        new ChatRecord(3, 30, "c\u00e9", "m3", longText, "", "c:b\n"),
        new ChatRecord(4, 40, null, null, null, "only id", null),
    };
    for (ChatRecord r : records) {
      ChatRecord copy = roundTrip(r);
      for (ChatRecord c : new ChatRecord[] {r, copy}) {
        assertEquals(r.seq(), c.seq());
        assertEquals(r.ts(), c.ts());
        assertEquals(r.user(), c.user());
        assertEquals(r.memberId(), c.memberId());
      }
      assertEquals(r, copy);
      assertEquals(r.hashCode(), copy.hashCode());
    }
    assertEquals("hello", records[0].text());
    assertEquals("i1", records[0].id());
    assertEquals("c:a\ni1", records[0].dedupeKey());
    assertTrue(records[0].hasId());
    assertEquals("", records[1].text());
    assertNull(records[1].id());
    assertFalse(records[1].hasId());
    assertNull(records[1].dedupeKey());
    assertEquals(longText, records[2].text());
    assertEquals("", records[2].id());
    assertTrue(records[2].hasId());
    assertEquals("c:b\n", records[2].dedupeKey());
    assertNull(records[3].text());
    assertEquals("only id", records[3].id());
    assertNotEquals(records[0], new ChatRecord(1, 10, "ann", "m1", "hello!", "i1", "c:a\ni1"));
    for (ChatRecord r : records) {
      assertTrue(r.packedLength() >= lengthOrZero(r.text()) + lengthOrZero(r.id()) + lengthOrZero(r.dedupeKey()));
    }
  }

  private static int lengthOrZero(String s) {
    return s == null ? 0 : s.length();
  }

  /** Hazelcast copies records with Java serialization (the cluster copy and its backup). */
  private static ChatRecord roundTrip(ChatRecord r) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(r);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (ChatRecord) in.readObject();
    }
  }
}
