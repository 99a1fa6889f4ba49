package durablerooms.state;

import java.io.Serializable;
import java.util.List;

/**
 * The durable part of a room: the activation epoch that last wrote it, the last assigned
 * sequence number and the retained history (oldest first).
 */
public final class RoomState implements Serializable {
  private static final long serialVersionUID = 2L;

  private long epoch;
  private long seq;
  private final History history;
  /** The activation that raised the epoch last: an activation applied twice (a retried operation) counts once. */
  private String activation;

  public RoomState(long epoch, long seq, List<ChatRecord> history) {
    this(epoch, seq, new History());
    history.forEach(this.history::add);
  }

  private RoomState(long epoch, long seq, History history) {
    this.epoch = epoch;
    this.seq = seq;
    this.history = history;
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

  public History history() {
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
   * skipped) and drops what falls out of the retention.
   */
  public void append(List<ChatRecord> records, int limit) {
    append(records, false, limit);
  }

  /**
   * As {@link #append(List, int)}; with {@code gap}, the records are the room's retained tail and
   * may start past seq + 1 (what lies between fell out of retention): the history is then
   * replaced by them.
   */
  public void append(List<ChatRecord> records, boolean gap, int limit) {
    for (ChatRecord r : records) {
      if (r.seq() <= seq) {
        continue; // already stored: the same append applied again (Hazelcast retries operations)
      }
      if (gap && r.seq() > seq + 1) {
        history.clear();
        seq = r.seq() - 1;
      }
      append(r, limit, null);
    }
  }

  /**
   * Takes in a takeover's records from the replicas (the room's retained tail, in seq order): those
   * past seq as {@link #append(List, boolean, int)} with a gap, and those at or below seq that are
   * newer than the newest retained record. A state read from the store (the cluster's copy was lost
   * with a node) has its seq past the store's reservation, and may lack the newest ACKed messages,
   * which the store was still being given when their owner was lost: the replicas hold them.
   */
  public void recover(List<ChatRecord> records, int limit) {
    for (ChatRecord r : records) {
      if (r.seq() > seq) {
        append(List.of(r), true, limit);
      } else if (r.seq() > lastRetainedSeq()) {
        history.add(r);
        while (history.size() > limit) {
          history.removeFirst(null);
        }
      }
    }
  }

  /**
   * Appends one record, exactly one past the last, and drops the oldest ones beyond {@code limit},
   * telling {@code onDrop} (may be null) of each that had a dedupe key.
   */
  public void append(ChatRecord r, int limit, History.KeyDropped onDrop) {
    if (r.seq() != seq + 1) {
      throw new IllegalStateException("seq " + r.seq() + " does not follow " + seq);
    }
    history.add(r);
    seq = r.seq();
    while (history.size() > limit) {
      history.removeFirst(onDrop);
    }
  }

  /**
   * Drops the oldest records sent before {@code notBefore} (ms since the epoch), telling {@code onDrop}
   * (may be null) of each that had a dedupe key; returns the seq of the last one dropped, or 0.
   */
  public long expire(long notBefore, History.KeyDropped onDrop) {
    long upTo = 0;
    while (!history.isEmpty() && history.time(0) < notBefore) {
      upTo = history.seq(0);
      history.removeFirst(onDrop);
    }
    return upTo;
  }

  /** The seq of the newest retained message, or 0 when none is retained. */
  public long lastRetainedSeq() {
    return history.isEmpty() ? 0 : history.seq(history.size() - 1);
  }

  /** The seq of the oldest retained message, or seq + 1 when none is retained. */
  public long firstRetainedSeq() {
    return history.isEmpty() ? seq + 1 : history.seq(0);
  }

  public RoomState copy() {
    RoomState c = new RoomState(epoch, seq, history.copy());
    c.activation = activation;
    return c;
  }
}
