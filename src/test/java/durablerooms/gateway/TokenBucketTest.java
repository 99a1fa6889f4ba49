package durablerooms.gateway;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBucketTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void aFullBucketAllowsItsBurstThenRefusesUntilItRefills() {
    TokenBucket b = new TokenBucket(20, 40, 0);
    for (int i = 0; i < 40; i++) {
      assertTrue(b.tryTake(0), "token " + i);
    }
    assertFalse(b.tryTake(0));
    assertFalse(b.tryTake(SECOND / 40), "half a token is not a token");
    assertTrue(b.tryTake(SECOND / 20));
    assertFalse(b.tryTake(SECOND / 20));
  }

  @Test
  void refillStopsAtTheCapacity() {
    TokenBucket b = new TokenBucket(20, 5, 0);
    for (int i = 0; i < 5; i++) {
      b.tryTake(0);
    }
    long later = 60 * SECOND;
    for (int i = 0; i < 5; i++) {
      assertTrue(b.tryTake(later));
    }
    assertFalse(b.tryTake(later), "an idle minute does not bank more than the burst");
  }

  @Test
  void aZeroRateNeverRefillsAndTimeGoingBackDoesNothing() {
    TokenBucket b = new TokenBucket(0, 1, 100);
    assertTrue(b.tryTake(100));
    assertFalse(b.tryTake(100 + 3600 * SECOND));
    TokenBucket c = new TokenBucket(10, 1, 100);
    assertTrue(c.tryTake(100));
    assertFalse(c.tryTake(50));
  }

  @Test
  void anEmptyBucketSaysWhenItsNextTokenComes() {
    TokenBucket b = new TokenBucket(4, 1, 0);
    assertEquals(0, b.nanosUntilToken(0));
    assertTrue(b.tryTake(0));
    assertEquals(SECOND / 4, b.nanosUntilToken(0));
    assertEquals(SECOND / 8, b.nanosUntilToken(SECOND / 8));
    assertEquals(Long.MAX_VALUE, new TokenBucket(0, 0, 0).nanosUntilToken(0), "no refill: never");
  }
}
