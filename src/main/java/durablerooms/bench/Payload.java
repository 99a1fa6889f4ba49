package durablerooms.bench;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * The generator's message text and the server frames it reads. The text carries the sender's
 * client index, its sequence number and the intended send time: {@code ~SENDER~SEQ~MICROS~xxx...}
 * padded to the requested size. Frames are classified by their first bytes ({@code {"type":"X})
 * as the design promises, and a MESSAGE's marker is found without parsing the JSON, so the
 * receiving side stays cheap next to the server it measures.
 */
public final class Payload {
  /** The server frames the generator tells apart. */
  public enum Kind { SYSTEM, PRESENCE, MESSAGE, ACK, ERROR, OTHER }

  /** The fields of a generator message, filled in place to avoid allocation per delivery. */
  public static final class Marker {
    public int sender;
    public long seq;
    public long micros;
  }

  private static final byte[] PREFIX = "{\"type\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[][] TYPES = {
      "SYSTEM\"".getBytes(StandardCharsets.US_ASCII),
      "PRESENCE\"".getBytes(StandardCharsets.US_ASCII),
      "MESSAGE\"".getBytes(StandardCharsets.US_ASCII),
      "ACK\"".getBytes(StandardCharsets.US_ASCII),
      "ERROR\"".getBytes(StandardCharsets.US_ASCII)};
  private static final Kind[] KINDS = {Kind.SYSTEM, Kind.PRESENCE, Kind.MESSAGE, Kind.ACK, Kind.ERROR};

  private Payload() {}

  /** The message text for {@code sender}'s message {@code seq} intended at {@code micros}, {@code size} chars. */
  public static String text(int sender, long seq, long micros, int size) {
    StringBuilder sb = new StringBuilder(Math.max(size, 48));
    sb.append('~').append(sender).append('~').append(seq).append('~').append(micros).append('~');
    while (sb.length() < size) {
      sb.append('x');
    }
    return sb.toString();
  }

  /** The client frame: the seed's {@code {"message":...}}, or with an id when ACKs are wanted. */
  public static String frame(String text, String id) {
    if (id == null) {
      return "{\"message\":\"" + text + "\"}";
    }
    return "{\"type\":\"message\",\"message\":\"" + text + "\",\"id\":\"" + id + "\"}";
  }

  public static Kind kind(Buffer b) {
    int n = b.length();
    if (n < PREFIX.length + 4) {
      return Kind.OTHER;
    }
    for (int i = 0; i < PREFIX.length; i++) {
      if (b.getByte(i) != PREFIX[i]) {
        return Kind.OTHER;
      }
    }
    for (int t = 0; t < TYPES.length; t++) {
      byte[] type = TYPES[t];
      if (n >= PREFIX.length + type.length && matches(b, PREFIX.length, type)) {
        return KINDS[t];
      }
    }
    return Kind.OTHER;
  }

  private static boolean matches(Buffer b, int at, byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      if (b.getByte(at + i) != bytes[i]) {
        return false;
      }
    }
    return true;
  }

  /** Reads the marker of a MESSAGE frame (the first {@code ~} in it); false if there is none. */
  public static boolean marker(Buffer b, Marker out) {
    int n = b.length();
    int i = PREFIX.length;
    while (i < n && b.getByte(i) != '~') {
      i++;
    }
    long[] fields = new long[3];
    for (int f = 0; f < 3; f++) {
      i++;
      long v = 0;
      int digits = 0;
      while (i < n && b.getByte(i) >= '0' && b.getByte(i) <= '9' && digits < 18) {
        v = v * 10 + (b.getByte(i) - '0');
        i++;
        digits++;
      }
      if (digits == 0 || i >= n || b.getByte(i) != '~') {
        return false;
      }
      fields[f] = v;
    }
    if (fields[0] > Integer.MAX_VALUE) {
      return false;
    }
    out.sender = (int) fields[0];
    out.seq = fields[1];
    out.micros = fields[2];
    return true;
  }
}
