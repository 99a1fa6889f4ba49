package durablerooms.state;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A room's retained chat records, oldest first, held in arrays rather than as objects: each
 * record's packed text, id and dedupe key (see {@link ChatRecord}) are copied into one byte ring,
 * its seq, time, sender and key hash into slot arrays beside it. The arrays live as long as the
 * room, so a retained message leaves nothing for the young collections to copy; under load they
 * copied every record until it was tenured, most of each pause. A record is decoded again only
 * when it is read (a history page, a reconnect, a repeated message id).
 *
 * <p>Both rings grow by doubling and do not shrink while the room is active. A record's bytes
 * never wrap: one that does not fit before the end of the array starts again at its beginning.
 * Owned by one thread at a time.
 */
public final class History implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int FIRST_SLOTS = 16;
  private static final int FIRST_BYTES = 2048;

  /** Told of each record with a dedupe key that falls out of the retention. */
  @FunctionalInterface
  public interface KeyDropped {
    void dropped(int keyHash, long seq);
  }

  private transient long[] seqs;
  private transient long[] times;
  private transient String[] users;
  private transient String[] memberIds;
  private transient int[] keyHashes;
  private transient int[] offsets;
  private transient int[] lengths;
  private transient byte[] bytes;
  /** The slot of the oldest record, and how many there are. */
  private transient int head;
  private transient int size;
  /** Where the next record's bytes go, unless they do not fit there. */
  private transient int end;

  public History() {
    init(FIRST_SLOTS, FIRST_BYTES);
  }

  private void init(int slots, int byteCapacity) {
    seqs = new long[slots];
    times = new long[slots];
    users = new String[slots];
    memberIds = new String[slots];
    keyHashes = new int[slots];
    offsets = new int[slots];
    lengths = new int[slots];
    bytes = new byte[byteCapacity];
    head = 0;
    size = 0;
    end = 0;
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** The seq of the {@code i}-th retained record, 0 the oldest. */
  public long seq(int i) {
    return seqs[slot(i)];
  }

  /** The time (ms since the epoch) of the {@code i}-th retained record, 0 the oldest. */
  public long time(int i) {
    return times[slot(i)];
  }

  /** Whether the {@code i}-th retained record has a dedupe key. */
  public boolean hasKey(int i) {
    return ChatRecord.hasKey(bytes, offsets[slot(i)]);
  }

  /** The {@code String.hashCode()} of the {@code i}-th retained record's dedupe key (0 without one). */
  public int keyHash(int i) {
    return keyHashes[slot(i)];
  }

  /** The {@code i}-th retained record, 0 the oldest, decoded into a new object. */
  public ChatRecord get(int i) {
    int s = slot(i);
    byte[] fields = Arrays.copyOfRange(bytes, offsets[s], offsets[s] + lengths[s]);
    return new ChatRecord(seqs[s], times[s], users[s], memberIds[s], fields, keyHashes[s]);
  }

  /** The position of the record with {@code seq}, or -1 if it is not retained. */
  public int indexOf(long seq) {
    int lo = 0;
    int hi = size - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long s = seq(mid);
      if (s < seq) {
        lo = mid + 1;
      } else if (s > seq) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  /** The position of the first record with a seq above {@code seq} ({@link #size()} if none). */
  public int firstAfter(long seq) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (seq(mid) <= seq) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The dedupe key of the record with {@code seq} (decoded), or null if it has none or is not retained. */
  public String dedupeKey(long seq) {
    int i = indexOf(seq);
    if (i < 0) {
      return null;
    }
    int s = slot(i);
    return ChatRecord.field(bytes, offsets[s], 2);
  }

  /** All retained records, oldest first, decoded. */
  public List<ChatRecord> records() {
    List<ChatRecord> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(get(i));
    }
    return out;
  }

  /** Adds {@code r} as the newest record (its seq above every retained one). */
  public void add(ChatRecord r) {
    byte[] fields = r.packed();
    int n = fields.length;
    if (size == seqs.length) {
      resize(seqs.length * 2, bytes.length);
    }
    int at = place(n);
    if (at < 0) {
      int live = liveBytes();
      int capacity = bytes.length * 2;
      while (capacity < 2 * (live + n)) {
        capacity *= 2;
      }
      resize(seqs.length, capacity);
      at = place(n);
    }
    System.arraycopy(fields, 0, bytes, at, n);
    int s = slot(size);
    seqs[s] = r.seq();
    times[s] = r.ts();
    users[s] = r.user();
    memberIds[s] = r.memberId();
    keyHashes[s] = r.dedupeKeyHash();
    offsets[s] = at;
    lengths[s] = n;
    end = at + n;
    size++;
  }

  /** Drops the oldest record, telling {@code onDrop} (may be null) if it had a dedupe key. */
  public void removeFirst(KeyDropped onDrop) {
    int s = head;
    long seq = seqs[s];
    boolean keyed = ChatRecord.hasKey(bytes, offsets[s]);
    int hash = keyHashes[s];
    users[s] = null;
    memberIds[s] = null;
    head = (head + 1) & (seqs.length - 1);
    if (--size == 0) {
      head = 0;
      end = 0;
    }
    if (keyed && onDrop != null) {
      onDrop.dropped(hash, seq);
    }
  }

  public void clear() {
    Arrays.fill(users, null);
    Arrays.fill(memberIds, null);
    head = 0;
    size = 0;
    end = 0;
  }

  public History copy() {
    History c = new History();
    for (int i = 0; i < size; i++) {
      c.add(get(i));
    }
    return c;
  }

  private int slot(int i) {
    return (head + i) & (seqs.length - 1);
  }

  /**
   * Where {@code n} bytes go: after the newest record, or at the start of the array if they do not
   * fit before its end; -1 if they would reach the oldest record. While the records wrap (the
   * newest lie before the oldest) {@code end} stays strictly below the oldest's offset, so that
   * {@code end > start} tells the two layouts apart.
   */
  private int place(int n) {
    if (size == 0) {
      return n <= bytes.length ? 0 : -1;
    }
    int start = offsets[head];
    if (end > start) {
      if (end + n <= bytes.length) {
        return end;
      }
      return n < start ? 0 : -1;
    }
    return end + n < start ? end : -1;
  }

  private int liveBytes() {
    int live = 0;
    for (int i = 0; i < size; i++) {
      live += lengths[slot(i)];
    }
    return live;
  }

  /** Copies the records, oldest first, into new arrays of the given capacities, their bytes packed from 0. */
  private void resize(int slotCapacity, int byteCapacity) {
    long[] oldSeqs = seqs;
    long[] oldTimes = times;
    String[] oldUsers = users;
    String[] oldMemberIds = memberIds;
    int[] oldKeyHashes = keyHashes;
    int[] oldOffsets = offsets;
    int[] oldLengths = lengths;
    byte[] oldBytes = bytes;
    int oldHead = head;
    int count = size;
    int oldMask = oldSeqs.length - 1;
    init(slotCapacity, byteCapacity);
    int at = 0;
    for (int i = 0; i < count; i++) {
      int from = (oldHead + i) & oldMask;
      seqs[i] = oldSeqs[from];
      times[i] = oldTimes[from];
      users[i] = oldUsers[from];
      memberIds[i] = oldMemberIds[from];
      keyHashes[i] = oldKeyHashes[from];
      System.arraycopy(oldBytes, oldOffsets[from], bytes, at, oldLengths[from]);
      offsets[i] = at;
      lengths[i] = oldLengths[from];
      at += oldLengths[from];
    }
    size = count;
    end = at;
  }

  /** Written as the count, then each record's seq, time, sender and packed fields. */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    out.writeInt(size);
    for (int i = 0; i < size; i++) {
      int s = slot(i);
      out.writeLong(seqs[s]);
      out.writeLong(times[s]);
      out.writeObject(users[s]);
      out.writeObject(memberIds[s]);
      out.writeInt(lengths[s]);
      out.write(bytes, offsets[s], lengths[s]);
    }
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    int count = in.readInt();
    if (count < 0) {
      throw new java.io.InvalidObjectException("negative record count " + count);
    }
    init(FIRST_SLOTS, FIRST_BYTES);
    for (int i = 0; i < count; i++) {
      long seq = in.readLong();
      long ts = in.readLong();
      String user = (String) in.readObject();
      String memberId = (String) in.readObject();
      byte[] fields = new byte[in.readInt()];
      in.readFully(fields);
      add(new ChatRecord(seq, ts, user, memberId, fields, 0));
    }
  }
}
