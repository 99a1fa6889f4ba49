package durablerooms.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Room state on disk, through JDBC: the last seq and epoch of each room (rooms_state) and its
 * retained messages, in rows of a run of records each (rooms_chunks, see {@link Chunks}): a
 * commit adds one row per room, not one per message, which is what H2's work (and its garbage)
 * grows with. New messages are first appended to this process's {@link Journal} by the journal
 * thread, and their write completes there (one system call for whatever all rooms queued
 * meanwhile); the writer thread then commits them to the database behind it, in batches (one
 * transaction for whatever was journaled meanwhile). A checkpoint completes once it is in the
 * database. Journal files of processes that died are replayed into the database when the archive
 * opens. Reads (loading a room after a restart or hibernation) use a small pool. Never called on an
 * event loop.
 */
public final class RoomArchive implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RoomArchive.class);
  private static final int READERS = 4;

  static {
    EmbeddedStore.h2OnLoopbackOnly(); // before this process's first connection loads H2
  }

  private enum Kind { APPEND, REPLACE, CHECKPOINT }

  /**
   * Queued work for one room, completed once committed: new records (APPEND), records that may be
   * stored already (REPLACE), or a checkpoint of its seq and epoch, which carries the room's
   * retained history in case an earlier write of the room failed (CHECKPOINT).
   */
  private record Pending(Kind kind, String room, long epoch, long seq, List<ChatRecord> records,
                         CompletableFuture<Void> done) {}

  /**
   * Work the journal thread passed on to the writer; {@code mark} is the journal position after it;
   * {@code awaited}: someone waits for its commit (a checkpoint or a flush).
   */
  private record Journaled(List<Pending> work, long mark, int records, boolean awaited) {}

  /** A journal file this process no longer writes, deleted once the database holds it all ({@code mark}). */
  private record Retired(Journal journal, long mark) {}

  /** A journal file is replaced by a new one at this size; the old one goes once the database has it. */
  private static final long ROTATE_BYTES = 16L * 1024 * 1024;
  /** Records journaled but not yet in the database, above which the journal waits for the database. */
  private static final int MAX_BEHIND = 100_000;

  private final String url;
  private final String user;
  private final String password;
  private final int historyLimit;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final BlockingQueue<Journaled> journaled = new LinkedBlockingQueue<>();
  private final Path journalDir;
  /** The journal file written now, and those written before it (journal thread only). */
  private Journal journal;
  private final ArrayDeque<Retired> retired = new ArrayDeque<>();
  /** Bytes ever journaled by this archive (journal thread only), and how many of them the database has. */
  private long written;
  private volatile long stored;
  /** Records journaled and not yet committed to the database (or failed there). */
  private final AtomicInteger behindDatabase = new AtomicInteger();
  /** Set by the writer while a room's write failed: the journal keeps every file until it is written again. */
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
   * writes them again. A
   * room must not sleep (leave memory) with its disk copy behind, or its next wake would lose them.
   */
  private final Map<String, Long> behind = new HashMap<>();
  private final long pruneStep;
  private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
  private final Thread journalThread;
  private final Thread writer;
  private final Connection writeConnection;
  private volatile boolean closed;
  /** Set when the journal or the writer thread has died: nothing is queued any more. */
  private volatile IllegalStateException dead;
  /** Told when the journal or the writer thread dies of something it cannot handle (see {@link #onThreadDeath}). */
  private volatile java.util.function.BiConsumer<String, Throwable> onThreadDeath =
      (thread, e) -> LOG.error("{} died; the room store takes no more writes", thread, e);

  private RoomArchive(String url, String user, String password, int historyLimit, Path journalDir)
      throws SQLException, IOException {
    this.url = url;
    this.user = user;
    this.password = password;
    this.historyLimit = historyLimit;
    this.pruneStep = Math.max(1, historyLimit / 10);
    this.writeConnection = connect();
    // SQLite: transactions are begun explicitly (see begin); its driver would begin the next one as
    // soon as one commits, holding the file's write lock (or a stale snapshot) between batches
    writeConnection.setAutoCommit(EmbeddedStore.isSqlite(url));
    createSchema();
    this.journalDir = journalDir;
    recover();
    this.journal = Journal.create(journalDir);
    for (int i = 0; i < READERS; i++) {
      readers.add(connect());
    }
    journalThread = new Thread(this::journalLoop, "durable-rooms-journal");
    writer = new Thread(this::writeLoop, "durable-rooms-archive-writer");
    for (Thread t : List.of(journalThread, writer)) {
      t.setDaemon(true);
      t.setUncaughtExceptionHandler(this::threadDied);
      t.start();
    }
  }

  /**
   * Opens (and creates if needed) the store at a JDBC URL, with this process's journal in
   * {@code journalDir}; journals left there by processes that died are replayed into the store first.
   */
  public static RoomArchive open(String url, String user, String password, int historyLimit, Path journalDir)
      throws SQLException, IOException {
    return new RoomArchive(url, user, password, historyLimit, journalDir);
  }

  /**
   * What to do when the journal or the writer thread dies (an Error, or a bug that escaped their
   * loops): without them nothing is ACKed or stored again, so the node must stop and let the
   * cluster take its rooms over rather than stay up, useless.
   */
  public void onThreadDeath(java.util.function.BiConsumer<String, Throwable> handler) {
    onThreadDeath = handler;
  }

  /**
   * Writes what journals of dead processes hold into the database, in one transaction per file:
   * records the database lacks are inserted (those it has are the same messages: a record reaches
   * a journal only after the cluster accepted its seq), and each room's seq and epoch raised.
   */
  private void recover() throws IOException {
    try {
      int files = Journal.recover(journalDir, this::replay);
      if (files > 0) {
        LOG.info("replayed {} journal file(s) of stopped processes into the room store", files);
      }
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("replaying the journal failed: " + e.getMessage(), e);
    }
  }

  private void replay(List<Journal.Entry> entries) throws SQLException {
    Connection c = writeConnection;
    begin(c);
    try (PreparedStatement existing = c.prepareStatement(
             "SELECT first_seq, last_seq FROM rooms_chunks WHERE room = ? AND last_seq >= ? AND first_seq <= ?");
         PreparedStatement insert = c.prepareStatement(INSERT_CHUNK);
         StateRaiser state = new StateRaiser(c)) {
      Map<String, long[]> rooms = new LinkedHashMap<>(); // room -> {seq, epoch}
      for (Journal.Entry e : entries) {
        List<ChatRecord> records = e.records();
        existing.setString(1, e.room());
        existing.setLong(2, records.get(0).seq());
        existing.setLong(3, records.get(records.size() - 1).seq());
        List<long[]> stored = new ArrayList<>();
        try (ResultSet rs = existing.executeQuery()) {
          while (rs.next()) {
            stored.add(new long[] {rs.getLong(1), rs.getLong(2)});
          }
        }
        // the records no stored chunk covers, as runs of consecutive seqs: chunks never overlap
        List<ChatRecord> run = new ArrayList<>();
        for (ChatRecord r : records) {
          boolean have = stored.stream().anyMatch(range -> range[0] <= r.seq() && r.seq() <= range[1]);
          if (have || (!run.isEmpty() && r.seq() != run.get(run.size() - 1).seq() + 1)) {
            addChunks(insert, e.room(), run);
            run = new ArrayList<>();
          }
          if (!have) {
            run.add(r);
          }
        }
        addChunks(insert, e.room(), run);
        insert.executeBatch();
        long[] reached = rooms.computeIfAbsent(e.room(), r -> new long[2]);
        reached[0] = Math.max(reached[0], records.get(records.size() - 1).seq());
        reached[1] = Math.max(reached[1], e.epoch());
      }
      for (Map.Entry<String, long[]> room : rooms.entrySet()) {
        state.raise(room.getKey(), room.getValue()[0], room.getValue()[1]);
      }
      commit(c);
    } catch (SQLException e) {
      rollback(c);
      throw e;
    }
  }

  private Connection connect() throws SQLException {
    return connect(url, user, password);
  }

  /**
   * Opens a connection; retried a few times because a database may refuse for a moment (a server
   * restarting; H2 in AUTO_SERVER mode while another process opens or takes over the file). A
   * refused login (SQL state class 28) is final at once.
   */
  static Connection connect(String url, String user, String password) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        if (EmbeddedStore.isSqlite(url)) {
          return DriverManager.getConnection(url, EmbeddedStore.sqliteProperties());
        }
        boolean anonymous = (user == null || user.isEmpty()) && (password == null || password.isEmpty());
        return anonymous ? DriverManager.getConnection(url) : DriverManager.getConnection(url, user, password);
      } catch (SQLException e) {
        if (attempt >= 40 || refusedLogin(e)) {
          throw e;
        }
        try {
          Thread.sleep(200 + (long) (Math.random() * 300));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** Whether the database refused the user name or password (SQL state class 28, "invalid authorization"). */
  static boolean refusedLogin(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("28");
  }

  private void createSchema() throws SQLException {
    begin(writeConnection);
    createTables(writeConnection);
    commit(writeConnection);
    migrateMessageRows();
  }

  /**
   * Begins a write transaction. A connection in auto-commit mode (SQLite's) gets an explicit one that
   * takes the file's write lock at once, waiting for another node's transaction to end: one that
   * read first could not write once another node had committed meanwhile. Other connections are
   * in a transaction already (auto-commit off).
   */
  static void begin(Connection c) throws SQLException {
    if (c.getAutoCommit()) {
      try (Statement st = c.createStatement()) {
        st.execute("BEGIN IMMEDIATE");
      }
    }
  }

  static void commit(Connection c) throws SQLException {
    if (c.getAutoCommit()) {
      try (Statement st = c.createStatement()) {
        st.execute("COMMIT");
      }
    } else {
      c.commit();
    }
  }

  /** Rolls back the transaction begun with {@link #begin}, if it is still open. */
  static void rollback(Connection c) throws SQLException {
    if (!c.getAutoCommit()) {
      c.rollback();
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute("ROLLBACK");
    } catch (SQLException noTransaction) {
      // it ended with the error that led here: nothing to roll back
    }
  }

  /** Creates the store's tables where they are missing (in the connection's transaction; SQL that H2, PostgreSQL and SQLite share). */
  static void createTables(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS rooms_state (room VARCHAR(64) PRIMARY KEY, seq BIGINT NOT NULL, "
          + "epoch BIGINT NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS rooms_chunks (room VARCHAR(64) NOT NULL, first_seq BIGINT NOT NULL, "
          + "last_seq BIGINT NOT NULL, records VARCHAR(10000000) NOT NULL, PRIMARY KEY (room, first_seq))");
    }
  }

  /**
   * Stores of earlier versions kept a row per message (rooms_messages): they are moved into chunks,
   * and that table dropped. Safe to repeat if a crash cuts it short: a room's chunks are made anew.
   * Nodes started together on one store may move it at the same time: one of them may then fail on
   * the other's rows, and tries again (by then the table is usually gone).
   */
  private void migrateMessageRows() throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        moveMessageRows();
        return;
      } catch (SQLException e) {
        rollback(writeConnection);
        if (attempt >= 5) {
          throw e;
        }
        LOG.info("moving stored messages into chunk rows failed ({}); trying again", e.getMessage());
        try {
          Thread.sleep(500L * attempt); // on the thread that opens the archive, never an event loop
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private void moveMessageRows() throws SQLException {
    Connection c = writeConnection;
    boolean found = false;
    try (ResultSet rs = c.getMetaData().getTables(null, c.getSchema(), null, new String[] {"TABLE"})) {
      while (rs.next()) {
        found |= rs.getString("TABLE_NAME").equalsIgnoreCase("rooms_messages");
      }
    }
    if (!found) {
      return;
    }
    begin(c);
    int moved = 0;
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT room, seq, ts, user_name, member_id, body, client_id, dedupe_key "
             + "FROM rooms_messages ORDER BY room, seq");
         PreparedStatement clear = c.prepareStatement(
             "DELETE FROM rooms_chunks WHERE room = ? AND first_seq BETWEEN ? AND ?");
         PreparedStatement insert = c.prepareStatement(INSERT_CHUNK)) {
      String room = null;
      List<ChatRecord> records = new ArrayList<>();
      while (true) {
        boolean more = rs.next();
        if (room != null && (!more || !room.equals(rs.getString(1)))) {
          clear.setString(1, room);
          clear.setLong(2, records.get(0).seq());
          clear.setLong(3, records.get(records.size() - 1).seq());
          clear.executeUpdate();
          addChunks(insert, room, records);
          insert.executeBatch();
          moved += records.size();
          records.clear();
        }
        if (!more) {
          break;
        }
        room = rs.getString(1);
        records.add(new ChatRecord(rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5), rs.getString(6),
            rs.getString(7), rs.getString(8)));
      }
      st.execute("DROP TABLE IF EXISTS rooms_messages"); // another node may have moved it meanwhile
      commit(c);
    }
    LOG.info("moved {} stored messages into chunk rows", moved);
  }

  /** Queues records for the disk; the future completes when they are committed. */
  public CompletableFuture<Void> append(String room, long epoch, List<ChatRecord> records) {
    return enqueue(new Pending(Kind.APPEND, room, epoch, records.get(records.size() - 1).seq(), records,
        new CompletableFuture<>()));
  }

  /** Writes records that may already be stored (in part): the stored ones from the first seq on are replaced. */
  public CompletableFuture<Void> replace(String room, long epoch, List<ChatRecord> records) {
    return enqueue(new Pending(Kind.REPLACE, room, epoch, records.get(records.size() - 1).seq(), records,
        new CompletableFuture<>()));
  }

  /**
   * Records a room's seq and epoch (also for a room without messages) and completes once that and
   * everything queued before it is committed: what a room that goes to sleep leaves on disk. If an
   * earlier write of the room failed, its {@code retained} history is written again with it.
   */
  public CompletableFuture<Void> checkpoint(String room, long epoch, long seq, List<ChatRecord> retained) {
    return enqueue(new Pending(Kind.CHECKPOINT, room, epoch, seq, retained, new CompletableFuture<>()));
  }

  /**
   * Completes once the database has taken (or refused) everything queued before it, not only the
   * journal: a barrier for tests and for a clean stop.
   */
  public CompletableFuture<Void> flush() {
    return enqueue(new Pending(Kind.CHECKPOINT, null, 0, 0, List.of(), new CompletableFuture<>()));
  }

  private CompletableFuture<Void> enqueue(Pending p) {
    if (closed) {
      p.done().completeExceptionally(new IllegalStateException("archive closed"));
    } else if (dead != null) {
      p.done().completeExceptionally(dead);
    } else {
      queue.add(p);
      if (dead != null && queue.remove(p)) { // the threads died while it was added
        p.done().completeExceptionally(dead);
      }
    }
    return p.done();
  }

  /**
   * The journal or the writer thread died: what waits for them fails (it would wait forever, and a
   * room must not go to sleep as if its state were on disk), and the node is told.
   */
  private void threadDied(Thread thread, Throwable e) {
    dead = new IllegalStateException(thread.getName() + " died: " + e);
    List<Pending> waiting = new ArrayList<>();
    queue.drainTo(waiting);
    List<Journaled> unstored = new ArrayList<>();
    journaled.drainTo(unstored);
    unstored.forEach(j -> waiting.addAll(j.work()));
    waiting.forEach(p -> p.done().completeExceptionally(dead));
    onThreadDeath.accept(thread.getName(), e);
  }

  /** The room as stored, or null if it was never stored. */
  public RoomState load(String room) {
    return read(c -> {
      long seq;
      long epoch;
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, epoch FROM rooms_state WHERE room = ?")) {
        ps.setString(1, room);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          seq = rs.getLong(1);
          epoch = rs.getLong(2);
        }
      }
      List<ChatRecord> history = new ArrayList<>();
      long keepAfter = seq - historyLimit;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT records FROM rooms_chunks WHERE room = ? AND last_seq > ? ORDER BY first_seq")) {
        ps.setString(1, room);
        ps.setLong(2, keepAfter);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            for (ChatRecord r : Chunks.records(rs.getString(1))) {
              if (r.seq() > keepAfter && (history.isEmpty() || r.seq() > history.get(history.size() - 1).seq())) {
                history.add(r);
              }
            }
          }
        }
      }
      return new RoomState(epoch, seq, history);
    });
  }

  /**
   * Up to {@code limit} stored rooms' names after {@code after}, in the order of Java's
   * String.compareTo (PostgreSQL's default collation would order them otherwise: its "C" one
   * does not), so that pages merge with the cluster's names.
   */
  public List<String> roomsAfter(String after, int limit) {
    return read(c -> {
      String collate = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres")
          ? " COLLATE \"C\"" : "";
      List<String> names = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT room FROM rooms_state WHERE room" + collate
          + " > ? ORDER BY room" + collate + " LIMIT ?")) {
        ps.setString(1, after);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            names.add(rs.getString(1));
          }
        }
      }
      return names;
    });
  }

  /** Whether the room is stored (it held a message once, or an earlier version stored it). */
  public boolean exists(String room) {
    // a room of a user's type (named type/room) is in the store of room types (LogicArchive)
    String table = room.indexOf('/') >= 0 ? "logic_rooms" : "rooms_state";
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + table + " WHERE room = ?")) {
        ps.setString(1, room);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /** Every stored room's name. */
  public List<String> rooms() {
    return read(c -> {
      List<String> names = new ArrayList<>();
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT room FROM rooms_state")) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      return names;
    });
  }

  private interface Read<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T read(Read<T> read) {
    Connection c;
    try {
      c = readers.poll(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
    if (c == null) {
      throw new IllegalStateException("no database connection free");
    }
    try {
      return read.apply(c);
    } catch (SQLException e) {
      throw new IllegalStateException("reading the room store failed: " + e.getMessage(), e);
    } finally {
      readers.add(c);
    }
  }

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

  /**
   * The journal thread: appends what was queued meanwhile to the journal with one write, completes
   * the appends (their messages survive a crash from here on) and passes everything on to the
   * writer. Waits while the database is more than MAX_BEHIND records behind.
   */
  private void journalLoop() {
    long lastJournaled = System.nanoTime() - JOURNAL_BUSY_NANOS;
    List<Pending> batch = new ArrayList<>();
    List<Journal.Entry> entries = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
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
        while (behindDatabase.get() > MAX_BEHIND && writer.isAlive()) {
          Thread.sleep(1);
        }
        int records = 0;
        for (Pending p : batch) {
          if (p.kind() != Kind.CHECKPOINT && !p.records().isEmpty()) {
            entries.add(new Journal.Entry(p.room(), p.epoch(), p.records()));
            records += p.records().size();
          }
        }
        IOException failed = journal(entries);
        for (Pending p : batch) {
          if (p.kind() == Kind.APPEND) {
            if (failed == null) {
              p.done().complete(null);
            } else {
              p.done().completeExceptionally(failed);
            }
          }
        }
        behindDatabase.addAndGet(records);
        boolean awaited = batch.stream().anyMatch(p -> p.kind() == Kind.CHECKPOINT);
        journaled.add(new Journaled(List.copyOf(batch), written, records, awaited));
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
      written += journal.write(entries);
      if (journal.size() >= ROTATE_BYTES) {
        retired.add(new Retired(journal, written));
        journal = Journal.create(journalDir);
      }
      return null;
    } catch (IOException e) {
      LOG.warn("writing {} entries to the journal failed: {}", entries.size(), e.toString());
      return e;
    }
  }

  /** Deletes journal files the database holds entirely; empties the current one once it is all stored. */
  private void dropStoredFiles() {
    long done = stored; // read before pinned: the writer sets pinned, then stored
    if (pinned) {
      return;
    }
    try {
      while (!retired.isEmpty() && retired.peekFirst().mark() <= done) {
        retired.removeFirst().journal().close(true);
      }
      if (retired.isEmpty() && done == written && queue.isEmpty() && journal.size() > 0) {
        journal.truncate();
      }
    } catch (IOException e) {
      LOG.warn("cleaning up the journal failed: {}", e.toString());
    }
  }

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

  /** Sleeps through the window a slice at a time, taking what came meanwhile: no wake-up per message. */
  private void gather(List<Journaled> batch) throws InterruptedException {
    for (int slice = 0; slice < GATHER_SLICES && !closed && batch.stream().noneMatch(Journaled::awaited); slice++) {
      TimeUnit.NANOSECONDS.sleep(GATHER_SLICE_NANOS);
      journaled.drainTo(batch);
    }
  }

  private void writeLoop() {
    List<Journaled> batches = new ArrayList<>();
    List<Pending> work = new ArrayList<>();
    long lastCommit = System.nanoTime() - BUSY_NANOS;
    while (!closed || journalThread.isAlive() || !journaled.isEmpty()) {
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
          work.forEach(p -> p.done().completeExceptionally(e)); // this thread dies: see threadDied
          throw e;
        }
        lastCommit = System.nanoTime();
        pinned = !behind.isEmpty();
        stored = batches.get(batches.size() - 1).mark();
        behindDatabase.addAndGet(-batches.stream().mapToInt(Journaled::records).sum());
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
      rollback(writeConnection);
    } catch (SQLException ignored) {
      // the failure above is what matters
    }
    for (Pending p : work) {
      if (p.room() == null) {
        p.done().complete(null); // a barrier: the write was tried
        continue;
      }
      if (p.kind() != Kind.CHECKPOINT) {
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
    Connection c = writeConnection;
    begin(c);
    try (PreparedStatement insert = c.prepareStatement(INSERT_CHUNK);
         // first_seq bounds the index range: the scan reads only the rows that go (and one more)
         PreparedStatement retain = c.prepareStatement(
             "DELETE FROM rooms_chunks WHERE room = ? AND first_seq <= ? AND last_seq <= ?");
         StateRaiser state = new StateRaiser(c)) {
      for (Map.Entry<String, List<Pending>> e : byRoom.entrySet()) {
        String room = e.getKey();
        if (room == null) {
          continue;
        }
        long seq = 0;
        long epoch = 0;
        boolean checkpoint = false;
        long storedUpTo = -1; // read when the room's first append needs it
        List<ChatRecord> appended = new ArrayList<>();
        for (Pending p : e.getValue()) {
          epoch = Math.max(epoch, p.epoch());
          seq = Math.max(seq, p.seq());
          boolean rewrite = p.kind() == Kind.REPLACE
              || (p.kind() == Kind.CHECKPOINT && behind.containsKey(room) && current(c, room, p.epoch()));
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
            clearFrom(c, insert, room, first);
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
        state.raise(room, seq, epoch);
        long keepAfter = seq - historyLimit;
        if (checkpoint || keepAfter - prunedUpTo.getOrDefault(room, 0L) >= pruneStep) {
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
    }
  }

  private static final String INSERT_CHUNK =
      "INSERT INTO rooms_chunks (room, first_seq, last_seq, records) VALUES (?, ?, ?, ?)";

  /** Adds the records (in seq order, none stored) to {@code insert}'s batch as chunk rows. */
  private static void addChunks(PreparedStatement insert, String room, List<ChatRecord> records) throws SQLException {
    if (records.isEmpty()) {
      return;
    }
    for (Chunks.Chunk chunk : Chunks.of(records)) {
      insert.setString(1, room);
      insert.setLong(2, chunk.firstSeq());
      insert.setLong(3, chunk.lastSeq());
      insert.setString(4, chunk.text());
      insert.addBatch();
    }
  }

  /**
   * Deletes a room's stored records from seq {@code from} on; the earlier ones of the chunk that
   * holds {@code from} are added to {@code insert}'s batch again.
   */
  private static void clearFrom(Connection c, PreparedStatement insert, String room, long from) throws SQLException {
    List<ChatRecord> kept = new ArrayList<>();
    try (PreparedStatement straddling = c.prepareStatement(
             "SELECT records FROM rooms_chunks WHERE room = ? AND first_seq < ? AND last_seq >= ?");
         PreparedStatement delete = c.prepareStatement("DELETE FROM rooms_chunks WHERE room = ? AND last_seq >= ?")) {
      straddling.setString(1, room);
      straddling.setLong(2, from);
      straddling.setLong(3, from);
      try (ResultSet rs = straddling.executeQuery()) {
        while (rs.next()) {
          Chunks.records(rs.getString(1)).stream().filter(r -> r.seq() < from).forEach(kept::add);
        }
      }
      delete.setString(1, room);
      delete.setLong(2, from);
      delete.executeUpdate();
    }
    addChunks(insert, room, kept);
  }

  /** Raises rooms' stored seq and epoch to at least the given ones (creating a room's row if it has none); one per transaction. */
  private static final class StateRaiser implements AutoCloseable {
    private final PreparedStatement update;
    private final PreparedStatement create;
    private final PreparedStatement read;

    StateRaiser(Connection c) throws SQLException {
      // CASE rather than GREATEST, which SQLite lacks
      update = c.prepareStatement("UPDATE rooms_state SET seq = CASE WHEN seq < ? THEN ? ELSE seq END, "
          + "epoch = CASE WHEN epoch < ? THEN ? ELSE epoch END WHERE room = ?");
      create = c.prepareStatement("INSERT INTO rooms_state (room, seq, epoch) VALUES (?, ?, ?)");
      read = c.prepareStatement("SELECT seq FROM rooms_state WHERE room = ?");
    }

    /** The room's stored seq (0 if it has none): its records go up to there. */
    long stored(String room) throws SQLException {
      read.setString(1, room);
      try (ResultSet rs = read.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }

    void raise(String room, long seq, long epoch) throws SQLException {
      update.setLong(1, seq);
      update.setLong(2, seq);
      update.setLong(3, epoch);
      update.setLong(4, epoch);
      update.setString(5, room);
      if (update.executeUpdate() == 0) {
        create.setString(1, room);
        create.setLong(2, seq);
        create.setLong(3, epoch);
        create.executeUpdate();
      }
    }

    @Override
    public void close() throws SQLException {
      try (update; create; read) {
        // both closed
      }
    }
  }

  /**
   * Whether {@code epoch} is still the room's newest on disk. A fenced activation (its node was
   * paused while the room moved) must not write its stale history over what the newer one stored.
   */
  private static boolean current(Connection c, String room, long epoch) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM rooms_state WHERE room = ?")) {
      ps.setString(1, room);
      try (ResultSet rs = ps.executeQuery()) {
        return !rs.next() || rs.getLong(1) <= epoch;
      }
    }
  }

  /**
   * Stops after everything queued is journaled and in the database; the journal files are deleted,
   * unless a write failed (then the next start replays them).
   */
  @Override
  public void close() {
    closed = true;
    try {
      journalThread.join(5000);
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean allStored = !journalThread.isAlive() && !writer.isAlive() && stored == written && !pinned;
    retired.add(new Retired(journal, written));
    for (Retired r : retired) {
      try {
        r.journal().close(allStored);
      } catch (IOException e) {
        LOG.warn("closing the journal failed: {}", e.toString());
      }
    }
    List<Connection> all = new ArrayList<>(readers);
    all.add(writeConnection);
    for (Connection c : all) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
  }
}
