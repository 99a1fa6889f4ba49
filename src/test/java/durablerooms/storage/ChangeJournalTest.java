package durablerooms.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The journal thread of the store of room types, with a writer that the test plays. */
class ChangeJournalTest {
  @TempDir
  Path dir;

  private static LogicArchive.Commit commit(long n, int chars) {
    LinkedHashMap<String, String> values = new LinkedHashMap<>();
    values.put("k", "\"" + "x".repeat(chars) + "\"");
    LogicArchive.Change change = new LogicArchive.Change("t/r", 1, values, List.of(), List.of(), 0)
        .at(1, new LogicArchive.Mark(1, n));
    return new LogicArchive.Commit(change, new CompletableFuture<>(), new CompletableFuture<>());
  }

  @Test
  void commitsThatTheDatabaseHasNotAppliedAreBoundedInCharactersTheJournalWaitsPastTheBound() throws Exception {
    BlockingQueue<LogicArchive.Task> writer = new LinkedBlockingQueue<>();
    ChangeJournal journal = new ChangeJournal(dir, writer, () -> { }, 1000);
    journal.start((t, e) -> { });
    try {
      for (long n = 1; n <= 3; n++) { // 3 x about 400 characters: the third goes past the bound
        LogicArchive.Commit c = commit(n, 300);
        journal.add(c);
        c.journaled().get(10, TimeUnit.SECONDS);
      }
      LogicArchive.Commit fourth = commit(4, 300);
      journal.add(fourth);
      assertThrows(TimeoutException.class, () -> fourth.journaled().get(500, TimeUnit.MILLISECONDS),
          "past the bound the journal waits for the database");
      assertEquals(3, writer.size(), "the writer has what was journaled, in order");
      journal.applied(3); // the database has them
      fourth.journaled().get(10, TimeUnit.SECONDS);
    } finally {
      journal.add(new LogicArchive.Stop());
      journal.join(5000);
      journal.closeFiles();
    }
  }
}
