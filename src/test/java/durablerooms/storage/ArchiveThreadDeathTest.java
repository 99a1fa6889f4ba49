package durablerooms.storage;

import durablerooms.state.ChatRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A store thread that dies is reported, and nothing waits for it forever. */
class ArchiveThreadDeathTest {
  @TempDir
  Path journals;

  @Test
  @DisplayName("when the writer thread dies of an Error, the archive reports it, fails what waited and takes no more work")
  void writerDeath() throws Exception {
    String url = FaultyDriver.url("jdbc:h2:mem:death-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    try (RoomArchive archive = RoomArchive.open(url, "", "", 100, journals)) {
      CompletableFuture<String> died = new CompletableFuture<>();
      archive.onThreadDeath((thread, e) -> died.complete(thread));
      ChatRecord first = new ChatRecord(1, 1000, "ann", "m1", "hello", "id-1", "c:ann|id-1");
      archive.checkpoint("r", 1, 1, List.of(first)).get(10, TimeUnit.SECONDS); // the store works

      FaultyDriver.arm();
      ChatRecord second = new ChatRecord(2, 1001, "ann", "m1", "again", "id-2", "c:ann|id-2");
      CompletableFuture<Void> checkpoint = archive.checkpoint("r", 1, 2, List.of(first, second));
      assertEquals("durable-rooms-archive-writer", died.get(10, TimeUnit.SECONDS));
      ExecutionException failed = assertThrows(ExecutionException.class, () -> checkpoint.get(10, TimeUnit.SECONDS));
      assertTrue(failed.getCause() instanceof InternalError, "it fails with the cause: " + failed.getCause());
      CompletableFuture<Void> later = archive.append("r", 1, List.of(second));
      assertTrue(later.isCompletedExceptionally(), "work queued after the death fails at once");
    }
  }
}
