package durablerooms.storage;

import durablerooms.state.ChatRecord;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * What an earlier version of chat left on disk, written here as that version wrote it (its tables,
 * its chunk rows, its journal files) and not through this version's code, so that a test of the
 * upgrade fails when this version stops reading what earlier ones wrote.
 */
public final class EarlierChatStore {
  /** A journal entry's record count that marks a seq reservation. */
  private static final int RESERVATION = -1;

  private EarlierChatStore() {}

  /**
   * Stores a room in the chat tables at {@code url} (created if missing): its seq and epoch in
   * rooms_state and its records in rooms_chunks, one row per list of {@code chunks}.
   */
  @SafeVarargs
  public static void room(String url, String password, String room, long epoch, long seq, List<ChatRecord>... chunks)
      throws SQLException {
    try (Connection c = StoreSql.connect(url, "", password)) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE IF NOT EXISTS rooms_state (room VARCHAR(64) PRIMARY KEY, seq BIGINT NOT NULL, "
            + "epoch BIGINT NOT NULL)");
        st.execute("CREATE TABLE IF NOT EXISTS rooms_chunks (room VARCHAR(64) NOT NULL, first_seq BIGINT NOT NULL, "
            + "last_seq BIGINT NOT NULL, records VARCHAR(10000000) NOT NULL, PRIMARY KEY (room, first_seq))");
        st.execute("CREATE TABLE IF NOT EXISTS rooms_reserved (room VARCHAR(64) PRIMARY KEY, seq BIGINT NOT NULL, "
            + "epoch BIGINT NOT NULL)");
      }
      try (PreparedStatement state = c.prepareStatement("INSERT INTO rooms_state (room, seq, epoch) VALUES (?, ?, ?)")) {
        state.setString(1, room);
        state.setLong(2, seq);
        state.setLong(3, epoch);
        state.executeUpdate();
      }
      try (PreparedStatement chunk = c.prepareStatement(
          "INSERT INTO rooms_chunks (room, first_seq, last_seq, records) VALUES (?, ?, ?, ?)")) {
        for (List<ChatRecord> records : chunks) {
          chunk.setString(1, room);
          chunk.setLong(2, records.get(0).seq());
          chunk.setLong(3, records.get(records.size() - 1).seq());
          chunk.setString(4, chunkText(records));
          chunk.executeUpdate();
        }
      }
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
  }

  /**
   * A chunk row's text: per record its seq and time, each followed by ',', then user, member id,
   * text, id and dedupe key, each as its length in chars, ':' and its chars, or '-' for null.
   */
  private static String chunkText(List<ChatRecord> records) {
    StringBuilder text = new StringBuilder();
    for (ChatRecord r : records) {
      text.append(r.seq()).append(',').append(r.ts()).append(',');
      for (String s : new String[] {r.user(), r.memberId(), r.text(), r.id(), r.dedupeKey()}) {
        text.append(s == null ? "-" : s.length() + ":" + s);
      }
    }
    return text.toString();
  }

  /**
   * Writes a journal file into {@code dir} as an earlier version's process left it when it died
   * (named journal-*.log, no lock held), holding {@code entries} ({@link #records}, {@link #reservation});
   * returns the file.
   */
  public static Path journal(Path dir, byte[]... entries) throws IOException {
    Files.createDirectories(dir);
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(file);
    CRC32 crc = new CRC32();
    for (byte[] payload : entries) {
      crc.reset();
      crc.update(payload);
      out.writeInt(payload.length);
      out.writeInt((int) crc.getValue());
      out.write(payload);
    }
    return Files.write(dir.resolve("journal-" + UUID.randomUUID() + ".log"), file.toByteArray());
  }

  /** A journal entry: a room's records, journaled by its activation {@code epoch}. */
  public static byte[] records(String room, long epoch, List<ChatRecord> records) {
    return entry(out -> {
      writeString(out, room);
      out.writeLong(epoch);
      out.writeInt(records.size());
      for (ChatRecord r : records) {
        out.writeLong(r.seq());
        out.writeLong(r.ts());
        writeString(out, r.user());
        writeString(out, r.memberId());
        writeString(out, r.text());
        writeString(out, r.id());
        writeString(out, r.dedupeKey());
      }
    });
  }

  /** A journal entry: the room's seqs reserved up to {@code upTo} by its activation {@code epoch}. */
  public static byte[] reservation(String room, long epoch, long upTo) {
    return entry(out -> {
      writeString(out, room);
      out.writeLong(epoch);
      out.writeInt(RESERVATION);
      out.writeLong(upTo);
    });
  }

  private interface Payload {
    void write(DataOutputStream out) throws IOException;
  }

  private static byte[] entry(Payload payload) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      payload.write(new DataOutputStream(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /** A string as the journal wrote it: its UTF-8 length (-1 for null), then its bytes. */
  private static void writeString(DataOutputStream out, String s) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }
}
