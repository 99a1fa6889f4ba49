package durablerooms.state;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One chat message as an earlier version stored it. {@code dedupeKey} is the sender's client
 * identity plus its message id (null for messages without id): the import keeps it so a retry is
 * recognised.
 *
 * <p>The text, id and dedupe key, the fields of each message, are kept in one packed array and
 * decoded when read: two objects a record instead of eight. {@code user} and {@code memberId} are
 * the member's own strings, shared.
 */
public final class ChatRecord implements Serializable {
  private static final long serialVersionUID = 2L;
  /** The length of each packed field (-1 for null), then their UTF-8 bytes. */
  private static final int HEADER = 12;

  private final long seq;
  private final long ts;
  private final String user;
  private final String memberId;
  private final byte[] fields;
  /** The dedupe key's {@code String.hashCode()}, kept from construction (0: not known yet, or none). */
  private transient int keyHash;

  public ChatRecord(long seq, long ts, String user, String memberId, String text, String id, String dedupeKey) {
    this(seq, ts, user, memberId, pack(text, id, dedupeKey), dedupeKey == null ? 0 : dedupeKey.hashCode());
  }

  /** A record over {@code fields} in the packed form (taken, not copied). */
  ChatRecord(long seq, long ts, String user, String memberId, byte[] fields, int keyHash) {
    this.seq = seq;
    this.ts = ts;
    this.user = user;
    this.memberId = memberId;
    this.fields = fields;
    this.keyHash = keyHash;
  }

  public long seq() {
    return seq;
  }

  public long ts() {
    return ts;
  }

  public String user() {
    return user;
  }

  public String memberId() {
    return memberId;
  }

  public String text() {
    return field(0);
  }

  public String id() {
    return field(1);
  }

  public String dedupeKey() {
    return field(2);
  }

  /** Whether the message has an id (without decoding it). */
  public boolean hasId() {
    return length(fields, 0, 1) >= 0;
  }

  /** The dedupe key's {@code String.hashCode()} (0 without a key): decoded only if not kept. */
  public int dedupeKeyHash() {
    int h = keyHash;
    if (h == 0 && length(fields, 0, 2) >= 0) {
      h = dedupeKey().hashCode();
      keyHash = h;
    }
    return h;
  }

  /**
   * The UTF-8 bytes of text, id and dedupe key together: at least as many as their characters, so
   * a bound for sizing their text form without decoding them.
   */
  public int packedLength() {
    return fields.length - HEADER;
  }

  private static byte[] pack(String... values) {
    byte[][] utf8 = new byte[values.length][];
    int size = HEADER;
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null) {
        utf8[i] = values[i].getBytes(StandardCharsets.UTF_8);
        size += utf8[i].length;
      }
    }
    byte[] out = new byte[size];
    int at = HEADER;
    for (int i = 0; i < values.length; i++) {
      int n = utf8[i] == null ? -1 : utf8[i].length;
      putInt(out, 4 * i, n);
      if (n > 0) {
        System.arraycopy(utf8[i], 0, out, at, n);
        at += n;
      }
    }
    return out;
  }

  private String field(int index) {
    return field(fields, 0, index);
  }

  /** Field {@code index} (0 text, 1 id, 2 dedupe key) of the packed fields that start at {@code base} in {@code b}. */
  static String field(byte[] b, int base, int index) {
    int at = base + HEADER;
    for (int i = 0; i < index; i++) {
      at += Math.max(0, length(b, base, i));
    }
    int n = length(b, base, index);
    return n < 0 ? null : new String(b, at, n, StandardCharsets.UTF_8);
  }

  /** Whether the packed fields that start at {@code base} in {@code b} hold a dedupe key. */
  static boolean hasKey(byte[] b, int base) {
    return length(b, base, 2) >= 0;
  }

  private static int length(byte[] b, int base, int index) {
    int i = base + 4 * index;
    return (b[i] << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
  }

  private static void putInt(byte[] b, int i, int v) {
    b[i] = (byte) (v >>> 24);
    b[i + 1] = (byte) (v >>> 16);
    b[i + 2] = (byte) (v >>> 8);
    b[i + 3] = (byte) v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChatRecord r && seq == r.seq && ts == r.ts && Objects.equals(user, r.user)
        && Objects.equals(memberId, r.memberId) && Arrays.equals(fields, r.fields);
  }

  @Override
  public int hashCode() {
    return Objects.hash(seq, ts, user, memberId) * 31 + Arrays.hashCode(fields);
  }

  @Override
  public String toString() {
    return "ChatRecord[seq=" + seq + ", ts=" + ts + ", user=" + user + ", memberId=" + memberId + ", text=" + text()
        + ", id=" + id() + ", dedupeKey=" + dedupeKey() + "]";
  }
}
