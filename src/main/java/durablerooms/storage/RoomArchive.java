package durablerooms.storage;

import durablerooms.state.ChatRecord;
import durablerooms.state.RoomState;
import durablerooms.storage.Pending.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * Room state on disk, through JDBC: the last seq and epoch of each room (rooms_state) and its
 * retained messages, in rows of a run of records each (rooms_chunks, see {@link Chunks}): a
 * commit adds one row per room, not one per message, which is what H2's work (and its garbage)
 * grows with. New messages are first appended to this process's {@link Journal} by the journal
 * thread ({@link JournalWriter}), and their write completes there (one system call for whatever all
 * rooms queued meanwhile); the writer thread ({@link ArchiveWriter}) then commits them to the
 * database behind it, in batches (one transaction for whatever was journaled meanwhile). A
 * checkpoint completes once it is in the database. Journal files of processes that died are
 * replayed into the database when the archive opens ({@link JournalReplay}), after its tables
 * ({@link ArchiveSchema}). Reads (loading a room after a restart or hibernation) use a small pool
 * ({@link ArchiveReader}). Never called on an event loop.
 */
public final class RoomArchive implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RoomArchive.class);

  private final Connection writeConnection;
  private final ArchiveWriter writer;
  private final JournalWriter journal;
  private final ArchiveReader reader;
  private volatile boolean closed;
  /** Set when the journal or the writer thread has died: nothing is queued any more. */
  private volatile IllegalStateException dead;
  /** Told when the journal or the writer thread dies of something it cannot handle (see {@link #onThreadDeath}). */
  private volatile BiConsumer<String, Throwable> onThreadDeath =
      (thread, e) -> LOG.error("{} died; the room store takes no more writes", thread, e);

  private RoomArchive(String url, String user, String password, int historyLimit, Path journalDir)
      throws SQLException, IOException {
    this.writeConnection = StoreSql.connect(url, user, password);
    // SQLite: transactions are begun explicitly (see begin); its driver would begin the next one as
    // soon as one commits, holding the file's write lock (or a stale snapshot) between batches
    writeConnection.setAutoCommit(EmbeddedStore.isSqlite(url));
    ArchiveSchema.create(writeConnection);
    JournalReplay.recover(writeConnection, journalDir);
    this.writer = new ArchiveWriter(writeConnection, historyLimit, this::closed);
    this.journal = new JournalWriter(journalDir, writer, this::closed);
    this.reader = new ArchiveReader(url, user, password, historyLimit);
    // each thread watches whether the other still runs: see their loops
    journal.start(this::threadDied);
    writer.start(journal::isAlive, this::threadDied);
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
  public void onThreadDeath(BiConsumer<String, Throwable> handler) {
    onThreadDeath = handler;
  }

  /** Opens a connection to a store: see {@link StoreSql#connect}. */
  static Connection connect(String url, String user, String password) throws SQLException {
    return StoreSql.connect(url, user, password);
  }

  /** Begins a write transaction: see {@link StoreSql#begin}. */
  static void begin(Connection c) throws SQLException {
    StoreSql.begin(c);
  }

  static void commit(Connection c) throws SQLException {
    StoreSql.commit(c);
  }

  /** Rolls back the transaction begun with {@link #begin}, if it is still open. */
  static void rollback(Connection c) throws SQLException {
    StoreSql.rollback(c);
  }

  /** Creates the store's tables where they are missing: see {@link StoreSql#createTables}. */
  static void createTables(Connection c) throws SQLException {
    StoreSql.createTables(c);
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
   * Reserves the room's seqs up to {@code upTo} for activation {@code epoch}; completes once that is
   * journaled, like an append. A room that writes its messages behind the disk hands out a seq only
   * once it is reserved: when its newest messages are lost (ROOMS_DURABILITY=memory, every node killed),
   * it starts again after the reservation (see {@link #load}), never at a seq that members have seen
   * for another message. Reservations only rise; a clean checkpoint gives one back.
   */
  public CompletableFuture<Void> reserve(String room, long epoch, long upTo) {
    return enqueue(new Pending(Kind.RESERVE, room, epoch, upTo, List.of(), new CompletableFuture<>()));
  }

  /** A clean {@link #checkpoint(String, long, long, List, boolean) checkpoint}: the room ended its activation with everything written. */
  public CompletableFuture<Void> checkpoint(String room, long epoch, long seq, List<ChatRecord> retained) {
    return checkpoint(room, epoch, seq, retained, true);
  }

  /**
   * Records a room's seq and epoch (also for a room without messages) and completes once that and
   * everything queued before it is committed: what a room that goes to sleep leaves on disk. If an
   * earlier write of the room failed, its {@code retained} history is written again with it. When
   * {@code clean} (every seq the activation handed out is in what was queued before), the
   * activation's reservation is given back, so the room wakes at its next seq.
   */
  public CompletableFuture<Void> checkpoint(String room, long epoch, long seq, List<ChatRecord> retained,
                                            boolean clean) {
    return enqueue(new Pending(Kind.CHECKPOINT, room, epoch, seq, retained, clean, new CompletableFuture<>()));
  }

  /**
   * Deletes the room's stored messages up to {@code upTo}, which expired (ROOMS_MESSAGE_TTL); not
   * journaled: if the process dies first, they stay stored until the next one, and no reader is
   * served them meanwhile (every read leaves expired messages out).
   */
  public CompletableFuture<Void> expire(String room, long epoch, long upTo) {
    return enqueue(new Pending(Kind.EXPIRE, room, epoch, upTo, List.of(), new CompletableFuture<>()));
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
      journal.add(p);
      if (dead != null && journal.remove(p)) { // the threads died while it was added
        p.done().completeExceptionally(dead);
      }
    }
    return p.done();
  }

  private boolean closed() {
    return closed;
  }

  /**
   * The journal or the writer thread died: what waits for them fails (it would wait forever, and a
   * room must not go to sleep as if its state were on disk), and the node is told.
   */
  private void threadDied(Thread thread, Throwable e) {
    dead = new IllegalStateException(thread.getName() + " died: " + e);
    List<Pending> waiting = new ArrayList<>();
    journal.drainTo(waiting);
    writer.drainTo(waiting);
    waiting.forEach(p -> p.done().completeExceptionally(dead));
    onThreadDeath.accept(thread.getName(), e);
  }

  /**
   * The room as stored, or null if it was never stored; its seq is past its reservation, if one is
   * left (its last activation did not end cleanly, and may have handed out seqs the store lacks).
   */
  public RoomState load(String room) {
    return reader.load(room);
  }

  /**
   * Up to {@code limit} stored rooms' names after {@code after}, in the order of Java's
   * String.compareTo, so that pages merge with the cluster's names.
   */
  public List<String> roomsAfter(String after, int limit) {
    return reader.roomsAfter(after, limit);
  }

  /** Whether the room is stored (it held a message once, or an earlier version stored it). */
  public boolean exists(String room) {
    return reader.exists(room);
  }

  /** Every stored room's name. */
  public List<String> rooms() {
    return reader.rooms();
  }

  /**
   * Stops after everything queued is journaled and in the database; the journal files are deleted,
   * unless a write failed (then the next start replays them).
   */
  @Override
  public void close() {
    closed = true;
    try {
      journal.join(5000);
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean allStored = !journal.isAlive() && !writer.isAlive() && writer.stored() == journal.written()
        && !writer.pinned();
    journal.closeFiles(allStored);
    reader.close();
    try {
      writeConnection.close();
    } catch (SQLException ignored) {
      // closing anyway
    }
  }
}
