package durablerooms.bench;

import java.util.BitSet;

/**
 * What one receiver has seen of each sender of its room: every sender numbers its messages 0, 1,
 * 2...; a number seen twice is a duplicate, a number below the highest seen is out of order. Used
 * by one event loop only.
 */
public final class Tally {
  /** How a delivery counts. */
  public enum Verdict { IN_ORDER, OUT_OF_ORDER, DUPLICATE }

  private final long[] highest;
  private final BitSet[] seen;

  public Tally(int senders) {
    highest = new long[senders];
    seen = new BitSet[senders];
    java.util.Arrays.fill(highest, -1);
  }

  public Verdict record(int sender, long seq) {
    if (sender < 0 || sender >= highest.length || seq < 0 || seq > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("sender " + sender + " seq " + seq);
    }
    BitSet s = seen[sender];
    if (s == null) {
      s = seen[sender] = new BitSet();
    }
    int i = (int) seq;
    if (s.get(i)) {
      return Verdict.DUPLICATE;
    }
    s.set(i);
    if (seq < highest[sender]) {
      return Verdict.OUT_OF_ORDER;
    }
    highest[sender] = seq;
    return Verdict.IN_ORDER;
  }
}
