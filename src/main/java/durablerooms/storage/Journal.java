package durablerooms.storage;

import durablerooms.state.ChatRecord;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * A journal file: an append-only log of entries, each framed by its length and checksum, written
 * with one system call per batch (texts: the commits of {@link ChangeJournal}) and replayed into the
 * database by the next node that starts on the same data folder once its process has died. Each
 * process writes files of its own and holds a lock on them while it runs; a file whose lock is free
 * is a dead process's. Like the database's commit, a write reaches the operating system, not the
 * platter: it survives a killed process, not a power cut. One writer thread only. The chat records
 * that an earlier version journaled ({@link Entry}) are only read: see {@link JournalReplay}.
 */
final class Journal implements AutoCloseable {
  /**
   * Chat records of one room at one epoch, as an earlier version journaled them; or, with no
   * records, the room's seqs reserved up to {@code reserved} by that activation.
   */
  record Entry(String room, long epoch, List<ChatRecord> records, long reserved) {
    Entry(String room, long epoch, List<ChatRecord> records) {
      this(room, epoch, records, 0);
    }

    static Entry reservation(String room, long epoch, long upTo) {
      return new Entry(room, epoch, List.of(), upTo);
    }

    boolean isReservation() {
      return records.isEmpty();
    }
  }

  /** The count that marks a reservation, in place of a count of records (older files have none). */
  private static final int RESERVATION = -1;

  /** How an earlier version named its journal files of chat records. */
  static final String PREFIX = "journal-";
  private static final String SUFFIX = ".log";
  /** The suffix of a journal file until it is locked (see the constructor). */
  private static final String CREATING = ".creating";

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;
  private final Bytes bytes = new Bytes();
  private final DataOutputStream out = new DataOutputStream(bytes);
  private final CRC32 crc = new CRC32();
  private long size;

