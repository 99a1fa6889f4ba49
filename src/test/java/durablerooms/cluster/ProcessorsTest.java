package durablerooms.cluster;

import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import durablerooms.state.ChatRecord;
import durablerooms.state.RoomState;
import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The processors as Hazelcast sends them to another node (Java serialization): what arrives does what was sent. */
class ProcessorsTest {
  private final SerializationService serialization = new DefaultSerializationServiceBuilder().build();

  private <T> T overTheWire(Object o) {
    Data data = serialization.toData(o);
    return serialization.toObject(data);
  }

  @Test
  void anAppendArrivesWithEveryRecordAndAppliesThem() {
    List<ChatRecord> records = List.of(
        new ChatRecord(4, 1000, "ann", "c1", "héllo 👋", "m1", "client-a\nm1"),
        new ChatRecord(5, 1001, "bob", "c2", "", null, null),
        new ChatRecord(6, 1002, "ann", "c1", "x".repeat(70_000), "m2", "client-a\nm2"));
    Processors.Append sent = new Processors.Append(7, records, true, 2);
    Processors.Append arrived = overTheWire(sent);

    RoomState state = new RoomState(7, 1, List.of(new ChatRecord(1, 1, "ann", "c1", "old", null, null)));
    Map.Entry<String, RoomState> entry = new AbstractMap.SimpleEntry<>("r", state);
    assertTrue(arrived.process(entry));
    assertEquals(6, state.seq());
    assertEquals(records.subList(1, 3), state.history().records()); // the gap replaced 1, the limit dropped 4
    assertEquals("client-a\nm2".hashCode(), state.history().keyHash(1));

    RoomState newer = new RoomState(8, 1, List.of());
    Processors.Append stale = overTheWire(sent);
    assertFalse(stale.process(new AbstractMap.SimpleEntry<>("r", newer)), "a fenced append changes nothing");
    assertEquals(1, newer.seq());
  }

  @Test
  void aRoomStateArrivesWithItsHistory() {
    RoomState state = new RoomState(3, 9, List.of(
        new ChatRecord(8, 1, "ann", "c1", "eight", "i8", "k\ni8"),
        new ChatRecord(9, 2, "bob", "c2", "nine", null, null)));
    RoomState arrived = overTheWire(state);
    assertEquals(3, arrived.epoch());
    assertEquals(9, arrived.seq());
    assertEquals(state.history().records(), arrived.history().records());
  }
}
