package durablerooms.storage;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** A journal file's life: created under a name of its own, named a journal once locked. */
class JournalTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("a journal file has a journal's name only once it is locked; a file left half-created by a killed process is removed")
  void aJournalIsNamedOnlyOnceLocked() throws Exception {
    Path left = dir.resolve(ChangeJournal.PREFIX + UUID.randomUUID() + ".log.creating");
    Files.createFile(left); // a process killed between creating its journal and locking it
    try (Journal journal = Journal.create(dir, ChangeJournal.PREFIX)) {
      try (Stream<Path> files = Files.list(dir)) {
        assertEquals(1, files.filter(f -> f.toString().endsWith(".log")).count(), "named once locked");
      }
      assertEquals(0, Journal.recoverTexts(dir, ChangeJournal.PREFIX,
          texts -> { throw new AssertionError("a live journal was replayed"); }));
      assertFalse(Files.exists(left), "the half-created file is removed");
    }
  }
}
