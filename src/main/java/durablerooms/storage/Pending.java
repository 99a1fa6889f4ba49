package durablerooms.storage;

import durablerooms.state.ChatRecord;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Queued work for one room: new records (APPEND) and a reservation of seqs up to {@code seq}
 * (RESERVE), both completed once journaled; records that may be stored already (REPLACE), or a
 * checkpoint of its seq and epoch, which carries the room's retained history in case an earlier
 * write of the room failed (CHECKPOINT, which gives the activation's reservation back when
 * {@code clean}), both completed once committed; the deletion of the stored messages up to {@code seq} that
 * expired (EXPIRE, completed once committed). A checkpoint without a room is a barrier (a flush).
 */
record Pending(Kind kind, String room, long epoch, long seq, List<ChatRecord> records, boolean clean,
               CompletableFuture<Void> done) {
  enum Kind { APPEND, REPLACE, CHECKPOINT, RESERVE, EXPIRE }

  Pending(Kind kind, String room, long epoch, long seq, List<ChatRecord> records, CompletableFuture<Void> done) {
    this(kind, room, epoch, seq, records, false, done);
  }
}
