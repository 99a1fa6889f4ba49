package durablerooms.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How many rooms never seen before each client IP may still open on this node
 * (ROOMS_NEW_ROOMS_PER_MIN): a token bucket per IP, refilled at that rate per minute, holding as
 * many. Shared by the node's gateways, so it is synchronised (taken only when a join would create
 * a room). The map is bounded: past {@code maxAddresses} the address used least recently is
 * dropped (its budget starts full again if it comes back), so that a flood from many addresses
 * costs at most that many buckets.
 */
final class NewRoomBudget {
  private final double perMinute;
  private final Map<String, TokenBucket> buckets;

  NewRoomBudget(int perMinute, int maxAddresses) {
    this.perMinute = perMinute;
    this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
        return size() > maxAddresses;
      }
    };
  }

  /** Takes one new room from {@code ip}'s budget: 0 if there was one, else the nanoseconds until there is. */
  synchronized long take(String ip, long nowNanos) {
    TokenBucket b = buckets.computeIfAbsent(ip, k -> new TokenBucket(perMinute / 60, perMinute, nowNanos));
    return b.tryTake(nowNanos) ? 0 : Math.max(1, b.nanosUntilToken(nowNanos));
  }

  synchronized int addresses() {
    return buckets.size();
  }
}