  /**
   * The file is created under a name of its own, locked, then given a journal's name: a node that
   * starts meanwhile on the same data folder replays the journals it can lock as those of stopped
   * processes, and would otherwise take (and delete) a file created but not locked yet.
   */
  private Journal(Path dir, String name) throws IOException {
    Path creating = dir.resolve(name + CREATING);
    this.channel = FileChannel.open(creating, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    this.lock = channel.lock();
    DataFolder.restrict(creating); // rooms' state: for the node's user alone, whatever the umask
    this.file = dir.resolve(name);
    Files.move(creating, file, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A new, locked journal file in {@code dir}, its name starting with {@code prefix} (what it holds). */
  static Journal create(Path dir, String prefix) throws IOException {
    DataFolder.makePrivate(dir);
    return new Journal(dir, prefix + UUID.randomUUID() + SUFFIX);
  }

  /** Appends texts, one entry each, with one write; returns the number of bytes written. */
  long writeTexts(List<String> texts) throws IOException {
    bytes.reset();
    for (String text : texts) {
      framed(text);
    }
    return flush();
  }

  /** Encodes one text into the buffer after its length and checksum. */
  private void framed(String text) throws IOException {
    int start = bytes.size();
    out.writeInt(0); // length and checksum, filled in below
    out.writeInt(0);
    writeString(text);
    byte[] buf = bytes.array();
    int length = bytes.size() - start - 8;
    crc.reset();
    crc.update(buf, start + 8, length);
    putInt(buf, start, length);
    putInt(buf, start + 4, (int) crc.getValue());
  }

  /** Writes the buffer to the file. */
  private long flush() throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes.array(), 0, bytes.size());
    long written = 0;
    while (buffer.hasRemaining()) {
      written += channel.write(buffer);
    }
    size += written;
    return written;
  }

  /** Empties the file: every entry in it is in the database. */
  void truncate() throws IOException {
    channel.truncate(0);
    channel.position(0);
    size = 0;
  }

  /** The file's length (kept here: no system call per write to ask the file). */
  long size() {
    return size;
  }

  /** Closes the file; {@code delete} once everything in it is in the database. */
  void close(boolean delete) throws IOException {
    lock.release();
    channel.close();
    if (delete) {
      Files.deleteIfExists(file);
    }
  }

  @Override
  public void close() throws IOException {
    close(false);
  }

  /**
   * An earlier version's journals of chat records whose processes are gone (their lock is free), each
   * handed to {@code replay} with its entries while this process holds its lock, then deleted once
   * {@code replay} returns.
   */
  static int recover(Path dir, Replay replay) throws Exception {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int recovered = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
      for (Path f : files) {
        if (replayed(f, replay)) {
          recovered++;
        }
      }
    }
    // a file of a process killed between its creation and its rename holds nothing
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX + CREATING)) {
      for (Path f : files) {
        replayed(f, entries -> {});
      }
    }
    return recovered;
  }

  /**
   * Replays and deletes {@code f} if no running process holds it; false if one does, or if another
   * node starting at the same time took it first.
   */
  private static boolean replayed(Path f, Replay replay) throws Exception {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock held;
      try {
        held = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        return false; // a node of this JVM writes it
      }
      if (held == null) {
        return false; // a running process writes it
      }
      replay.apply(read(ch));
      held.release();
    } catch (NoSuchFileException e) {
      return false; // another node replayed and deleted it
    }
    return Files.deleteIfExists(f);
  }

  interface Replay {
    void apply(List<Entry> entries) throws Exception;
  }

  interface TextReplay {
    void apply(List<String> texts) throws Exception;
  }

  /**
   * The texts of every journal named {@code prefix}... in {@code dir} whose process is gone (its lock
   * is free), handed to {@code replay} at once, in no particular order of files, while this process
   * holds their locks; the files are deleted once {@code replay} returns. Returns how many there were.
   */
  static int recoverTexts(Path dir, String prefix, TextReplay replay) throws Exception {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    List<FileChannel> open = new ArrayList<>();
    List<Path> taken = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    try {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*" + SUFFIX)) {
        for (Path f : files) {
          FileChannel ch;
          try {
            ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
          } catch (NoSuchFileException e) {
            continue; // another node replayed and deleted it
          }
          FileLock held;
          try {
            held = ch.tryLock();
          } catch (OverlappingFileLockException e) {
            held = null; // a node of this JVM writes it
          }
          if (held == null) {
            ch.close();
            continue;
          }
          open.add(ch);
          if (!Files.exists(f)) {
            continue; // replayed and deleted by another node between the listing and the lock
          }
          taken.add(f);
          for (ByteBuffer payload : payloads(ch)) {
            texts.add(readString(payload));
          }
        }
      }
      if (!taken.isEmpty()) {
        replay.apply(texts);
      }
      for (Path f : taken) {
        Files.deleteIfExists(f);
      }
    } finally {
      for (FileChannel ch : open) {
        ch.close();
      }
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*" + SUFFIX + CREATING)) {
      for (Path f : files) {
        replayed(f, entries -> {});
      }
    }
    return taken.size();
  }

  /** The entries of a file up to the first torn or damaged one (a write the process did not finish). */
  static List<Entry> read(FileChannel ch) throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (ByteBuffer payload : payloads(ch)) {
      entries.add(decode(payload));
    }
    return entries;
  }

  /** The payloads of a file's entries up to the first torn or damaged one. */
  private static List<ByteBuffer> payloads(FileChannel ch) throws IOException {
    ByteBuffer all = ByteBuffer.allocate((int) ch.size());
    while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
      // read the whole file
    }
    all.flip();
    List<ByteBuffer> entries = new ArrayList<>();
    CRC32 check = new CRC32();
    while (all.remaining() >= 8) {
      int length = all.getInt();
      int sum = all.getInt();
      if (length < 0 || length > all.remaining()) {
        break;
      }
      check.reset();
      check.update(all.array(), all.position(), length);
      if ((int) check.getValue() != sum) {
        break;
      }
      ByteBuffer payload = all.slice(all.position(), length);
      all.position(all.position() + length);
      entries.add(payload);
    }
    return entries;
  }

  private static Entry decode(ByteBuffer in) {
    String room = readString(in);
    long epoch = in.getLong();
    int count = in.getInt();
    if (count == RESERVATION) {
      return Entry.reservation(room, epoch, in.getLong());
    }
    List<ChatRecord> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      records.add(new ChatRecord(in.getLong(), in.getLong(), readString(in), readString(in), readString(in),
          readString(in), readString(in)));
    }
    return new Entry(room, epoch, records);
  }

  private void writeString(String s) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  private static String readString(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0) {
      return null;
    }
    String s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return s;
  }

  /** The encoding buffer, reused for every write, with its array open to the checksum. */
  private static final class Bytes extends ByteArrayOutputStream {
    Bytes() {
      super(64 * 1024);
    }

    byte[] array() {
      return buf;
    }
  }

  private static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }
}
