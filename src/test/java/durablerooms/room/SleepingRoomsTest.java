package durablerooms.room;

import durablerooms.state.Member;
import durablerooms.storage.LogicArchive;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SleepingRoomsTest {
  /** A room's state with {@code events} events of {@code chars} characters each. */
  private static LogicArchive.Loaded room(int events, int chars) {
    List<LogicArchive.Event> log = new ArrayList<>();
    for (int i = 1; i <= events; i++) {
      log.add(new LogicArchive.Event(i, 0, "x".repeat(chars)));
    }
    TreeMap<String, String> values = new TreeMap<>();
    values.put("k", "\"v\"");
    return new LogicArchive.Loaded(3, events, values, log, new LinkedHashMap<>(), new TreeMap<>(),
        new LogicArchive.Mark(3, 2), 0);
  }

  /** {@code n} members, each with an attachment of {@code chars} characters. */
  private static List<Member> members(int n, int chars) {
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(new Member("c" + i, "user" + i, "node-a", "{}", "{\"a\":\"" + "y".repeat(chars) + "\"}"));
    }
    return members;
  }

  @Test
  void theStateIsUsedOnlyByTheActivationRightAfterTheOneThatSlept() {
    SleepingRooms sleeping = new SleepingRooms(1 << 20);
    LogicArchive.Loaded state = room(3, 10);
    sleeping.put("t/a", 7, state, List.of());
    assertNull(sleeping.take("t/a", 9), "an activation came between: stale");
    assertNull(sleeping.take("t/a", 8), "and it is gone");
    sleeping.put("t/a", 7, state, members(2, 10));
    SleepingRooms.Kept kept = sleeping.take("t/a", 8);
    assertSame(state, kept.loaded());
    assertEquals(members(2, 10), kept.members(), "the members, in the order they joined");
    assertEquals(0, sleeping.size());
    assertEquals(0, sleeping.bytes());
  }

  @Test
  void whatIsKeptNeverPassesTheBoundAndTheRoomsAsleepLongestGoFirst() {
    long bound = 200_000;
    SleepingRooms sleeping = new SleepingRooms(bound);
    Random random = new Random(42);
    for (int i = 0; i < 2_000; i++) {
      sleeping.put("t/" + random.nextInt(300), 1, room(random.nextInt(20), random.nextInt(2_000)),
          members(random.nextInt(50), random.nextInt(500)));
      assertTrue(sleeping.bytes() <= bound, "at most the bound: " + sleeping.bytes());
    }
    assertTrue(sleeping.bytes() > bound / 2, "and used: " + sleeping.bytes());

    SleepingRooms fifo = new SleepingRooms(3 * SleepingRooms.sizeOf(room(10, 100), List.of()));
    fifo.put("t/1", 1, room(10, 100), List.of());
    fifo.put("t/2", 1, room(10, 100), List.of());
    fifo.put("t/3", 1, room(10, 100), List.of());
    fifo.put("t/4", 1, room(10, 100), List.of());
    assertNull(fifo.peek("t/1"), "the room asleep longest made way");
    assertNotNull(fifo.peek("t/2"));
    assertNotNull(fifo.peek("t/4"));
    assertEquals(3, fifo.size());
  }

  @Test
  void aRoomLargerThanTheBoundIsNotKeptAndNoneIsWithoutABound() {
    SleepingRooms small = new SleepingRooms(SleepingRooms.sizeOf(room(10, 100), List.of()));
    small.put("t/small", 1, room(10, 100), List.of());
    small.put("t/big", 1, room(10, 101), List.of());
    assertNull(small.peek("t/big"));
    assertNotNull(small.peek("t/small"), "nothing made way for a room that cannot fit");
    assertTrue(SleepingRooms.sizeOf(room(1_000, 1_024), List.of()) > 2_000_000, "a room's events count: 1,000 of 1 KiB");
    assertTrue(SleepingRooms.sizeOf(room(0, 0), members(1_000, 1_024)) > 2_000_000, "and its members: 1,000 with 1 KiB each");
    small.put("t/crowded", 1, room(0, 0), members(1_000, 1_024));
    assertNull(small.peek("t/crowded"), "its members count against the bound");

    SleepingRooms none = new SleepingRooms(0);
    assertFalse(none.keeps());
    none.put("t/a", 1, room(0, 0), List.of());
    assertEquals(0, none.size());
  }
}
