package durablerooms.storage;

import durablerooms.state.ChatRecord;
import durablerooms.storage.Pending.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static durablerooms.storage.ArchiveRows.INSERT_CHUNK;
import static durablerooms.storage.ArchiveRows.addChunks;
import static durablerooms.storage.StoreSql.begin;
import static durablerooms.storage.StoreSql.commit;
import static durablerooms.storage.StoreSql.rollback;

/**
 * The chat archive's writer thread: commits what the journal thread journaled to the database, in
 * batches (one transaction for whatever was journaled meanwhile), and applies retention.
 */
final class ArchiveWriter {
  /** The archive's logger, whose name its lines have always carried. */
  private static final Logger LOG = LoggerFactory.getLogger(RoomArchive.class);

  /**
   * Work the journal thread passed on to the writer; {@code mark} is the journal position after it;
   * {@code awaited}: someone waits for its commit (a checkpoint or a flush).
   */
  record Journaled(List<Pending> work, long mark, int records, boolean awaited) {}

  /**
   * Under load (the last commit ended less than BUSY_NANOS ago), the writer gathers work for up to
   * GATHER_SLICES x GATHER_SLICE_NANOS before committing: H2's cost is per commit (it writes a
   * chunk of changed pages) and per row (a room's records of one commit are one row), so fewer,
   * larger commits carry more messages per core. Nobody waits for these commits but checkpoints (a
   * room going to sleep) and flushes (a clean stop), so the window is wide, and it ends after the
   * slice in which one of those came. A lone write is committed at once.
   */
  private static final long BUSY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final long GATHER_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int GATHER_SLICES = 10;

  private final Connection connection;
  private final int historyLimit;
  private final long pruneStep;
  private final BooleanSupplier closed;
  private final BlockingQueue<Journaled> journaled = new LinkedBlockingQueue<>();
  /** Records journaled and not yet committed to the database (or failed there). */
  private final AtomicInteger backlog = new AtomicInteger();
  /** The journal position up to which the database has everything. */
  private volatile long stored;
  /** Set while a room's write failed: the journal keeps every file until it is written again. */
  private volatile boolean pinned;
  /**
   * Per room, the seq up to which old messages were deleted (writer thread only). Retention runs
   * once a room is {@code pruneStep} messages past it, not in every commit: deleting one old row
   * per commit dirtied old pages in every chunk H2 writes, a quarter of its cost per commit. Whole
   * rows go, so the store may hold up to a tenth more than the limit, plus a row (reads take only
   * the last ROOMS_HISTORY_LIMIT) until the room hibernates: its checkpoint prunes to the limit
   * (to the row) and drops its entry here.
   */
  private final Map<String, Long> prunedUpTo = new HashMap<>();
  /**
   * Per room, the first seq of a write that failed (writer thread only): those records are in the
   * journal and the cluster's memory only until a takeover's REPLACE or the room's checkpoint
   * writes them again. A room must not sleep (leave memory) with its disk copy behind, or its next
   * wake would lose them.
   */
  private final Map<String, Long> behind = new HashMap<>();
  /**
   * Seq reservations whose commit failed (writer thread only), tried again with every commit until
   * one succeeds: a reservation completed once journaled, and must not be lost with a journal file
   * that a later commit lets go (the journal keeps its files meanwhile, as for {@link #behind}).
   */
  private final List<Pending> unreserved = new ArrayList<>();
  private final Thread thread = new Thread(this::run, "durable-rooms-archive-writer");
  /** Whether the journal thread, which feeds this one, still runs (set by {@link #start}). */
  private BooleanSupplier journalAlive;

  ArchiveWriter(Connection connection, int historyLimit, BooleanSupplier closed) {
    this.connection = connection;
    this.historyLimit = historyLimit;
    this.pruneStep = Math.max(1, historyLimit / 10);
    this.closed = closed;
  }

  void start(BooleanSupplier journalAlive, Thread.UncaughtExceptionHandler died) {
    this.journalAlive = journalAlive;
    thread.setDaemon(true);
    thread.setUncaughtExceptionHandler(died);
    thread.start();
  }

