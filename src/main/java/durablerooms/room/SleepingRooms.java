package durablerooms.room;

import durablerooms.state.Member;
import durablerooms.storage.LogicArchive;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of rooms that went to sleep on this node, as the store holds it, and their members as
 * the cluster's member set holds them, kept in memory up to a bound (ROOMS_WAKE_CACHE_MB) so that
 * a room waking here again starts without reading its storage, log and ACKs back from the store:
 * that read was the largest step of a wake, and grows with the room (6.6 ms for 1,000 events of
 * 1 KiB). The rooms that slept longest go first when the
 * bound is reached. A room's entry is taken (removed) by its next activation on this node, and used
 * only when no other activation came between (see {@link #take}); any thread.
 */
public final class SleepingRooms {
  /** What is kept of a room that slept: its state as the store holds it, and its members in the order they joined. */
  public record Kept(LogicArchive.Loaded loaded, List<Member> members) {}

  /** A room's state when it slept, the epoch of the lease it held, and what it is counted at. */
  private record Sleeping(long leaseEpoch, Kept kept, long bytes) {}

  /** What one string costs in the heap, roughly: two bytes a character at most, and its object. */
  private static final int STRING_OVERHEAD = 56;
  /** What one entry of a map or list costs besides its strings, roughly. */
  private static final int ENTRY_OVERHEAD = 64;

  private final long maxBytes;
  private final LinkedHashMap<String, Sleeping> rooms = new LinkedHashMap<>();
  private long bytes;

  /** At most {@code maxBytes} of rooms' state (0: none is kept). */
  public SleepingRooms(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * Keeps the state and {@code members} of {@code room}, which has just gone to sleep cleanly (the
   * store has every commit of it, the member set every change, and the lease of epoch
   * {@code leaseEpoch} was released); a room larger than the bound is not kept, and the rooms that
   * slept first make room for it.
   */
  public synchronized void put(String room, long leaseEpoch, LogicArchive.Loaded loaded, List<Member> members) {
    drop(room);
    long size = sizeOf(loaded, members);
    if (size > maxBytes) {
      return;
    }
    for (Iterator<Sleeping> oldest = rooms.values().iterator(); bytes + size > maxBytes && oldest.hasNext(); ) {
      bytes -= oldest.next().bytes();
      oldest.remove();
    }
    rooms.put(room, new Sleeping(leaseEpoch, new Kept(loaded, List.copyOf(members)), size));
    bytes += size;
  }

  /**
   * What is kept of {@code room} for its activation under a lease of epoch {@code leaseEpoch}, or null.
   * Every claim of a room's lease raises its epoch by one, so the state is the room's only if it
   * slept under the epoch just before: any activation in between, on any node, makes it stale. The
   * entry goes either way. (The store's epoch fences it as well: see LogicArchive#wake.)
   */
  public synchronized Kept take(String room, long leaseEpoch) {
    Sleeping s = rooms.remove(room);
    if (s == null) {
      return null;
    }
    bytes -= s.bytes();
    if (s.leaseEpoch() + 1 != leaseEpoch) {
      return null;
    }
    return s.kept();
  }

  /** The epoch of the lease that claims {@code room} next if no other activation comes first, when its state is kept; else 0. */
  public synchronized long nextEpoch(String room) {
    Sleeping s = rooms.get(room);
    return s == null ? 0 : s.leaseEpoch() + 1;
  }

  /** The state kept of {@code room}, left in place, or null (for tests). */
  public synchronized LogicArchive.Loaded peek(String room) {
    Sleeping s = rooms.get(room);
    return s == null ? null : s.kept().loaded();
  }

  /** Forgets {@code room}'s state, if it is kept. */
  private void drop(String room) {
    Sleeping s = rooms.remove(room);
    if (s != null) {
      bytes -= s.bytes();
    }
  }

  /** The bytes of state kept now, as counted. */
  public synchronized long bytes() {
    return bytes;
  }

  /** How many rooms' state is kept now. */
  public synchronized int size() {
    return rooms.size();
  }

  /** Whether any state is kept at all (a bound above 0). */
  public boolean keeps() {
    return maxBytes > 0;
  }

  /** What a room's state and members count against the bound: their strings and entries, roughly as the heap holds them. */
  static long sizeOf(LogicArchive.Loaded loaded, List<Member> members) {
    return sizeOf(loaded) + sizeOf(members);
  }

  private static long sizeOf(LogicArchive.Loaded loaded) {
    long size = 256;
    for (Map.Entry<String, String> v : loaded.values().entrySet()) {
      size += chars(v.getKey()) + chars(v.getValue()) + ENTRY_OVERHEAD;
    }
    for (LogicArchive.Event e : loaded.events()) {
      size += chars(e.body()) + ENTRY_OVERHEAD;
    }
    for (LogicArchive.Ack a : loaded.acks().values()) {
      size += chars(a.key()) + 2 * ENTRY_OVERHEAD;
    }
    for (String alarm : loaded.alarms().keySet()) {
      size += chars(alarm) + ENTRY_OVERHEAD;
    }
    return size;
  }

  private static long sizeOf(List<Member> members) {
    long size = ENTRY_OVERHEAD;
    for (Member m : members) {
      size += chars(m.id()) + chars(m.user()) + chars(m.node()) + chars(m.query()) + chars(m.attachment())
          + ENTRY_OVERHEAD;
    }
    return size;
  }

  private static long chars(String s) {
    return s == null ? 0 : 2L * s.length() + STRING_OVERHEAD;
  }
}
