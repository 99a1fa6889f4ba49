package durablerooms.storage;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A run of consecutive retained messages, the room's last seq, and whether messages the reader
 * asked for are no longer retained ({@code gap}).
 */
public record HistorySlice(List<ChatRecord> messages, long seq, boolean gap) implements Serializable {

  /** Up to {@code limit} messages with seq > {@code since}, oldest first. */
  public static HistorySlice after(RoomState state, long since, int limit) {
    List<ChatRecord> out = new ArrayList<>();
    for (ChatRecord r : state.history()) {
      if (r.seq() > since) {
        if (out.size() == limit) {
          break;
        }
        out.add(r);
      }
    }
    boolean gap = since < state.seq() && state.firstRetainedSeq() > since + 1;
    return new HistorySlice(out, state.seq(), gap);
  }

  /** Up to {@code limit} messages with seq < {@code before} (0 = after the last), oldest first. */
  public static HistorySlice before(RoomState state, long before, int limit) {
    long end = before <= 0 ? state.seq() + 1 : before;
    List<ChatRecord> out = new ArrayList<>();
    var it = state.history().descendingIterator();
    while (it.hasNext() && out.size() < limit) {
      ChatRecord r = it.next();
      if (r.seq() < end) {
        out.add(0, r);
      }
    }
    long firstWanted = Math.max(1, end - limit);
    boolean gap = firstWanted < end && state.firstRetainedSeq() > firstWanted;
    return new HistorySlice(out, state.seq(), gap);
  }
}
