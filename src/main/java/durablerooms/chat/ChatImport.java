package durablerooms.chat;

import durablerooms.state.ChatRecord;
import durablerooms.state.RoomState;
import durablerooms.storage.LogicArchive;
import durablerooms.storage.RoomArchive;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Moves the chat rooms that an earlier version kept in its chat store into the room store, where
 * chat rooms live since chat is a room type: each room's seq, its retained messages as the MESSAGE
 * events they were sent as, and the ids of those messages as ACKs, so that a client resending one
 * after the upgrade gets its first ACK and no second message. A room the room store holds is left
 * as it is, so the import runs at each start and moves a room once. Blocking: run before the node
 * serves.
 */
public final class ChatImport {
  private static final long WAIT_SECONDS = 60;

  private ChatImport() {}

  /** Moves every chat room the room store lacks; returns how many. */
  public static int run(RoomArchive chats, LogicArchive rooms)
      throws SQLException, ExecutionException, InterruptedException, TimeoutException {
    int moved = 0;
    for (String room : chats.rooms()) {
      if (get(rooms.exists(room))) {
        continue;
      }
      RoomState state = chats.load(room);
      List<LogicArchive.Event> events = new ArrayList<>();
      List<LogicArchive.Ack> acks = new ArrayList<>();
      for (ChatRecord r : state.messages()) {
        String message = Chat.message(r.user(), r.text(), r.id(), r.ts()).put("seq", r.seq()).encode();
        events.add(new LogicArchive.Event(r.seq(), r.ts(), message));
        if (r.dedupeKey() != null) {
          acks.add(new LogicArchive.Ack(r.dedupeKey(), r.seq(), r.ts()));
        }
      }
      LogicArchive.Loaded created = get(rooms.activate(room));
      get(rooms.commit(new LogicArchive.Change(room, created.epoch(), new LinkedHashMap<>(), events, acks,
          state.seq())));
      moved++;
    }
    return moved;
  }

  private static <T> T get(java.util.concurrent.CompletableFuture<T> f)
      throws ExecutionException, InterruptedException, TimeoutException {
    return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }
}
