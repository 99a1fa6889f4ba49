package durablerooms.room;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.cluster.Processors.MemberChange;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.storage.LogicArchive;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A handler's reads of the room's log, without Vert.x: what is retained, its own events, copies. */
class LogicTransactionTest {
  /** A room whose log retains at most 10 events and holds {@code events} of them, seq 1 to events. */
  private static LogicState state(int events) {
    return state(events, MemberSet.empty());
  }

  private static LogicState state(int events, MemberSet members) {
    List<LogicArchive.Event> logged = new ArrayList<>();
    for (int seq = 1; seq <= events; seq++) {
      logged.add(new LogicArchive.Event(seq, 0, new JsonObject().put("n", seq).put("seq", seq).encode()));
    }
    LogicArchive.Loaded loaded = new LogicArchive.Loaded(1, events, new TreeMap<>(), logged, new LinkedHashMap<>(),
        new TreeMap<>());
    return new LogicState("t/r", loaded, members, new LogicState.Limits(10, 10_000, 1000, 100, 20));
  }

  private static LogicTransaction tx(LogicState state) {
    return new LogicTransaction(state, "t", f -> {}, false, 0, false);
  }

  private static List<Long> seqs(List<JsonObject> events) {
    return events.stream().map(e -> e.getLong("seq")).toList();
  }

  @Test
  void theLogIsReadNewestFirstInPagesOldestFirstWithin() {
    RoomContext room = tx(state(5)).context();
    assertEquals(List.of(3L, 4L, 5L), seqs(room.log(0, 3)), "0: up to the newest");
    assertEquals(List.of(1L, 2L), seqs(room.log(3, 10)), "before 3: what is left, fewer than asked for");
    assertEquals(List.of(), room.log(1, 10));
    assertEquals(3, room.log(4, 1).get(0).getInteger("n"), "each event as it was delivered");
  }

  @Test
  void aHandlerReadsItsOwnEventsAndOnlyTheRetainedOnes() {
    LogicState state = state(10);
    LogicTransaction tx = tx(state);
    RoomContext room = tx.context();
    room.publish(new JsonObject().put("n", 11));
    room.publish(new JsonObject().put("n", 12));
    assertEquals(List.of(10L, 11L, 12L), seqs(room.log(0, 3)), "its own events, not yet committed, come first");
    assertEquals(List.of(9L, 10L), seqs(room.log(11, 2)));
    tx.commit(null);
    RoomContext next = tx(state).context();
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), seqs(next.log(0, 100)),
        "10 are retained: seq 1 and 2 are gone");
  }

  @Test
  void eventsReadBackAreCopies() {
    LogicState state = state(1);
    RoomContext room = tx(state).context();
    room.log(0, 1).get(0).put("n", "changed");
    assertEquals(1, room.log(0, 1).get(0).getInteger("n"));
  }

  @Test
  void aReadAsksForAtLeastOneEventAndOnlyDuringItsHandler() {
    LogicTransaction tx = tx(state(3));
    RoomContext room = tx.context();
    assertThrows(IllegalArgumentException.class, () -> room.log(0, 0));
    tx.close();
    assertThrows(IllegalStateException.class, () -> room.log(0, 1));
  }

  private static MemberSet twoMembers() {
    LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    members.put("c1", new Member("c1", "ann", "n1"));
    members.put("c2", new Member("c2", "bob", "n1"));
    return new MemberSet(1, members);
  }

  @Test
  void aRenameIsNormalisedSeenByTheHandlerAndCommittedAsAMemberChange() {
    LogicState state = state(0, twoMembers());
    LogicTransaction tx = tx(state);
    Connection ann = tx.connection("c1");
    assertEquals("ann", ann.name());
    assertEquals("Ann B", ann.rename("  Ann \t B "));
    assertEquals("Ann B", ann.name(), "the handler sees its rename at once");
    assertEquals("Ann B", tx.context().connections().get(0).name());
    assertEquals("ann", state.member("c1").user(), "not before the commit");
    ann.setAttachment(new JsonObject().put("score", 3));

    List<MemberChange> changes = tx.commit(null).members();
    assertEquals(1, changes.size(), "a rename and an attachment of one member: one change");
    assertEquals("Ann B", changes.get(0).member().user());
    assertEquals("{\"score\":3}", changes.get(0).member().attachment());
    assertEquals("Ann B", state.member("c1").user());
    assertEquals("bob", state.member("c2").user());
  }

  @Test
  void aTypeThatAnnouncesPresenceHasEachCommittedRenameSentToEveryConnection() {
    for (boolean announce : new boolean[] {true, false}) {
      LogicState state = state(0, twoMembers());
      List<LogicTransaction.Frame> sent = new ArrayList<>();
      LogicTransaction tx = new LogicTransaction(state, "t", sent::add, false, 0, announce);
      tx.connection("c1").rename("Ann B");
      tx.connection("c1").rename("Ann C");
      tx.gone(state.member("c2")).rename("robert");
      tx.commit(null).frames().forEach(Runnable::run);
      if (!announce) {
        assertEquals(List.of(), sent);
        continue;
      }
      assertEquals(1, sent.size(), "one RENAME, of the last name, none for one who left: " + sent);
      assertNull(sent.get(0).to());
      assertNull(sent.get(0).except(), "to every connection, the renamed one too");
      JsonObject frame = new JsonObject(sent.get(0).frame());
      assertEquals("RENAME", frame.getString("type"));
      assertEquals("Ann C", frame.getJsonObject("member").getString("user"));
      assertEquals("c1", frame.getJsonObject("member").getString("id"));
    }
  }

  @Test
  void aNameThatIsNotADisplayNameFailsTheHandlerAndARenameOfOneWhoLeftIsDropped() {
    LogicState state = state(0, twoMembers());
    LogicTransaction tx = tx(state);
    Connection ann = tx.connection("c1");
    assertThrows(IllegalArgumentException.class, () -> ann.rename(" "));
    assertThrows(IllegalArgumentException.class, () -> ann.rename("x".repeat(65)));
    assertThrows(IllegalArgumentException.class, () -> ann.rename("a\u202Eb"), "a bidi override");
    Connection gone = tx.gone(state.member("c2"));
    gone.rename("robert");
    assertEquals(List.of(), tx.commit(null).members(), "bob has left: his rename changes no member");
    assertNull(state.member("c2").attachment());
    assertEquals("bob", state.member("c2").user());
  }

  @Test
  void anEventPublishedPastItsSenderGoesToEveryOtherConnectionAndIsLoggedAllTheSame() {
    LogicState state = state(0, twoMembers());
    List<LogicTransaction.Frame> sent = new ArrayList<>();
    LogicTransaction tx = new LogicTransaction(state, "t", sent::add, false, 0, false);
    Connection ann = tx.connection("c1");
    assertEquals(1, tx.context().publish(new JsonObject().put("text", "hi"), ann));
    assertEquals(2, tx.context().publish(new JsonObject().put("text", "all"), null));
    tx.commit(null).frames().forEach(Runnable::run);
    assertEquals(2, sent.size());
    assertEquals("c1", sent.get(0).except());
    assertEquals(1, sent.get(0).seq());
    assertNull(sent.get(1).except(), "null: to every connection");
    assertEquals(List.of(1L, 2L), seqs(tx(state).context().log(0, 10)), "both are in the log");
  }
}
