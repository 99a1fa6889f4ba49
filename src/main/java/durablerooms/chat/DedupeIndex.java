package durablerooms.chat;

import java.util.function.LongPredicate;

/**
 * A room's retained records by dedupe key (client identity and message id): the seq of each, in
 * open addressing with linear probing over two arrays, no object per entry, so that the index adds
 * nothing per record for the young collections to copy (see {@link durablerooms.state.History}).
 * A key's hash is kept beside its seq; its text, which the history holds, is compared only when
 * the hashes match. Seqs start at 1, so 0 marks a free slot. Owned by one event loop.
 */
final class DedupeIndex {
  private int[] hashes = new int[16];
  private long[] seqs = new long[16];
  private int size;

  int size() {
    return size;
  }

  /** The seq stored under a key with {@code hash} for which {@code isKey} holds, or 0. */
  long get(int hash, LongPredicate isKey) {
    int mask = seqs.length - 1;
    for (int i = home(hash, mask); seqs[i] != 0; i = (i + 1) & mask) {
      if (hashes[i] == hash && isKey.test(seqs[i])) {
        return seqs[i];
      }
    }
    return 0;
  }

  /**
   * Stores {@code seq} (above 0) under a key with {@code hash}. A room stores a key only after
   * {@link #get} missed it; a history loaded with a key twice keeps both, and either is found.
   */
  void put(int hash, long seq) {
    int mask = seqs.length - 1;
    int i = home(hash, mask);
    while (seqs[i] != 0) {
      i = (i + 1) & mask;
    }
    hashes[i] = hash;
    seqs[i] = seq;
    if (2 * ++size > seqs.length) {
      resize(seqs.length * 2);
    }
  }

  /** Removes {@code seq} stored under a key with {@code hash}; nothing if it is not there. */
  void remove(int hash, long seq) {
    int mask = seqs.length - 1;
    int i = home(hash, mask);
    while (seqs[i] != 0 && seqs[i] != seq) {
      i = (i + 1) & mask;
    }
    if (seqs[i] == 0) {
      return;
    }
    seqs[i] = 0;
    size--;
    // backward shift: move up each later entry of the run whose home is not between the hole and it
    for (int j = (i + 1) & mask; seqs[j] != 0; j = (j + 1) & mask) {
      int k = home(hashes[j], mask);
      boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!stays) {
        hashes[i] = hashes[j];
        seqs[i] = seqs[j];
        seqs[j] = 0;
        i = j;
      }
    }
  }

  private void resize(int capacity) {
    int[] oldHashes = hashes;
    long[] oldSeqs = seqs;
    hashes = new int[capacity];
    seqs = new long[capacity];
    int mask = capacity - 1;
    for (int j = 0; j < oldSeqs.length; j++) {
      if (oldSeqs[j] != 0) {
        int i = home(oldHashes[j], mask);
        while (seqs[i] != 0) {
          i = (i + 1) & mask;
        }
        hashes[i] = oldHashes[j];
        seqs[i] = oldSeqs[j];
      }
    }
  }

  private static int home(int h, int mask) {
    return (h ^ (h >>> 16)) * 0x9E3779B1 >>> 7 & mask;
  }
}
