package durablerooms.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ScheduleTest {
  private static final long SEC = 1_000_000_000L;

  @Test
  void sendsAreEvenlySpacedFromTheStartPlusThePhase() {
    Schedule s = Schedule.atRate(1000, 4, 100, Long.MAX_VALUE);
    assertEquals(SEC / 4, s.interval());
    assertEquals(1100, s.intended(0));
    assertEquals(1100 + SEC / 4, s.intended(1));
    assertEquals(1100 + 10 * (SEC / 4), s.intended(10));
  }

  @Test
  void nothingIsDueBeforeTheFirstIntendedTime() {
    Schedule s = Schedule.atRate(1000, 4, 100, Long.MAX_VALUE);
    assertEquals(0, s.dueBy(0));
    assertEquals(0, s.dueBy(1099));
    assertEquals(1, s.dueBy(1100));
  }

  @Test
  void aLateTickOwesEveryMessageWhoseTimeHasPassed() {
    Schedule s = Schedule.atRate(0, 10, 0, Long.MAX_VALUE);
    assertEquals(1, s.dueBy(SEC / 10 - 1));
    assertEquals(2, s.dueBy(SEC / 10));
    assertEquals(11, s.dueBy(SEC));
  }

  @Test
  void thePlanStopsBeforeItsEnd() {
    Schedule s = Schedule.atRate(0, 10, 0, SEC);
    assertEquals(10, s.total(), "sends at 0, 0.1 ... 0.9 s; the one at 1 s is past the end");
    assertEquals(10, s.dueBy(5 * SEC));
    Schedule shifted = Schedule.atRate(0, 10, SEC / 20, SEC);
    assertEquals(10, shifted.total());
  }

  @Test
  void thePhaseIsFoldedIntoOneInterval() {
    Schedule s = Schedule.atRate(0, 10, SEC / 10 + 5, Long.MAX_VALUE);
    assertEquals(5, s.phase());
  }

  @Test
  void aOneShotPlanSendsExactlyOnce() {
    Schedule s = Schedule.once(500);
    assertEquals(0, s.dueBy(499));
    assertEquals(1, s.dueBy(500));
    assertEquals(1, s.dueBy(Long.MAX_VALUE / 2));
    assertEquals(1, s.total());
    assertEquals(500, s.intended(0));
  }

  @Test
  void aRateOfZeroIsNotASchedule() {
    assertThrows(IllegalArgumentException.class, () -> Schedule.atRate(0, 0, 0, SEC));
  }
}
