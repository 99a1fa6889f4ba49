package durablerooms.bench;

import org.junit.jupiter.api.Test;

import static durablerooms.bench.Tally.Verdict.DUPLICATE;
import static durablerooms.bench.Tally.Verdict.IN_ORDER;
import static durablerooms.bench.Tally.Verdict.OUT_OF_ORDER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TallyTest {
  @Test
  void increasingNumbersAreInOrderEvenWithGaps() {
    Tally t = new Tally(2);
    assertEquals(IN_ORDER, t.record(0, 0));
    assertEquals(IN_ORDER, t.record(0, 1));
    assertEquals(IN_ORDER, t.record(0, 5), "a gap is a loss, counted by expected - delivered, not here");
  }

  @Test
  void aNumberSeenTwiceIsADuplicate() {
    Tally t = new Tally(2);
    t.record(1, 3);
    assertEquals(DUPLICATE, t.record(1, 3));
    t.record(1, 4);
    assertEquals(DUPLICATE, t.record(1, 3));
  }

  @Test
  void aLowerNumberAfterAHigherOneIsOutOfOrderOnce() {
    Tally t = new Tally(1);
    t.record(0, 0);
    t.record(0, 2);
    assertEquals(OUT_OF_ORDER, t.record(0, 1));
    assertEquals(DUPLICATE, t.record(0, 1));
    assertEquals(IN_ORDER, t.record(0, 3));
  }

  @Test
  void sendersAreCountedSeparately() {
    Tally t = new Tally(3);
    t.record(0, 7);
    assertEquals(IN_ORDER, t.record(1, 0));
    assertEquals(IN_ORDER, t.record(2, 0));
    assertEquals(DUPLICATE, t.record(1, 0));
  }

  @Test
  void anUnknownSenderIsRejected() {
    Tally t = new Tally(2);
    assertThrows(IllegalArgumentException.class, () -> t.record(2, 0));
    assertThrows(IllegalArgumentException.class, () -> t.record(0, -1));
  }
}
