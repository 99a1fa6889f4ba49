package durablerooms.state;

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
    boolean gap = since < state.seq() && (state.firstRetainedSeq() > since + 1 || hole(out, since, to == history.size(),
        state.seq()));
    return new HistorySlice(out, state.seq(), gap);
  }

  /**
   * Whether seqs are missing among {@code out} (the retained records after {@code since}, up to the
   * room's seq if {@code whole}): a room that lost its newest messages starts after its reserved
   * seqs (see RoomArchive.reserve), so its history may lack a run in the middle or at its end.
   */
  private static boolean hole(List<ChatRecord> out, long since, boolean whole, long seq) {
    if (out.isEmpty()) {
      return whole;
    }
    long first = out.get(0).seq();
    long last = out.get(out.size() - 1).seq();
    return first > since + 1 || last - first + 1 != out.size() || (whole && last < seq);
  }

  /**
   * This slice without the messages sent before {@code notBefore} (see {@link MessageTtl}): for a
   * copy of a room's history that its room did not expire itself (the cluster's, the store's). A
   * message left out is one the reader asked for and will not get: a gap.
   */
  public HistorySlice unexpired(long notBefore) {
    if (messages.isEmpty() || messages.get(0).ts() >= notBefore) {
      return this;
    }
    List<ChatRecord> kept = messages.stream().filter(r -> r.ts() >= notBefore).toList();
    return new HistorySlice(kept, seq, true);
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
    long lastWanted = Math.min(end - 1, state.seq());
    boolean gap = firstWanted < end && (state.firstRetainedSeq() > firstWanted
        || (firstWanted <= lastWanted && (out.isEmpty() || out.get(out.size() - 1).seq() < lastWanted
            || out.get(out.size() - 1).seq() - out.get(0).seq() + 1 != out.size())));
    return new HistorySlice(out, state.seq(), gap);
  }
}