  boolean isAlive() {
    return thread.isAlive();
  }

  void join(long millis) throws InterruptedException {
    thread.join(millis);
  }

  /** Takes work the journal thread has journaled. */
  void add(Journaled work) {
    backlog.addAndGet(work.records());
    journaled.add(work);
  }

  /** Records journaled and not yet committed to the database (or failed there). */
  int backlog() {
    return backlog.get();
  }

  /** The journal position up to which the database has everything; read before {@link #pinned}. */
  long stored() {
    return stored;
  }

  /** Whether a room's write failed and has not been written again: every journal file must stay. */
  boolean pinned() {
    return pinned;
  }

  /** Takes out the work that waits for this thread (it died). */
  void drainTo(List<Pending> waiting) {
    List<Journaled> unstored = new ArrayList<>();
    journaled.drainTo(unstored);
    unstored.forEach(j -> waiting.addAll(j.work()));
  }

  /** Sleeps through the window a slice at a time, taking what came meanwhile: no wake-up per message. */
  private void gather(List<Journaled> batch) throws InterruptedException {
    for (int slice = 0; slice < GATHER_SLICES && !closed.getAsBoolean()
        && batch.stream().noneMatch(Journaled::awaited); slice++) {
      TimeUnit.NANOSECONDS.sleep(GATHER_SLICE_NANOS);
      journaled.drainTo(batch);
    }
  }

