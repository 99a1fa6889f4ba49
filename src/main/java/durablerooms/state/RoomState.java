package durablerooms.state;

import java.util.List;

/**
 * A chat room as an earlier version's chat store holds it, for the import into the room store: the
 * activation epoch that last wrote it, its last sequence number (past any seqs its last activation
 * reserved) and its retained messages, oldest first.
 */
public record RoomState(long epoch, long seq, List<ChatRecord> messages) {
  public RoomState {
    messages = List.copyOf(messages);
  }
}
