package durablerooms.chat;

import durablerooms.state.ChatRecord;
import durablerooms.state.HistorySlice;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.state.MessageTtl;
import durablerooms.state.RoomState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatRoomTest {
  private final Member ann = new Member("c1", "ann", "n1");
  private final Member bob = new Member("c2", "bob", "n2");

  private ChatRoom room(int limit) {
    return new ChatRoom("r", RoomState.empty(), MemberSet.empty(), limit);
  }

  @Test
  void messagesGetConsecutiveSeqsStartingAtOne() {
    ChatRoom r = room(10);
    r.join(ann);
    assertEquals(1, r.say(ann, "k", "a", null, 1).record().seq());
    assertEquals(2, r.say(ann, "k", "b", null, 2).record().seq());
    assertEquals(2, r.seq());
  }

  @Test
  void aRetriedIdFromTheSameClientReturnsTheFirstRecordAndTakesNoSeq() {
    ChatRoom r = room(10);
    ChatRoom.Said first = r.say(ann, "client-a", "hi", "m1", 1);
    ChatRoom.Said retry = r.say(ann, "client-a", "hi", "m1", 2);
    assertTrue(first.fresh());
    assertFalse(retry.fresh());
    assertEquals(first.record(), retry.record());
    assertEquals(1, r.seq());
  }

  @Test
  void theSameIdFromAnotherClientIsAnotherMessage() {
    ChatRoom r = room(10);
    r.say(ann, "client-a", "hi", "m1", 1);
    assertTrue(r.say(bob, "client-b", "hi", "m1", 2).fresh());
  }

  @Test
  void retentionKeepsTheLastMessagesAndForgetsTheirDedupeIds() {
    ChatRoom r = room(3);
    for (int i = 1; i <= 5; i++) {
      r.say(ann, "k", "m" + i, "id" + i, i);
    }
    HistorySlice all = r.since(0);
    assertEquals(List.of(3L, 4L, 5L), all.messages().stream().map(ChatRecord::seq).toList());
    assertTrue(all.gap(), "messages 1 and 2 are no longer retained");
    assertFalse(r.since(2).gap());
    assertTrue(r.say(ann, "k", "again", "id1", 9).fresh(), "an id older than retention is forgotten");
    assertFalse(r.say(ann, "k", "again", "id5", 9).fresh(), "a retained id is remembered");
  }

  @Test
  void dedupeIdsSurviveAReloadFromState() {
    RoomState state = RoomState.empty();
    ChatRoom r = new ChatRoom("r", state, MemberSet.empty(), 10);
    r.say(ann, "k", "hi", "m1", 1);
    ChatRoom reloaded = new ChatRoom("r", state.copy(), MemberSet.empty(), 10);
    assertFalse(reloaded.say(ann, "k", "hi", "m1", 2).fresh());
    assertEquals(1, reloaded.seq());
  }

  @Test
  void historyPagesGoBackwardsFromBefore() {
    ChatRoom r = room(100);
    for (int i = 1; i <= 10; i++) {
      r.say(ann, "k", "m" + i, null, i);
    }
    assertEquals(List.of(6L, 7L, 8L), r.page(9, 3).messages().stream().map(ChatRecord::seq).toList());
    assertEquals(List.of(9L, 10L), r.page(0, 2).messages().stream().map(ChatRecord::seq).toList());
    assertEquals(List.of(1L, 2L), r.page(3, 5).messages().stream().map(ChatRecord::seq).toList());
    assertFalse(r.page(3, 5).gap());
  }

  @Test
  void membersJoinRenameLeaveAndAreCountedPerNode() {
    ChatRoom r = room(10);
    r.join(ann);
    r.join(bob);
    r.join(new Member("c3", "cy", "n2"));
    assertEquals(2, r.roster().membersPerNode().get("n2"));
    assertEquals("annie", r.rename("c1", "annie").user());
    assertEquals(bob, r.leave("c2"));
    assertNull(r.leave("c2"));
    assertNull(r.rename("c2", "x"));
    assertEquals(2, r.members().size());
    assertEquals(java.util.Map.of("n1", 1, "n2", 1), r.roster().membersPerNode());
    r.join(new Member("c3", "cy", "n1")); // the same connection id again, now on n1
    assertEquals(java.util.Map.of("n1", 2), r.roster().membersPerNode());
  }

  @Test
  void withAMessageTtlOlderMessagesLeaveTheHistoryAndTheirIdsAreForgotten() {
    long[] now = {10_000};
    ChatRoom r = new ChatRoom("r", RoomState.empty(), MemberSet.empty(), 100, new MessageTtl(5_000, () -> now[0]));
    r.join(ann);
    r.say(ann, "k", "old", "m1", 4_000);
    r.say(ann, "k", "new", "m2", 9_000);
    HistorySlice all = r.since(0);
    assertEquals(List.of(2L), all.messages().stream().map(ChatRecord::seq).toList(), "seq 1 was sent 6 s ago");
    assertTrue(all.gap(), "a client that asks from 0 is told it misses messages");
    assertFalse(r.since(1).gap(), "one that has seq 1 misses nothing");
    assertEquals(1, r.expiredUpTo());
    assertTrue(r.say(ann, "k", "old", "m1", 10_000).fresh(), "an expired message's id is forgotten with it");
    now[0] = 20_000;
    assertTrue(r.page(0, 10).messages().isEmpty(), "everything has expired");
    assertEquals(3, r.seq(), "the seq goes on");
  }

  @Test
  void aRoomMadeFromAStoredCopyDropsWhatExpiredMeanwhile() {
    RoomState stored = RoomState.empty();
    ChatRoom before = new ChatRoom("r", stored, MemberSet.empty(), 100);
    before.say(ann, "k", "a", null, 1_000);
    before.say(ann, "k", "b", null, 8_000);
    ChatRoom after = new ChatRoom("r", stored.copy(), MemberSet.empty(), 100, new MessageTtl(5_000, () -> 10_000L));
    assertEquals(1, after.expiredUpTo());
    assertEquals(List.of(2L), after.since(0).messages().stream().map(ChatRecord::seq).toList());
  }
}
