package durablerooms.bench;

/**
 * One sender's open-loop plan: message k is due at {@code start + phase + k * interval} (nanos on
 * the generator's clock), for k below {@code limit} and before {@code end}. Latency is measured
 * from these intended times, not from when the send actually happened, so a stalled generator or
 * server shows up as latency instead of hiding it (no coordinated omission).
 */
public record Schedule(long start, long phase, long interval, long limit, long end) {

  /** Evenly spaced sends at {@code ratePerSec}, with {@code phase} in [0, interval). */
  public static Schedule atRate(long start, double ratePerSec, long phase, long end) {
    if (!(ratePerSec > 0)) {
      throw new IllegalArgumentException("rate must be > 0");
    }
    long interval = Math.max(1, Math.round(1e9 / ratePerSec));
    return new Schedule(start, Math.floorMod(phase, interval), interval, Long.MAX_VALUE, end);
  }

  /** One message at {@code at}. */
  public static Schedule once(long at) {
    return new Schedule(at, 0, 1, 1, at + 1);
  }

  /** The intended send time of message {@code k}. */
  public long intended(long k) {
    return start + phase + k * interval;
  }

  /** How many messages are due at {@code now} (all of them once the plan is over). */
  public long dueBy(long now) {
    long first = start + phase;
    if (now < first) {
      return 0;
    }
    long byTime = (now - first) / interval + 1;
    long byEnd = end <= first ? 0 : (end - first - 1) / interval + 1;
    return Math.min(limit, Math.min(byTime, byEnd));
  }

  /** How many messages the plan holds in total. */
  public long total() {
    return dueBy(Long.MAX_VALUE);
  }
}
