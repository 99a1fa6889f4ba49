package durablerooms.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per client IP, shared by a node's gateways (the HTTP API's rate limit). It holds
 * the {@code maxIps} most recently seen addresses: the least recently seen is forgotten first,
 * which only gives that address a full bucket again, so memory stays bounded however many
 * addresses call.
 */
public final class IpRateLimiter {
  private final double perSecond;
  private final int burst;
  private final Map<String, TokenBucket> buckets;

  public IpRateLimiter(double perSecond, int burst, int maxIps) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
        return size() > maxIps;
      }
    };
  }

  /**
   * Takes a token from {@code ip}'s bucket: 0 when the request may go ahead, else the whole seconds
   * (at least 1) until the bucket has a token again, for a Retry-After. Synchronized: the gateways
   * of several event loops share it, and each call holds the lock for a map lookup only.
   */
  public synchronized long tryAcquire(String ip, long nowNanos) {
    TokenBucket bucket = buckets.computeIfAbsent(ip, k -> new TokenBucket(perSecond, burst, nowNanos));
    if (bucket.tryTake(nowNanos)) {
      return 0;
    }
    return Math.max(1, (bucket.nanosUntilToken(nowNanos) + 999_999_999L) / 1_000_000_000L);
  }

  synchronized int size() {
    return buckets.size();
  }
}
