package durablerooms.gateway;

/**
 * A token bucket: holds up to {@code capacity} tokens, refilled at {@code perSecond}; the caller
 * passes the time (nanoseconds), so it is pure and owned by one event loop.
 */
final class TokenBucket {
  private final double capacity;
  private final double perNano;
  private double tokens;
  private long last;

  TokenBucket(double perSecond, double capacity, long nowNanos) {
    this.capacity = capacity;
    this.perNano = perSecond / 1e9;
    this.tokens = capacity;
    this.last = nowNanos;
  }

  /** Takes one token if there is one. */
  boolean tryTake(long nowNanos) {
    refill(nowNanos);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** Nanoseconds until the next token (0 if there is one now; Long.MAX_VALUE if it never refills). */
  long nanosUntilToken(long nowNanos) {
    refill(nowNanos);
    if (tokens >= 1) {
      return 0;
    }
    return perNano == 0 ? Long.MAX_VALUE : (long) Math.ceil((1 - tokens) / perNano);
  }

  private void refill(long nowNanos) {
    if (nowNanos > last) {
      tokens = Math.min(capacity, tokens + (nowNanos - last) * perNano);
      last = nowNanos;
    }
  }
}
