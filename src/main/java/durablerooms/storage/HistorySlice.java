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
    History history = state.history();
    int from = history.firstAfter(since);
    int to = (int) Math.min(history.size(), (long) from + Math.max(0, limit));
    List<ChatRecord> out = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      out.add(history.get(i));
    }
    boolean gap = since < state.seq() && state.firstRetainedSeq() > since + 1;
    return new HistorySlice(out, state.seq(), gap);
  }

  /** Up to {@code limit} messages with seq < {@code before} (0 = after the last), oldest first. */
  public static HistorySlice before(RoomState state, long before, int limit) {
    long end = before <= 0 ? state.seq() + 1 : before;
    History history = state.history();
    int to = history.firstAfter(end - 1);
    int from = Math.max(0, to - Math.max(0, limit));
    List<ChatRecord> out = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      out.add(history.get(i));
    }
    long firstWanted = Math.max(1, end - limit);
    boolean gap = firstWanted < end && state.firstRetainedSeq() > firstWanted;
    return new HistorySlice(out, state.seq(), gap);
  }
}
