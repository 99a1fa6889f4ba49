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
import static org.junit.jupiter.api.Assertions.assertThrows;

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

  @Test
  @DisplayName("a room of a user's type commits in order by its marks, reserves seqs and replays a takeover on PostgreSQL")
  void marksReservationsAndReplayRunOnPostgres() throws Exception {
    String user = postgres.settings().get("ROOMS_STORE_USER");
    String password = postgres.settings().get("ROOMS_STORE_PASSWORD");
    String room = "t/pg-" + System.nanoTime();
    try (LogicArchive a = LogicArchive.open(postgres.jdbcUrl(), user, password, 100)) {
      long epoch = a.activate(room).get(10, TimeUnit.SECONDS).epoch();
      a.reserve(room, epoch, 1000).get(10, TimeUnit.SECONDS);
      a.commit(new LogicArchive.Change(room, epoch, new java.util.LinkedHashMap<>(java.util.Map.of("k", "1")),
          List.of(new LogicArchive.Event(1, 1, "{}")), List.of(), 1).at(epoch, new LogicArchive.Mark(epoch, 1)))
          .get(10, TimeUnit.SECONDS);
      var outOfOrder = a.commit(new LogicArchive.Change(room, epoch, new java.util.LinkedHashMap<>(), List.of(),
          List.of(), 1).at(epoch, new LogicArchive.Mark(epoch, 3)));
      assertThrows(java.util.concurrent.ExecutionException.class, () -> outOfOrder.get(10, TimeUnit.SECONDS));
      LogicArchive.Loaded taking = a.activate(room).get(10, TimeUnit.SECONDS);
      assertEquals(1000, taking.reserved());
      assertEquals(new LogicArchive.Mark(epoch, 1), taking.applied());
      LogicArchive.Loaded replayed = a.replay(new LogicArchive.Change(room, taking.epoch(),
          new java.util.LinkedHashMap<>(java.util.Map.of("k", "2")), List.of(new LogicArchive.Event(2, 2, "{}")),
          List.of(), 2).at(taking.epoch(), new LogicArchive.Mark(epoch, 2))).get(10, TimeUnit.SECONDS);
      assertEquals(2, replayed.seq());
      assertEquals("2", replayed.values().get("k"));
      a.reserve(room, taking.epoch(), 0).get(10, TimeUnit.SECONDS);
      assertEquals(0, a.activate(room).get(10, TimeUnit.SECONDS).reserved());
    }
  }
}
