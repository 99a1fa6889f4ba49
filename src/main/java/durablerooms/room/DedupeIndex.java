package durablerooms.room;

import durablerooms.storage.ChatRecord;

/**
 * A room's retained records by dedupe key (client identity and message id), in open addressing
 * with linear probing: two arrays, no object per entry, so that the index adds nothing per record
 * for the young collections to copy (see {@link ChatRecord}). A key's hash is kept beside its
 * record; its text is compared, decoded from the record, only when the hashes match. Owned by one
 * event loop.
 */
final class DedupeIndex {
  private int[] hashes = new int[16];
  private ChatRecord[] records = new ChatRecord[16];
  private int size;

  int size() {
    return size;
  }

  /** The record stored under {@code key}, or null. */
  ChatRecord get(String key) {
    int h = key.hashCode();
    int mask = records.length - 1;
    for (int i = home(h, mask); records[i] != null; i = (i + 1) & mask) {
      if (hashes[i] == h && key.equals(records[i].dedupeKey())) {
        return records[i];
      }
    }
    return null;
  }

  /** Stores {@code r} under {@code key}, replacing a record stored under the same key. */
  void put(String key, ChatRecord r) {
    int h = key.hashCode();
    int mask = records.length - 1;
    int i = home(h, mask);
    for (; records[i] != null; i = (i + 1) & mask) {
      if (hashes[i] == h && key.equals(records[i].dedupeKey())) {
        records[i] = r;
        return;
      }
    }
    hashes[i] = h;
    records[i] = r;
    if (2 * ++size > records.length) {
      resize(records.length * 2);
    }
  }

  /** Removes {@code r} (this very record) stored under {@code key}; nothing if it is not there. */
  void remove(String key, ChatRecord r) {
    int h = key.hashCode();
    int mask = records.length - 1;
    int i = home(h, mask);
    while (records[i] != null && records[i] != r) {
      i = (i + 1) & mask;
    }
    if (records[i] == null) {
      return;
    }
    records[i] = null;
    size--;
    // backward shift: move up each later entry of the run whose home is not between the hole and it
    for (int j = (i + 1) & mask; records[j] != null; j = (j + 1) & mask) {
      int k = home(hashes[j], mask);
      boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!stays) {
        hashes[i] = hashes[j];
        records[i] = records[j];
        records[j] = null;
        i = j;
      }
    }
  }

  private void resize(int capacity) {
    int[] oldHashes = hashes;
    ChatRecord[] oldRecords = records;
    hashes = new int[capacity];
    records = new ChatRecord[capacity];
    int mask = capacity - 1;
    for (int j = 0; j < oldRecords.length; j++) {
      if (oldRecords[j] != null) {
        int i = home(oldHashes[j], mask);
        while (records[i] != null) {
          i = (i + 1) & mask;
        }
        hashes[i] = oldHashes[j];
        records[i] = oldRecords[j];
      }
    }
  }

  private static int home(int h, int mask) {
    return (h ^ (h >>> 16)) * 0x9E3779B1 >>> 7 & mask;
  }
}