  private void run() {
    List<Journaled> batches = new ArrayList<>();
    List<Pending> work = new ArrayList<>();
    long lastCommit = System.nanoTime() - BUSY_NANOS;
    while (!closed.getAsBoolean() || journalAlive.getAsBoolean() || !journaled.isEmpty()) {
      try {
        Journaled first = journaled.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batches.add(first);
        journaled.drainTo(batches);
        if (System.nanoTime() - lastCommit < BUSY_NANOS) {
          gather(batches);
        }
        batches.forEach(b -> work.addAll(b.work()));
        try {
          write(work);
          work.forEach(p -> p.done().complete(null));
        } catch (SQLException | RuntimeException e) {
          failed(work, e);
        } catch (Error e) {
          work.forEach(p -> p.done().completeExceptionally(e)); // this thread dies: see RoomArchive.threadDied
          throw e;
        }
        lastCommit = System.nanoTime();
        pinned = !behind.isEmpty() || !unreserved.isEmpty();
        stored = batches.get(batches.size() - 1).mark();
        backlog.addAndGet(-batches.stream().mapToInt(Journaled::records).sum());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      batches.clear();
      work.clear();
    }
  }

  /**
   * A commit failed: its rooms are marked behind (their messages are in the journal and the
   * cluster's memory, and their checkpoint writes them again), and what waited for it fails.
   */
  private void failed(List<Pending> work, Exception e) {
    LOG.warn("writing {} room updates to the room store failed: {}", work.size(), e.toString());
    try {
      rollback(connection);
    } catch (SQLException ignored) {
      // the failure above is what matters
    }
    for (Pending p : work) {
      if (p.room() == null) {
        p.done().complete(null); // a barrier: the write was tried
        continue;
      }
      if (p.kind() == Kind.RESERVE && !unreserved.contains(p)) {
        unreserved.add(p);
      }
      if (p.kind() == Kind.APPEND || p.kind() == Kind.REPLACE) {
        behind.merge(p.room(), p.records().get(0).seq(), Math::min);
      }
      p.done().completeExceptionally(e);
    }
  }

  /**
   * One transaction for the whole batch: per room, its new records in one chunk row (or a few, if
   * long), its state raised and retention applied. New records must come after those stored
   * (a seq stored already means another activation wrote the room): otherwise the whole
   * transaction is refused, and its rooms are behind.
   */
  private void write(List<Pending> batch) throws SQLException {
    Map<String, List<Pending>> byRoom = new LinkedHashMap<>();
    for (Pending p : batch) {
      byRoom.computeIfAbsent(p.room(), r -> new ArrayList<>()).add(p);
    }
    Set<String> caughtUp = new HashSet<>(); // rewritten or checkpointed: no longer behind once committed
    Connection c = connection;
    begin(c);
    for (Pending p : unreserved) {
      ArchiveRows.reserve(c, p.room(), p.seq(), p.epoch()); // before this batch: a checkpoint in it gives them back
    }
    try (PreparedStatement insert = c.prepareStatement(INSERT_CHUNK);
         // first_seq bounds the index range: the scan reads only the rows that go (and one more)
         PreparedStatement retain = c.prepareStatement(
             "DELETE FROM rooms_chunks WHERE room = ? AND first_seq <= ? AND last_seq <= ?");
         ArchiveRows.StateRaiser state = new ArchiveRows.StateRaiser(c)) {
      for (Map.Entry<String, List<Pending>> e : byRoom.entrySet()) {
        String room = e.getKey();
        if (room == null) {
          continue;
        }
        long seq = 0;
        long epoch = 0;
        boolean checkpoint = false;
        long storedUpTo = -1; // read when the room's first append needs it
        long expiredUpTo = 0;
        boolean onlyExpired = true; // a deletion alone changes nothing of the room's state row
        List<ChatRecord> appended = new ArrayList<>();
        for (Pending p : e.getValue()) {
          epoch = Math.max(epoch, p.epoch());
          if (p.kind() == Kind.EXPIRE) {
            expiredUpTo = Math.max(expiredUpTo, p.seq());
            continue;
          }
          onlyExpired = false;
          if (p.kind() == Kind.RESERVE) {
            // at once, not batched: a checkpoint's give-back in this transaction must come after it
            ArchiveRows.reserve(c, room, p.seq(), p.epoch());
            continue;
          }
          seq = Math.max(seq, p.seq());
          if (p.kind() == Kind.CHECKPOINT && p.clean()) {
            ArchiveRows.giveBack(c, room, p.epoch());
          }
          boolean rewrite = p.kind() == Kind.REPLACE
              || (p.kind() == Kind.CHECKPOINT && behind.containsKey(room) && ArchiveRows.current(c, room, p.epoch()));
          if (p.kind() == Kind.CHECKPOINT) {
            checkpoint = true;
            caughtUp.add(room); // asleep, or moved on: a later activation writes anew
          }
          if (p.records().isEmpty() || (p.kind() == Kind.CHECKPOINT && !rewrite)) {
            continue;
          }
          long first = p.records().get(0).seq();
          if (rewrite) {
            addChunks(insert, room, appended);
            appended.clear();
            insert.executeBatch();
            ArchiveRows.clearFrom(c, insert, room, first);
            addChunks(insert, room, p.records());
            caughtUp.add(room); // its retained history is on disk again
          } else {
            if (storedUpTo < 0) {
              storedUpTo = state.stored(room);
            }
            if (first <= storedUpTo) {
              throw new SQLException("room " + room + ": seq " + first + " is stored already (up to "
                  + storedUpTo + ")");
            }
            appended.addAll(p.records());
          }
          storedUpTo = p.records().get(p.records().size() - 1).seq();
        }
        addChunks(insert, room, appended);
        if (!onlyExpired) {
          state.raise(room, seq, epoch);
        }
        long keepAfter = Math.max(seq - historyLimit, expiredUpTo);
        if (checkpoint || expiredUpTo > 0 || keepAfter - prunedUpTo.getOrDefault(room, 0L) >= pruneStep) {
          retain.setString(1, room);
          retain.setLong(2, keepAfter);
          retain.setLong(3, keepAfter);
          retain.addBatch();
          if (checkpoint) {
            prunedUpTo.remove(room); // asleep, pruned to its limit: nothing of it stays here
          } else {
            prunedUpTo.put(room, keepAfter);
          }
        }
      }
      insert.executeBatch();
      retain.executeBatch();
      commit(c);
      caughtUp.forEach(behind::remove);
      unreserved.clear();
    }
  }
}
