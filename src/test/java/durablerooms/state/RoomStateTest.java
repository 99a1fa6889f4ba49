package durablerooms.state;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The cluster copy of a room: appends in seq order, repeats skipped, and a catch-up past retention. */
class RoomStateTest {
  private static List<ChatRecord> records(long from, long to) {
    List<ChatRecord> out = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(new ChatRecord(s, s, "ann", "c1", "m" + s, null, null));
    }
    return out;
  }

  @Test
  void aRepeatedAppendChangesNothingAndAHoleIsRefused() {
    RoomState state = RoomState.empty();
    state.append(records(1, 3), 10);
    state.append(records(2, 4), 10); // 2 and 3 again: a retried operation
    assertEquals(4, state.seq());
    assertEquals(List.of(1L, 2L, 3L, 4L), state.history().records().stream().map(ChatRecord::seq).toList());
    assertThrows(IllegalStateException.class, () -> state.append(records(6, 6), 10));
  }

  @Test
  void aCatchUpThatStartsPastTheCopyReplacesItsHistory() {
    // the copy holds 1..3; the room wrote 4..20 behind it and retains only the last 5 (16..20)
    RoomState state = RoomState.empty();
    state.append(records(1, 3), 5);
    state.append(records(16, 20), true, 5);
    assertEquals(20, state.seq());
    assertEquals(List.of(16L, 17L, 18L, 19L, 20L), state.history().records().stream().map(ChatRecord::seq).toList());
    assertEquals(16, state.firstRetainedSeq());
  }

  @Test
  void aCatchUpThatOverlapsTheCopyAppendsOnlyWhatIsNew() {
    RoomState state = RoomState.empty();
    state.append(records(1, 3), 10);
    state.append(records(2, 6), true, 10);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), state.history().records().stream().map(ChatRecord::seq).toList());
  }

  @Test
  void aTakeoverFromTheStoreTakesInTheReplicasNewestMessagesBelowItsReservation() {
    // the cluster's copy was lost: the store had 1..52 and a reservation up to 1001; the replicas 1..84
    RoomState stored = new RoomState(2, 1001, records(1, 52));
    stored.recover(records(1, 84), 100);
    assertEquals(1001, stored.seq(), "seqs up to the reservation are never handed out again");
    assertEquals(84, stored.lastRetainedSeq());
    assertEquals(records(1, 84).stream().map(ChatRecord::seq).toList(),
        stored.history().records().stream().map(ChatRecord::seq).toList());
    stored.append(List.of(new ChatRecord(1002, 1002, "ann", "c1", "next", null, null)), 100);
    assertEquals(1002, stored.lastRetainedSeq());
  }

  @Test
  void aTakeoverFromTheClusterCopyAppendsTheReplicasTailOnly() {
    RoomState copy = RoomState.empty();
    copy.append(records(1, 40), 30);
    copy.recover(records(20, 60), 30);
    assertEquals(60, copy.seq());
    assertEquals(31, copy.firstRetainedSeq(), "the retention holds");
    assertEquals(60, copy.lastRetainedSeq());
  }
}
