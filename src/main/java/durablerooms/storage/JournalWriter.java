package durablerooms.storage;

import durablerooms.storage.Pending.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The chat archive's journal thread: appends new messages and seq reservations to this process's
 * {@link Journal} (one system call for whatever all rooms queued meanwhile), completes their writes
 * there and passes all queued work on to the {@link ArchiveWriter}. Deletes the journal files the database holds.
 */
final class JournalWriter {
  /** The archive's logger, whose name its lines have always carried. */
  private static final Logger LOG = LoggerFactory.getLogger(RoomArchive.class);

  /** Records journaled but not yet in the database, above which the journal waits for the database. */
  private static final int MAX_BEHIND = 100_000;
  /**
   * Under load (the last journal write ended less than JOURNAL_BUSY_NANOS ago), the journal thread
   * takes what comes for JOURNAL_GATHER_NANOS before it writes: the rooms' appends then find it
   * asleep on a timer rather than waiting on the queue, so they do not each pay a wake-up of it
   * (a futex call in the appending event loop, and one in this thread: 3% of the node's CPU at
   * 68,000 deliveries/s). Adds up to half a millisecond to a message under load; a lone append is
   * written at once.
   */
  private static final long JOURNAL_BUSY_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  private static final long JOURNAL_GATHER_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final ArchiveWriter writer;
  private final BooleanSupplier closed;
  /** The journal file written now, and those written before it (journal thread only). */
  private final JournalFiles files;
  /** Bytes ever journaled by this archive (journal thread only): the files' marks. */
  private long written;
  private final Thread thread = new Thread(this::run, "durable-rooms-journal");

  /** Creates this process's journal file in {@code journalDir}; its work goes on to {@code writer}. */
  JournalWriter(Path journalDir, ArchiveWriter writer, BooleanSupplier closed) throws IOException {
    this.writer = writer;
    this.closed = closed;
    this.files = new JournalFiles(journalDir, Journal.PREFIX);
  }

  void start(Thread.UncaughtExceptionHandler died) {
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

  void add(Pending p) {
    queue.add(p);
  }

  boolean remove(Pending p) {
    return queue.remove(p);
  }

  /** Takes out the work that waits for this thread (it or the writer died). */
  void drainTo(List<Pending> waiting) {
    queue.drainTo(waiting);
  }

  /** Bytes ever journaled; another thread reads it after joining this one (see RoomArchive.close). */
  long written() {
    return written;
  }

  /**
   * Appends what was queued meanwhile to the journal with one write, completes the appends (their
   * messages survive a crash from here on) and passes everything on to the writer. Waits while the
   * database is more than MAX_BEHIND records behind.
   */
  private void run() {
    long lastJournaled = System.nanoTime() - JOURNAL_BUSY_NANOS;
    List<Pending> batch = new ArrayList<>();
    List<Journal.Entry> entries = new ArrayList<>();
    while (!closed.getAsBoolean() || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        dropStoredFiles();
        if (first == null) {
          continue;
        }
        batch.add(first);
        if (System.nanoTime() - lastJournaled < JOURNAL_BUSY_NANOS) {
          LockSupport.parkNanos(JOURNAL_GATHER_NANOS);
        }
        queue.drainTo(batch);
        while (writer.backlog() > MAX_BEHIND && writer.isAlive()) {
          Thread.sleep(1);
        }
        int records = 0;
        for (Pending p : batch) {
          if (p.kind() == Kind.RESERVE) {
            entries.add(Journal.Entry.reservation(p.room(), p.epoch(), p.seq()));
          } else if (p.kind() != Kind.CHECKPOINT && !p.records().isEmpty()) {
            entries.add(new Journal.Entry(p.room(), p.epoch(), p.records()));
            records += p.records().size();
          }
        }
        IOException failed = journal(entries);
        for (Pending p : batch) {
          if (p.kind() == Kind.APPEND || p.kind() == Kind.RESERVE) {
            if (failed == null) {
              p.done().complete(null);
            } else {
              p.done().completeExceptionally(failed);
            }
          }
        }
        boolean awaited = batch.stream().anyMatch(p -> p.kind() == Kind.CHECKPOINT);
        writer.add(new ArchiveWriter.Journaled(List.copyOf(batch), written, records, awaited));
        lastJournaled = System.nanoTime();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      batch.clear();
      entries.clear();
    }
  }

  /** Appends entries to the journal, starting a new file when the current one is big; the failure, if any. */
  private IOException journal(List<Journal.Entry> entries) {
    if (entries.isEmpty()) {
      return null;
    }
    try {
      written += files.current().write(entries);
      files.written(written);
      return null;
    } catch (IOException e) {
      LOG.warn("writing {} entries to the journal failed: {}", entries.size(), e.toString());
      return e;
    }
  }

  /** Deletes journal files the database holds entirely; empties the current one once it is all stored. */
  private void dropStoredFiles() {
    long done = writer.stored(); // read before pinned: the writer sets pinned, then stored
    if (writer.pinned()) {
      return;
    }
    try {
      files.drop(done, done == written && queue.isEmpty());
    } catch (IOException e) {
      LOG.warn("cleaning up the journal failed: {}", e.toString());
    }
  }

  /** Closes every journal file once this thread has ended; deletes them if the database holds them all. */
  void closeFiles(boolean delete) {
    try {
      files.close(delete);
    } catch (IOException e) {
      LOG.warn("closing the journal failed: {}", e.toString());
    }
  }
}
