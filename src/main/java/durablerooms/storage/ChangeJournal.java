package durablerooms.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The journal thread of the store of room types: appends the commits of rooms of users' types to
 * this process's journal file of commits (one system call for whatever all rooms queued meanwhile),
 * completes their writes there, and passes every task on to the store's writer thread in the order
 * it came, so that a read or an activation still sees every commit queued before it. The writer
 * applies them to the database behind, many at a time. A commit is on disk from here on: the next
 * node that starts on the data folder replays the file of a process that died
 * ({@link LogicArchive#open}). Files whose commits are all in the database are emptied or deleted.
 */
final class ChangeJournal {
  private static final Logger LOG = LoggerFactory.getLogger(LogicArchive.class);

  /** How the journal files of commits are named, apart from chat's. */
  static final String PREFIX = "changes-";
  /**
   * Commits journaled but not yet in the database (which wait in memory for the writer), above which
   * the journal waits for the database: this many, or this many characters of them.
   */
  static final long MAX_BEHIND = 100_000;
  static final long MAX_BEHIND_CHARS = 64L * 1024 * 1024;
  /**
   * Under load (the last write ended less than BUSY_NANOS ago) the thread takes what comes for
   * GATHER_NANOS before it writes, asleep on a timer rather than on its queue: the rooms' commits
   * then find it not waiting, and do not each pay a wake-up of it from their event loop (one of a
   * commit's largest costs, measured under fan-out load). At most GATHER_NANOS more per commit. An
   * activation or a read first in the queue is passed on at once: a wake waits for no gathering.
   */
  private static final long BUSY_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  private static final long GATHER_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

  private final BlockingQueue<LogicArchive.Task> in = new LinkedBlockingQueue<>();
  private final BlockingQueue<LogicArchive.Task> out;
  /** Wakes the writer from its gathering of commits. */
  private final Runnable urgent;
  /** The file written now, and those written before it (journal thread only). */
  private final JournalFiles files;
  /** Commits ever journaled (journal thread only), and those of them the database has applied or refused as fenced. */
  private long written;
  private final AtomicLong applied = new AtomicLong();
  /** The sizes of the commits journaled and not known to be applied yet, oldest first, and their sum (journal thread only). */
  private final ArrayDeque<Integer> sizes = new ArrayDeque<>();
  private long behindChars;
  private final long maxBehindChars;
  private final Thread thread = new Thread(this::run, "durable-rooms-changes-journal");

  /**
   * Creates this process's journal file of commits in {@code dir}; every task goes on to {@code out},
   * and {@code urgent} runs after passing on anything other than journaled commits.
   */
  ChangeJournal(Path dir, BlockingQueue<LogicArchive.Task> out, Runnable urgent) throws IOException {
    this(dir, out, urgent, MAX_BEHIND_CHARS);
  }

  /** As above, waiting for the database past {@code maxBehindChars} characters of commits (tests: a small bound). */
  ChangeJournal(Path dir, BlockingQueue<LogicArchive.Task> out, Runnable urgent, long maxBehindChars)
      throws IOException {
    this.maxBehindChars = maxBehindChars;
    this.out = out;
    this.urgent = urgent;
    this.files = new JournalFiles(dir, PREFIX);
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

  void add(LogicArchive.Task task) {
    in.add(task);
  }

  /** Takes out the tasks that wait for this thread (it died). */
  void drainTo(List<LogicArchive.Task> waiting) {
    in.drainTo(waiting);
  }

  /** The writer applied (or found fenced) {@code n} more journaled commits, in the order they were journaled. */
  void applied(int n) {
    applied.addAndGet(n);
  }

  private void run() {
    List<LogicArchive.Task> batch = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    long lastWritten = System.nanoTime() - BUSY_NANOS;
    try {
      while (true) {
        LogicArchive.Task first = in.poll(200, TimeUnit.MILLISECONDS);
        dropAppliedFiles();
        if (first == null) {
          continue;
        }
        if (first instanceof LogicArchive.Commit && System.nanoTime() - lastWritten < BUSY_NANOS) {
          LockSupport.parkNanos(GATHER_NANOS);
        }
        batch.add(first);
        in.drainTo(batch);
        boolean stop = batch.stream().anyMatch(t -> t instanceof LogicArchive.Stop);
        while (!stop && behind()) {
          Thread.sleep(1); // the database is far behind: the rooms' commits wait, not this node's memory
        }
        List<LogicArchive.Commit> journaled = new ArrayList<>();
        for (LogicArchive.Task t : batch) {
          if (t instanceof LogicArchive.Commit c && c.journaled() != null) {
            journaled.add(c);
            texts.add(c.change().encode());
          }
        }
        IOException failed = write(texts);
        lastWritten = System.nanoTime();
        for (LogicArchive.Commit c : journaled) {
          if (failed == null) {
            c.journaled().complete(null);
          } else {
            c.journaled().completeExceptionally(failed);
          }
        }
        out.addAll(batch);
        if (journaled.size() < batch.size()) {
          urgent.run();
        }
        batch.clear();
        texts.clear();
        if (stop) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether the database is more than MAX_BEHIND commits, or maxBehindChars characters of them, behind. */
  private boolean behind() {
    long done = applied.get();
    while (!sizes.isEmpty() && written - sizes.size() < done) {
      behindChars -= sizes.removeFirst();
    }
    return written - done > MAX_BEHIND || behindChars > maxBehindChars;
  }

  /** Appends the texts with one write, starting a new file when the current one is big; the failure, if any. */
  private IOException write(List<String> texts) {
    if (texts.isEmpty()) {
      return null;
    }
    try {
      files.current().writeTexts(texts);
      written += texts.size();
      for (String text : texts) {
        sizes.addLast(text.length());
        behindChars += text.length();
      }
      files.written(written);
      return null;
    } catch (IOException e) {
      LOG.warn("writing {} commits to the journal failed: {}", texts.size(), e.toString());
      return e;
    }
  }

  /** Deletes the files whose commits the database holds; empties the current one once it holds them all. */
  private void dropAppliedFiles() {
    long done = applied.get();
    try {
      files.drop(done, done == written && in.isEmpty());
    } catch (IOException e) {
      LOG.warn("cleaning up the journal of commits failed: {}", e.toString());
    }
  }

  /** Closes the files once both threads have ended; deletes them if the database holds every commit. */
  void closeFiles() {
    try {
      files.close(applied.get() == written);
    } catch (IOException e) {
      LOG.warn("closing the journal of commits failed: {}", e.toString());
    }
  }
}
