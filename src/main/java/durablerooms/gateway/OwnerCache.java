package durablerooms.gateway;

import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node that runs each room active elsewhere, as last learned (shared by the node's gateways).
 * Bounded: nothing tells this node when such a room goes to sleep, so without a bound every room
 * ever reached from here would stay. Past {@code max} entries one is dropped to make room; a
 * missing or stale entry costs one more hop (this node's host asks the lease and answers with the
 * owner), never a wrong delivery.
 */
final class OwnerCache {
  private final ConcurrentHashMap<String, String> owners = new ConcurrentHashMap<>();
  private final int max;

  OwnerCache(int max) {
    this.max = max;
  }

  /** The owner node of {@code room}, or {@code otherwise} when none is known. */
  String get(String room, String otherwise) {
    return owners.getOrDefault(room, otherwise);
  }

  void put(String room, String owner) {
    if (owners.size() >= max && !owners.containsKey(room)) {
      Iterator<String> any = owners.keySet().iterator();
      if (any.hasNext()) {
        owners.remove(any.next());
      }
    }
    owners.put(room, owner);
  }

  void remove(String room) {
    owners.remove(room);
  }

  /** Forgets the room's owner only if it is still {@code owner}. */
  void remove(String room, String owner) {
    owners.remove(room, owner);
  }

  int size() {
    return owners.size();
  }
}
