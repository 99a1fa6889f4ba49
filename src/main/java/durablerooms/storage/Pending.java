package durablerooms.storage;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Queued work for one room, completed once committed: new records (APPEND), records that may be
 * stored already (REPLACE), or a checkpoint of its seq and epoch, which carries the room's
 * retained history in case an earlier write of the room failed (CHECKPOINT). A checkpoint without
 * a room is a barrier (a flush).
 */
record Pending(Kind kind, String room, long epoch, long seq, List<ChatRecord> records,
               CompletableFuture<Void> done) {
  enum Kind { APPEND, REPLACE, CHECKPOINT }
}
