package durablerooms.state;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Slices of a room's history say when messages asked for are missing, also in its middle or at its end. */
class HistorySliceTest {
  private static List<ChatRecord> records(long from, long to) {
    return LongStream.rangeClosed(from, to)
        .mapToObj(seq -> new ChatRecord(seq, seq, "ann", "m1", "message " + seq, null, null)).toList();
  }

  /** Stored 1..3; the room lost what came after them and starts after its reservation, at 1000; then 1001..1002. */
  private static RoomState restartedAfterLoss() {
    RoomState state = new RoomState(2, 1000, records(1, 3));
    state.append(records(1001, 1002), 100);
    return state;
  }

  @Test
  @DisplayName("a contiguous history has no gap after or before any seq it holds")
  void contiguousHasNoGap() {
    RoomState state = new RoomState(1, 5, records(1, 5));
    assertFalse(HistorySlice.after(state, 0, 100).gap());
    assertFalse(HistorySlice.after(state, 3, 100).gap());
    assertFalse(HistorySlice.after(state, 5, 100).gap());
    assertFalse(HistorySlice.before(state, 0, 3).gap());
    assertFalse(HistorySlice.before(state, 4, 3).gap());
  }

  @Test
  @DisplayName("a resume across the seqs a room lost says gap, one after them does not")
  void resumeAcrossLostSeqs() {
    RoomState state = restartedAfterLoss();
    HistorySlice fromTwo = HistorySlice.after(state, 2, 100);
    assertEquals(List.of(3L, 1001L, 1002L), fromTwo.messages().stream().map(ChatRecord::seq).toList());
    assertTrue(fromTwo.gap());
    assertTrue(HistorySlice.after(state, 3, 100).gap());
    assertTrue(HistorySlice.after(state, 500, 100).gap());
    assertFalse(HistorySlice.after(state, 1000, 100).gap());
    RoomState notYetWritten = new RoomState(2, 1000, records(1, 3));
    assertTrue(HistorySlice.after(notYetWritten, 3, 100).gap(), "the lost seqs are at the end");
    assertFalse(HistorySlice.after(notYetWritten, 1000, 100).gap());
  }

  @Test
  @DisplayName("a page across the seqs a room lost says gap")
  void pageAcrossLostSeqs() {
    RoomState state = restartedAfterLoss();
    assertTrue(HistorySlice.before(state, 0, 5).gap());
    assertFalse(HistorySlice.before(state, 0, 2).gap());
    assertTrue(HistorySlice.before(state, 1002, 3).gap());
  }

  @Test
  void aCopyLeavesOutExpiredMessagesAsAGap() {
    RoomState s = RoomState.empty();
    s.append(new ChatRecord(1, 1_000, "ann", "c1", "a", null, null), 10, null);
    s.append(new ChatRecord(2, 9_000, "ann", "c1", "b", null, null), 10, null);
    HistorySlice slice = HistorySlice.after(s, 0, 10).unexpired(5_000);
    assertEquals(1, slice.messages().size());
    assertEquals(2, slice.messages().get(0).seq());
    assertTrue(slice.gap());
    HistorySlice fresh = HistorySlice.after(s, 1, 10).unexpired(5_000);
    assertFalse(fresh.gap(), "nothing the reader asked for expired");
  }
}
