package durablerooms.storage;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable part of a room: the activation epoch that last wrote it, the last assigned
 * sequence number and the retained history (oldest first).
 */
public final class RoomState implements Serializable {
  private static final long serialVersionUID = 1L;

  private long epoch;
  private long seq;
  private final ArrayDeque<ChatRecord> history;
  /** The activation that raised the epoch last: an activation applied twice (a retried operation) counts once. */
  private String activation;

  public RoomState(long epoch, long seq, List<ChatRecord> history) {
    this.epoch = epoch;
    this.seq = seq;
    this.history = new ArrayDeque<>(history);
  }

  public static RoomState empty() {
    return new RoomState(0, 0, List.of());
  }

  public long epoch() {
    return epoch;
  }

  public long seq() {
    return seq;
  }

  public ArrayDeque<ChatRecord> history() {
    return history;
  }

  public void fence(long newEpoch) {
    epoch = Math.max(epoch, newEpoch);
  }

  /** Raises the epoch for activation {@code id}, once: a repeat of the same id changes nothing. */
  public void activate(String id) {
    if (!id.equals(activation)) {
      epoch++;
      activation = id;
    }
  }

  /**
   * Appends records (in seq order, each exactly one past the last; records it already holds are
   * skipped) and drops what falls out of the retention. Returns the records dropped, oldest first.
   */
  public List<ChatRecord> append(List<ChatRecord> records, int limit) {
    return append(records, false, limit);
  }

  /**
   * As {@link #append(List, int)}; with {@code gap}, the records are the room's retained tail and
   * may start past seq + 1 (what lies between fell out of retention): the history is then
   * replaced by them.
   */
  public List<ChatRecord> append(List<ChatRecord> records, boolean gap, int limit) {
    for (ChatRecord r : records) {
      if (r.seq() <= seq) {
        continue; // already stored: the same append applied again (Hazelcast retries operations)
      }
      if (gap && r.seq() > seq + 1) {
        history.clear();
        seq = r.seq() - 1;
      }
      if (r.seq() != seq + 1) {
        throw new IllegalStateException("seq " + r.seq() + " does not follow " + seq);
      }
      history.addLast(r);
      seq = r.seq();
    }
    List<ChatRecord> dropped = new ArrayList<>();
    while (history.size() > limit) {
      dropped.add(history.removeFirst());
    }
    return dropped;
  }

  /** The seq of the oldest retained message, or seq + 1 when none is retained. */
  public long firstRetainedSeq() {
    return history.isEmpty() ? seq + 1 : history.peekFirst().seq();
  }

  public RoomState copy() {
    RoomState c = new RoomState(epoch, seq, new ArrayList<>(history));
    c.activation = activation;
    return c;
  }
}
