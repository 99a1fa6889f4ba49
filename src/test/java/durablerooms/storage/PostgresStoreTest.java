package durablerooms.storage;

import durablerooms.support.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The room stores on a real PostgreSQL server, as the nodes of several machines share it. */
@Tag("process")
class PostgresStoreTest {
  private static PostgresServer postgres;

  @BeforeAll
  static void startPostgres() {
    postgres = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  @DisplayName("nodes that start at once on an empty database all open both stores: one creates the tables, the others find them")
  void nodesStartingAtOnceShareTheSchema(@TempDir Path dir) throws Exception {
    int nodes = 4;
    String user = postgres.settings().get("ROOMS_STORE_USER");
    String password = postgres.settings().get("ROOMS_STORE_PASSWORD");
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<String>> opened = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      Path journal = dir.resolve("journal-" + i);
      opened.add(CompletableFuture.supplyAsync(() -> {
        try {
          go.await();
          RoomArchive chat = RoomArchive.open(postgres.jdbcUrl(), user, password, 100, journal);
          LogicArchive types = LogicArchive.open(postgres.jdbcUrl(), user, password, 100);
          chat.close();
          types.close();
          return "opened";
        } catch (Exception e) {
          return e.toString();
        }
      }, r -> new Thread(r, "opening-node-" + opened.size()).start()));
    }
    go.countDown();
    for (CompletableFuture<String> f : opened) {
      assertEquals("opened", f.get(60, TimeUnit.SECONDS));
    }
  }
}
