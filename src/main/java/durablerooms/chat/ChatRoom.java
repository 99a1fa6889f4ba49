package durablerooms.chat;

import durablerooms.room.Roster;
import durablerooms.state.ChatRecord;
import durablerooms.state.History;
import durablerooms.state.HistorySlice;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.state.MessageTtl;
import durablerooms.state.RoomState;

import java.util.Collection;

/**
 * One room as a pure state machine: members, the next seq, retained history and the dedupe
 * index of client message ids. Owned by one event loop; no Vert.x, no I/O.
 */
public final class ChatRoom {
  /** The result of a chat message: the record that stands for it, and whether it is new. */
  public record Said(ChatRecord record, boolean fresh) {}

  private final String name;
  private final RoomState state;
  private final Roster roster;
  private final DedupeIndex byDedupeKey = new DedupeIndex();
  private final History.KeyDropped unindex = byDedupeKey::remove;
  private final int historyLimit;
  private final MessageTtl ttl;
  /** The seq of the newest message this room dropped as expired (0: none). */
  private long expiredUpTo;

  public ChatRoom(String name, RoomState state, MemberSet members, int historyLimit) {
    this(name, state, members, historyLimit, MessageTtl.OFF);
  }

  public ChatRoom(String name, RoomState state, MemberSet members, int historyLimit, MessageTtl ttl) {
    this.name = name;
    this.state = state;
    this.roster = new Roster(members.members());
    this.historyLimit = historyLimit;
    this.ttl = ttl;
    History history = state.history();
    for (int i = 0; i < history.size(); i++) {
      if (history.hasKey(i)) {
        byDedupeKey.put(history.keyHash(i), history.seq(i));
      }
    }
    expire(); // a copy from the store or the cluster may hold messages that expired meanwhile
  }

  /**
   * Drops the messages older than ROOMS_MESSAGE_TTL from the history (and their ids from the
   * dedupe index: a message id is remembered as long as its message); before every read of the
   * history and every new message, so that an expired message is never served.
   */
  public long expire() {
    if (ttl.on()) {
      long upTo = state.expire(ttl.notBefore(), unindex);
      expiredUpTo = Math.max(expiredUpTo, upTo);
    }
    return expiredUpTo;
  }

  /** When the oldest retained message was sent (ms since the epoch), or -1 when none is retained. */
  public long oldestTime() {
    History history = state.history();
    return history.isEmpty() ? -1 : history.time(0);
  }

  /** The seq of the newest message dropped as expired (0: none). */
  public long expiredUpTo() {
    return expiredUpTo;
  }

  public String name() {
    return name;
  }

  public long seq() {
    return state.seq();
  }

  /** Who is in the room (the engine's deliveries read it too). */
  public Roster roster() {
    return roster;
  }

  public Collection<Member> members() {
    return roster.members();
  }

  public Member member(String connId) {
    return roster.member(connId);
  }

  public Member join(Member m) {
    return roster.join(m);
  }

  /** Removes a member; null if it was not one. */
  public Member leave(String connId) {
    return roster.leave(connId);
  }

  /** Renames a member; null if it is not one. */
  public Member rename(String connId, String newName) {
    return roster.rename(connId, newName);
  }

  /**
   * Accepts a chat message from a member. A message whose (client, id) the room has seen returns
   * the first record, not fresh; otherwise it gets the next seq.
   */
  public Said say(Member from, String clientKey, String text, String id, long ts) {
    expire();
    String key = id == null ? null : clientKey + "\n" + id;
    if (key != null) {
      long seen = seen(key);
      if (seen != 0) {
        History history = state.history();
        return new Said(history.get(history.indexOf(seen)), false);
      }
    }
    ChatRecord r = new ChatRecord(state.seq() + 1, ts, from.user(), from.id(), text, id, key);
    state.append(r, historyLimit, unindex);
    if (key != null) {
      byDedupeKey.put(r.dedupeKeyHash(), r.seq());
    }
    return new Said(r, true);
  }

  /** The seq of the retained record with dedupe key {@code key}, or 0. */
  private long seen(String key) {
    return byDedupeKey.get(key.hashCode(), seq -> key.equals(state.history().dedupeKey(seq)));
  }

  /** Messages after {@code since} for a reconnecting client (all retained ones, at most the retention). */
  public HistorySlice since(long since) {
    expire();
    return HistorySlice.after(state, since, historyLimit);
  }

  public HistorySlice page(long before, int limit) {
    expire();
    return HistorySlice.before(state, before, limit);
  }
}
