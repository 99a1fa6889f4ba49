package durablerooms.storage;

import durablerooms.state.ChatRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * The text form of a run of one room's records, stored as one row (a chunk): per record its seq
 * and time, then its five strings, each as its length, ':' and its characters, or '-' for none.
 * Lengths count chars, so no character needs escaping. A chunk holds at most MAX_CHARS of text, or
 * one record that is longer on its own.
 */
final class Chunks {
  /** Text per chunk above which a run is split; the column holds ten times that. */
  static final int MAX_CHARS = 1_000_000;

  /** One chunk: the seqs of its first and last records, and their text. */
  record Chunk(long firstSeq, long lastSeq, String text) {}

  private Chunks() {}

  /** The records (in seq order) as chunks of at most MAX_CHARS each. */
  static List<Chunk> of(List<ChatRecord> records) {
    List<Chunk> chunks = new ArrayList<>(1);
    StringBuilder text = new StringBuilder(records.size() * 160);
    long first = 0;
    long last = 0;
    for (ChatRecord r : records) {
      if (!text.isEmpty() && text.length() + length(r) > MAX_CHARS) {
        chunks.add(new Chunk(first, last, text.toString()));
        text.setLength(0);
      }
      if (text.isEmpty()) {
        first = r.seq();
      }
      last = r.seq();
      append(text, r);
    }
    if (!text.isEmpty()) {
      chunks.add(new Chunk(first, last, text.toString()));
    }
    return chunks;
  }

  /** The records a chunk's text holds, in order. */
  static List<ChatRecord> records(String text) {
    List<ChatRecord> records = new ArrayList<>();
    int[] at = {0};
    while (at[0] < text.length()) {
      long seq = number(text, at, ',');
      long ts = number(text, at, ',');
      records.add(new ChatRecord(seq, ts, string(text, at), string(text, at), string(text, at), string(text, at),
          string(text, at)));
    }
    return records;
  }

  private static int length(ChatRecord r) {
    return 48 + size(r.user()) + size(r.memberId()) + size(r.text()) + size(r.id()) + size(r.dedupeKey());
  }

  private static int size(String s) {
    return s == null ? 1 : s.length() + 8;
  }

  private static void append(StringBuilder text, ChatRecord r) {
    text.append(r.seq()).append(',').append(r.ts()).append(',');
    field(text, r.user());
    field(text, r.memberId());
    field(text, r.text());
    field(text, r.id());
    field(text, r.dedupeKey());
  }

  private static void field(StringBuilder text, String s) {
    if (s == null) {
      text.append('-');
    } else {
      text.append(s.length()).append(':').append(s);
    }
  }

  private static long number(String text, int[] at, char end) {
    int stop = text.indexOf(end, at[0]);
    if (stop < 0) {
      throw new IllegalArgumentException("damaged chunk at " + at[0]);
    }
    long n = Long.parseLong(text, at[0], stop, 10);
    at[0] = stop + 1;
    return n;
  }

  private static String string(String text, int[] at) {
    if (text.charAt(at[0]) == '-') {
      at[0]++;
      return null;
    }
    int n = (int) number(text, at, ':');
    String s = text.substring(at[0], at[0] + n);
    at[0] += n;
    return s;
  }
}
