package durablerooms.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * A process's journal files of one kind: the file written now, and the files it replaced once they
 * grew big, each deleted once the database holds all of it. Where a file ends is a mark: a count that
 * only rises as the journal is written (bytes, or entries), compared with how far the database
 * reaches in the same count. One thread only.
 */
final class JournalFiles {
  /** A file is replaced by a new one at this size; the old one goes once the database has it all. */
  private static final long ROTATE_BYTES = 16L * 1024 * 1024;

  /** A file this process no longer writes, deleted once the database reaches {@code mark}. */
  private record Retired(Journal journal, long mark) {}

  private final Path dir;
  private final String prefix;
  private Journal current;
  private final ArrayDeque<Retired> retired = new ArrayDeque<>();

  /** Creates the first file, locked, in {@code dir}, its name starting with {@code prefix}. */
  JournalFiles(Path dir, String prefix) throws IOException {
    this.dir = dir;
    this.prefix = prefix;
    this.current = Journal.create(dir, prefix);
  }

  /** The file written now. */
  Journal current() {
    return current;
  }

  /** After a write that brought the journal to {@code mark}: a new file if the current one is big. */
  void written(long mark) throws IOException {
    if (current.size() >= ROTATE_BYTES) {
      retired.add(new Retired(current, mark));
      current = Journal.create(dir, prefix);
    }
  }

  /**
   * Deletes the files the database holds, up to {@code stored}; empties the current file too when
   * {@code all} (the database holds everything written, and nothing waits to be).
   */
  void drop(long stored, boolean all) throws IOException {
    while (!retired.isEmpty() && retired.peekFirst().mark() <= stored) {
      retired.removeFirst().journal().close(true);
    }
    if (all && retired.isEmpty() && current.size() > 0) {
      current.truncate();
    }
  }

  /** Closes every file; deletes them when {@code delete} (the database holds them all). */
  void close(boolean delete) throws IOException {
    IOException failed = null;
    retired.add(new Retired(current, Long.MAX_VALUE));
    for (Retired r : retired) {
      try {
        r.journal().close(delete);
      } catch (IOException e) {
        failed = e;
      }
    }
    retired.clear();
    if (failed != null) {
      throw failed;
    }
  }
}
