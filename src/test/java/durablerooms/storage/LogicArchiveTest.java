package durablerooms.storage;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store of room types on SQLite (the default) and H2: activation epochs, fencing, retention. */
class LogicArchiveTest {
  private static final int HISTORY = 5;

  @TempDir
  Path dir;

  private LogicArchive open(String kind) throws Exception {
    String url = kind.equals("sqlite") ? EmbeddedStore.url(dir) : "jdbc:h2:mem:logic-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    return LogicArchive.open(url, "", "", HISTORY);
  }

  private static <T> T get(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  private static LogicArchive.Change change(String room, long epoch, long seq, List<LogicArchive.Event> events,
                                            List<LogicArchive.Ack> acks, String... keyValues) {
    LinkedHashMap<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      values.put(keyValues[i], keyValues[i + 1]);
    }
    return new LogicArchive.Change(room, epoch, values, events, acks, seq);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void aRoomReadsBackWhatItCommittedAndEachActivationRaisesTheEpoch(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      assertFalse(get(a.exists("t/r")));
      LogicArchive.Loaded first = get(a.activate("t/r"));
      assertEquals(1, first.epoch());
      assertEquals(0, first.seq());
      get(a.commit(change("t/r", 1, 2, List.of(new LogicArchive.Event(1, 10, "{\"seq\":1}"),
          new LogicArchive.Event(2, 11, "{\"seq\":2}")), List.of(new LogicArchive.Ack("c\nm1", 2, 77)),
          "a", "1", "b", "\"x\"")));
      get(a.commit(change("t/r", 1, 2, List.of(), List.of(), "b", null, "c", "{\"k\":true}")));
      LogicArchive.Loaded second = get(a.activate("t/r"));
      assertEquals(2, second.epoch());
      assertEquals(2, second.seq());
      assertEquals(java.util.Map.of("a", "1", "c", "{\"k\":true}"), second.values());
      assertEquals(List.of(1L, 2L), second.events().stream().map(LogicArchive.Event::seq).toList());
      assertEquals(new LogicArchive.Ack("c\nm1", 2, 77), second.acks().get("c\nm1"), "the ACK with its time");
      assertTrue(get(a.exists("t/r")));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void aWakeRaisesTheEpochItSleptWithAndFencesBothActivationsWhenAnotherCameBetween(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      get(a.activate("t/r")); // epoch 1, then it sleeps
      var raised = a.wake("t/r", 1);
      var first = a.commit(change("t/r", 2, 0, List.of(), List.of(), "k", "1")); // queued behind the raise
      assertEquals(2, get(raised));
      get(first);
      assertEquals("1", get(a.activate("t/r")).values().get("k")); // epoch 3: an activation on another node

      ExecutionException stale = assertThrows(ExecutionException.class, () -> get(a.wake("t/r", 2)));
      assertInstanceOf(LogicArchive.FencedException.class, stale.getCause());
      // the stale wake's commits would be at epoch 3, as that activation's are: neither is taken
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> get(a.commit(change("t/r", 3, 0, List.of(), List.of(), "k", "2"))));
      assertInstanceOf(LogicArchive.FencedException.class, e.getCause());
      ExecutionException none = assertThrows(ExecutionException.class, () -> get(a.wake("t/none", 1)));
      assertInstanceOf(LogicArchive.FencedException.class, none.getCause(), "a room the store does not hold");
      assertEquals("1", get(a.activate("t/r")).values().get("k"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void aStaleActivationCannotCommitButOtherRoomsOfItsBatchDo(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      get(a.activate("t/r"));
      get(a.activate("t/other"));
      get(a.activate("t/r")); // a newer activation: epoch 2
      var stale = a.commit(change("t/r", 1, 0, List.of(), List.of(), "k", "1"));
      var fine = a.commit(change("t/other", 1, 0, List.of(), List.of(), "k", "2"));
      ExecutionException e = assertThrows(ExecutionException.class, () -> get(stale));
      assertInstanceOf(LogicArchive.FencedException.class, e.getCause());
      get(fine);
      assertTrue(get(a.activate("t/r")).values().isEmpty(), "the stale write is not there");
      assertEquals("2", get(a.activate("t/other")).values().get("k"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void aCommitWhoseMarkDoesNotFollowTheLastOneIsRefusedSoAFailedOneIsNeverSkipped(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      get(a.activate("t/r"));
      get(a.commit(change("t/r", 1, 0, List.of(), List.of(), "k", "1").at(1, new LogicArchive.Mark(1, 1))));
      // commit 2 failed in the store; commit 3, written behind the replica, comes next
      var third = a.commit(change("t/r", 1, 0, List.of(), List.of(), "k", "3").at(1, new LogicArchive.Mark(1, 3)));
      ExecutionException e = assertThrows(ExecutionException.class, () -> get(third));
      assertInstanceOf(LogicArchive.FencedException.class, e.getCause());
      LogicArchive.Loaded next = get(a.activate("t/r"));
      assertEquals(new LogicArchive.Mark(1, 1), next.applied());
      assertEquals("1", next.values().get("k"));
      // a new activation's first commit follows any mark of an older one
      get(a.commit(change("t/r", 2, 0, List.of(), List.of(), "k", "4").at(2, new LogicArchive.Mark(2, 1))));
      assertEquals(new LogicArchive.Mark(2, 1), get(a.activate("t/r")).applied());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void aTakeoversReplayIsCommittedAtItsEpochAndReadBackWithItsMark(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      get(a.activate("t/r"));
      get(a.commit(change("t/r", 1, 1, List.of(new LogicArchive.Event(1, 1, "{}")), List.of(), "k", "1")
          .at(1, new LogicArchive.Mark(1, 1))));
      LogicArchive.Loaded taking = get(a.activate("t/r"));
      LogicArchive.Loaded replayed = get(a.replay(change("t/r", taking.epoch(), 2,
          List.of(new LogicArchive.Event(2, 2, "{\"n\":2}")), List.of(new LogicArchive.Ack("c\nm2", 2, 5)), "k", "2")
          .at(taking.epoch(), new LogicArchive.Mark(1, 3))));
      assertEquals(taking.epoch(), replayed.epoch(), "a replay does not raise the epoch");
      assertEquals(2, replayed.seq());
      assertEquals("2", replayed.values().get("k"));
      assertEquals(List.of(1L, 2L), replayed.events().stream().map(LogicArchive.Event::seq).toList());
      assertEquals(new LogicArchive.Ack("c\nm2", 2, 5), replayed.acks().get("c\nm2"));
      assertEquals(new LogicArchive.Mark(1, 3), replayed.applied());
      get(a.activate("t/r"));
      var stale = a.replay(change("t/r", taking.epoch(), 2, List.of(), List.of(), "k", "3")
          .at(taking.epoch(), new LogicArchive.Mark(1, 4)));
      ExecutionException e = assertThrows(ExecutionException.class, () -> get(stale));
      assertInstanceOf(LogicArchive.FencedException.class, e.getCause());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void aReservationOnlyRisesIsReadBackUntilGivenBackAndIsFencedByTheEpoch(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      get(a.activate("t/r"));
      get(a.reserve("t/r", 1, 1000));
      get(a.reserve("t/r", 1, 500)); // an older request completing late
      get(a.commit(change("t/r", 1, 0, List.of(), List.of(), "k", "1").at(1, new LogicArchive.Mark(1, 1))));
      LogicArchive.Loaded next = get(a.activate("t/r"));
      assertEquals(1000, next.reserved());
      assertEquals(new LogicArchive.Mark(1, 1), next.applied(), "a commit's mark leaves the reservation alone");
      var stale = a.reserve("t/r", 1, 0);
      ExecutionException e = assertThrows(ExecutionException.class, () -> get(stale));
      assertInstanceOf(LogicArchive.FencedException.class, e.getCause());
      get(a.reserve("t/r", next.epoch(), 0));
      assertEquals(0, get(a.activate("t/r")).reserved());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void aStoreOfTheEarlierVersionGainsTheColumnsOfMarksReservationsAndAckTimesAndKeepsItsRooms(String kind)
      throws Exception {
    String url = kind.equals("sqlite") ? EmbeddedStore.url(dir) : "jdbc:h2:mem:logic-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
         java.sql.Statement st = c.createStatement()) {
      st.execute("CREATE TABLE logic_rooms (room VARCHAR(100) PRIMARY KEY, epoch BIGINT NOT NULL, "
          + "seq BIGINT NOT NULL, acks BIGINT NOT NULL)");
      st.execute("INSERT INTO logic_rooms (room, epoch, seq, acks) VALUES ('t/old', 3, 7, 1)");
      st.execute("CREATE TABLE logic_acks (room VARCHAR(100) NOT NULL, k VARCHAR(400) NOT NULL, "
          + "n BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (room, k))");
      st.execute("INSERT INTO logic_acks (room, k, n, seq) VALUES ('t/old', 'c\nm1', 1, 7)");
    }
    try (LogicArchive a = LogicArchive.open(url, "", "", HISTORY)) {
      LogicArchive.Loaded old = get(a.activate("t/old"));
      assertEquals(4, old.epoch());
      assertEquals(7, old.seq());
      assertEquals(LogicArchive.Mark.NONE, old.applied());
      assertEquals(0, old.reserved());
      assertEquals(new LogicArchive.Ack("c\nm1", 7, 0), old.acks().get("c\nm1"), "an ACK stored without its time repeats 0");
      get(a.commit(change("t/old", 4, 8, List.of(), List.of(new LogicArchive.Ack("c\nm2", 8, 123)), "k", "1")
          .at(4, new LogicArchive.Mark(4, 1))));
      get(a.reserve("t/old", 4, 1000));
    }
    try (LogicArchive again = LogicArchive.open(url, "", "", HISTORY)) { // the columns are there: opened as it is
      LogicArchive.Loaded next = get(again.activate("t/old"));
      assertEquals(new LogicArchive.Mark(4, 1), next.applied());
      assertEquals(1000, next.reserved());
      assertEquals(new LogicArchive.Ack("c\nm2", 8, 123), next.acks().get("c\nm2"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void eventsAndAcksAreKeptUpToTheHistoryLimit(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      get(a.activate("t/r"));
      for (int seq = 1; seq <= 12; seq++) {
        get(a.commit(change("t/r", 1, seq, List.of(new LogicArchive.Event(seq, seq, "{}")),
            List.of(new LogicArchive.Ack("c\n" + seq, seq, seq)))));
      }
      LogicArchive.Loaded loaded = get(a.activate("t/r"));
      assertEquals(12, loaded.seq());
      assertEquals(List.of(8L, 9L, 10L, 11L, 12L), loaded.events().stream().map(LogicArchive.Event::seq).toList());
      assertEquals(List.of("c\n8", "c\n9", "c\n10", "c\n11", "c\n12"), List.copyOf(loaded.acks().keySet()));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite"})
  void aHundredThousandPendingAlarmsAreFoundByOneQueryForWhatIsDue(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      long now = 1_000_000;
      for (int r = 0; r < 100; r++) {
        String room = "t/r" + r;
        get(a.activate(room));
        LinkedHashMap<String, Long> alarms = new LinkedHashMap<>();
        for (int i = 0; i < 1000; i++) {
          // rooms 0-9 have one alarm due; every other alarm is in the future
          alarms.put("a" + i, r < 10 && i == 0 ? now - r : now + 1000 + i);
        }
        get(a.commit(new LogicArchive.Change(room, 1, new LinkedHashMap<>(), List.of(), List.of(), 0, alarms, List.of())));
      }
      List<String> due = get(a.due(now, 1000));
      assertEquals(List.of("t/r9", "t/r8", "t/r7", "t/r6", "t/r5", "t/r4", "t/r3", "t/r2", "t/r1", "t/r0"), due,
          "the rooms with a due alarm, the most overdue first, and only them");
      assertEquals(3, get(a.due(now, 3)).size(), "at most the limit per look");
      assertEquals(1000, get(a.activate("t/r50")).alarms().size());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void theLogIsReadInPagesWithAGapWhereRetentionDroppedEvents(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      assertEquals(null, get(a.log("t/none", 0, 10, Long.MIN_VALUE)), "a room the store does not hold");
      get(a.activate("t/r"));
      for (long seq = 1; seq <= 8; seq++) {
        get(a.commit(change("t/r", 1, seq, List.of(new LogicArchive.Event(seq, seq, "{\"seq\":" + seq + "}")),
            List.of())));
      }
      durablerooms.state.EventSlice tail = get(a.log("t/r", 5, 2, Long.MIN_VALUE));
      assertEquals(8, tail.seq());
      assertEquals(List.of(6L, 7L), tail.events().stream().map(durablerooms.state.EventSlice.Entry::seq).toList());
      assertEquals("{\"seq\":6}", tail.events().get(0).json());
      assertFalse(tail.gap());
      durablerooms.state.EventSlice all = get(a.log("t/r", 0, 100, Long.MIN_VALUE));
      assertEquals(List.of(4L, 5L, 6L, 7L, 8L), all.events().stream().map(durablerooms.state.EventSlice.Entry::seq)
          .toList(), HISTORY + " are retained");
      assertTrue(all.gap(), "seq 1 to 3 are gone");
      durablerooms.state.EventSlice none = get(a.log("t/r", 8, 100, Long.MIN_VALUE));
      assertEquals(List.of(), none.events());
      assertFalse(none.gap());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void eventsStampedBeforeTheTtlAreLeftOutOfReadsAndDeletedAndTheRoomKeepsItsSeq(String kind) throws Exception {
    try (LogicArchive a = open(kind)) {
      get(a.activate("t/r"));
      get(a.activate("t/other"));
      for (long seq = 1; seq <= 4; seq++) {
        get(a.commit(change("t/r", 1, seq, List.of(new LogicArchive.Event(seq, seq * 10, "{}")), List.of())));
      }
      get(a.commit(change("t/other", 1, 1, List.of(new LogicArchive.Event(1, 5, "{}")), List.of())));
      durablerooms.state.EventSlice fresh = get(a.log("t/r", 0, 100, 25));
      assertEquals(List.of(3L, 4L), fresh.events().stream().map(durablerooms.state.EventSlice.Entry::seq).toList(),
          "stamped 10 and 20: expired at 25");
      assertTrue(fresh.gap());
      assertEquals(3, get(a.expire(25)), "both rooms' expired events, the one asleep too");
      durablerooms.state.EventSlice stored = get(a.log("t/r", 0, 100, Long.MIN_VALUE));
      assertEquals(List.of(3L, 4L), stored.events().stream().map(durablerooms.state.EventSlice.Entry::seq).toList());
      assertEquals(4, stored.seq());
      assertEquals(List.of(), get(a.log("t/other", 0, 100, Long.MIN_VALUE)).events());
      LogicArchive.Loaded next = get(a.activate("t/r"));
      assertEquals(4, next.seq(), "the seq goes on");
      assertEquals(List.of(3L, 4L), next.events().stream().map(LogicArchive.Event::seq).toList());
      assertEquals(0, get(a.expire(25)));
    }
  }

  private LogicArchive openJournaled(String kind, String url) throws Exception {
    return LogicArchive.open(url, "", "", HISTORY, 1000, dir.resolve("journal"));
  }

  private String url(String kind) {
    return kind.equals("sqlite") ? EmbeddedStore.url(dir) : "jdbc:h2:mem:logic-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
  }

  private static LogicArchive.Change marked(String room, long epoch, long n, long seq, String key, String value) {
    List<LogicArchive.Event> events = seq == 0 ? List.of() : List.of(new LogicArchive.Event(seq, seq, "{\"n\":" + n + "}"));
    return change(room, epoch, seq, events, List.of(new LogicArchive.Ack("c\nm" + n, seq, n)), key, value)
        .at(epoch, new LogicArchive.Mark(epoch, n));
  }

  private long journalFiles() throws Exception {
    try (var files = java.nio.file.Files.list(dir.resolve("journal"))) {
      return files.filter(f -> f.getFileName().toString().startsWith(ChangeJournal.PREFIX)).count();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void aJournaledCommitIsOnDiskFirstAndTheStoreAppliesARoomsCommitsMergedInOrder(String kind) throws Exception {
    String url = url(kind);
    try (LogicArchive a = openJournaled(kind, url)) {
      assertEquals(1, get(a.activate("t/r")).epoch());
      List<LogicArchive.Appended> appended = new java.util.ArrayList<>();
      for (long n = 1; n <= 8; n++) {
        appended.add(a.append(marked("t/r", 1, n, n, n % 2 == 0 ? "even" : "odd", String.valueOf(n))));
      }
      for (LogicArchive.Appended w : appended) {
        get(w.onDisk());
      }
      get(a.flush());
      for (LogicArchive.Appended w : appended) {
        assertTrue(w.inStore().isDone() && !w.inStore().isCompletedExceptionally());
      }
      LogicArchive.Loaded back = get(a.activate("t/r"));
      assertEquals(8, back.seq());
      assertEquals(new LogicArchive.Mark(1, 8), back.applied());
      assertEquals(java.util.Map.of("odd", "7", "even", "8"), back.values());
      assertEquals(List.of(4L, 5L, 6L, 7L, 8L), back.events().stream().map(LogicArchive.Event::seq).toList(),
          "the newest events, up to the history limit");
      assertEquals(HISTORY, back.acks().size());
      var stale = a.append(marked("t/r", 1, 9, 9, "odd", "9"));
      get(stale.onDisk());
      ExecutionException e = assertThrows(ExecutionException.class, () -> get(stale.inStore()));
      assertInstanceOf(LogicArchive.FencedException.class, e.getCause(), "epoch 2 is the room's now");
    }
    assertEquals(0, journalFiles(), "a clean close deletes the journal, which the store has all of");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void anActivationWaitsForTheGatheredCommitsOfItsOwnRoomOnly(String kind) throws Exception {
    try (LogicArchive a = openJournaled(kind, url(kind))) {
      get(a.activate("t/a"));
      get(a.activate("t/r"));
      List<String> order = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      LogicArchive.Appended other = a.append(marked("t/a", 1, 1, 1, "k", "a"));
      LogicArchive.Appended own = a.append(marked("t/r", 1, 1, 1, "k", "r"));
      get(own.onDisk()); // both wait in the store's gathering now
      var woken = a.activate("t/b").thenRun(() -> order.add("t/b activated"));
      other.inStore().thenRun(() -> order.add("t/a stored"));
      get(woken);
      get(other.inStore());
      assertEquals(List.of("t/b activated", "t/a stored"), order, "another room's wake does not wait for them");
      LogicArchive.Loaded r = get(a.activate("t/r"));
      assertEquals(1, r.seq(), "a room's own activation sees its commit queued before it");
      assertEquals(java.util.Map.of("k", "r"), r.values());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "h2"})
  void theJournalOfAProcessThatDiedIsAppliedWhenTheStoreOpensEachCommitOnceAndInOrder(String kind) throws Exception {
    String url = url(kind);
    try (LogicArchive a = LogicArchive.open(url, "", "", HISTORY)) {
      get(a.activate("t/r")); // epoch 1
      get(a.commit(marked("t/r", 1, 1, 1, "k", "1")));
      get(a.activate("t/old")); // epoch 1, then 2: the journal's commit at 1 is of a replaced activation
      get(a.activate("t/old"));
    }
    // the file a killed process leaves: what it journaled, some of it stored, its files in any order
    java.nio.file.Path journalDir = dir.resolve("journal");
    Journal dead = Journal.create(journalDir, ChangeJournal.PREFIX);
    dead.writeTexts(List.of(marked("t/r", 1, 1, 1, "k", "1").encode(), marked("t/r", 1, 3, 3, "k", "3").encode(),
        marked("t/old", 1, 1, 0, "k", "stale").encode()));
    dead.close(false);
    Journal other = Journal.create(journalDir, ChangeJournal.PREFIX);
    other.writeTexts(List.of(marked("t/r", 1, 2, 2, "j", "2").encode()));
    other.close(false);
    try (LogicArchive b = openJournaled(kind, url)) {
      LogicArchive.Loaded r = get(b.activate("t/r"));
      assertEquals(3, r.seq());
      assertEquals(new LogicArchive.Mark(1, 3), r.applied());
      assertEquals(java.util.Map.of("k", "3", "j", "2"), r.values());
      assertEquals(List.of(1L, 2L, 3L), r.events().stream().map(LogicArchive.Event::seq).toList(), "each once");
      assertTrue(get(b.activate("t/old")).values().isEmpty(), "a replaced activation's commit is not applied");
      assertEquals(1, journalFiles(), "the dead files are gone; this process's own is there");
    }
  }

  @org.junit.jupiter.api.Test
  void aJournaledCommitThatTheStoreRefusesIsTriedAgainUntilTheStoreTakesIt() throws Exception {
    String url = url("sqlite");
    try (LogicArchive a = openJournaled("sqlite", url);
         java.sql.Connection other = java.sql.DriverManager.getConnection(url)) {
      get(a.activate("t/r"));
      // another process's schema change that makes every insert of an event fail, for a while
      other.createStatement().execute("CREATE TRIGGER refuse BEFORE INSERT ON logic_events "
          + "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END");
      LogicArchive.Appended w = a.append(marked("t/r", 1, 1, 1, "k", "1"));
      get(w.onDisk());
      // the writer tries it within a tenth of a second, then again and again
      assertThrows(java.util.concurrent.TimeoutException.class, () -> w.inStore().get(700, TimeUnit.MILLISECONDS),
          "a journaled commit is not given up on: it was ACKed");
      other.createStatement().execute("DROP TRIGGER refuse");
      get(w.inStore());
      LogicArchive.Loaded back = get(a.activate("t/r"));
      assertEquals(1, back.seq());
      assertEquals("1", back.values().get("k"));
    }
  }
}
