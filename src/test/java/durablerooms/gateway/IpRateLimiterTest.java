package durablerooms.gateway;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IpRateLimiterTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void eachAddressHasItsOwnBucketAndARefusalSaysWhenToRetry() {
    IpRateLimiter limiter = new IpRateLimiter(0.5, 2, 100);
    assertEquals(0, limiter.tryAcquire("a", 0));
    assertEquals(0, limiter.tryAcquire("a", 0));
    assertEquals(2, limiter.tryAcquire("a", 0), "one token every 2 s");
    assertEquals(1, limiter.tryAcquire("a", SECOND + 1), "rounded up to whole seconds, at least 1");
    assertEquals(0, limiter.tryAcquire("b", 0), "another address is not affected");
  }

  @Test
  void itRemembersAtMostMaxIpsAddresses() {
    IpRateLimiter limiter = new IpRateLimiter(1, 1, 3);
    for (int i = 0; i < 1000; i++) {
      limiter.tryAcquire("10.0.0." + i, 0);
    }
    assertEquals(3, limiter.size());
    limiter.tryAcquire("x", 0);
    limiter.tryAcquire("y", 0);
    limiter.tryAcquire("x", 0); // x was used last: y and the older ones go first
    limiter.tryAcquire("z", 0);
    limiter.tryAcquire("w", 0);
    assertEquals(1, limiter.tryAcquire("x", 0), "x is still remembered, its bucket empty");
  }
}
