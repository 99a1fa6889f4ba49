package durablerooms.storage;

import durablerooms.state.EventSlice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * The durable state of the rooms of users' types, in the room store (SQLite, PostgreSQL or H2):
 * each room's key/value storage, the retained tail of its event log, the ACKs of its recent
 * client frames, and the epoch of its latest activation. One thread writes: an activation raises
 * the room's epoch and reads the room back; a commit applies the writes of one or more handlers
 * if the epoch is still the writer's, in one transaction with whatever other rooms committed
 * meanwhile (group commit). A fenced room's writes are skipped, the others still commit. With a
 * journal ({@link #append}), a room's commits reach the node's journal first ({@link ChangeJournal})
 * and the writer applies them behind, gathered.
 */
public final class LogicArchive implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LogicArchive.class);

  /** One event of a room's log: its seq, time (ms) and JSON text. */
  public record Event(long seq, long ts, String body) {}

  /**
   * A client frame's ACK: the client's key and frame id, the room's seq it answered with, and the
   * time of the handler that ran for it (ms), which a retry's ACK repeats.
   */
  public record Ack(String key, long seq, long ts) {}

  /**
   * A commit's place in its room's history: the epoch of the activation that wrote it and its number
   * in that activation. The store keeps the mark of the last commit it applied, so that a takeover
   * applies exactly the commits of the replicas that the store lacks, each once.
   */
  public record Mark(long epoch, long n) implements Comparable<Mark> {
    /** Before every commit: the mark of a room that the store holds no marked commit of. */
    public static final Mark NONE = new Mark(0, 0);

    @Override
    public int compareTo(Mark o) {
      return epoch != o.epoch ? Long.compare(epoch, o.epoch) : Long.compare(n, o.n);
    }
  }

  /**
   * The writes of a room's handlers since its last commit: storage values (JSON text; null
   * deletes the key) in write order, events in seq order, ACKs, the room's seq after them, and the
   * commit's {@link Mark} (null: the store keeps the mark it has).
   */
  public record Change(String room, long epoch, LinkedHashMap<String, String> values, List<Event> events,
                       List<Ack> acks, long seq, LinkedHashMap<String, Long> alarms, List<WebhookOutbox.Hook> hooks,
                       Mark mark) {
    public Change(String room, long epoch, LinkedHashMap<String, String> values, List<Event> events, List<Ack> acks,
                  long seq, LinkedHashMap<String, Long> alarms, List<WebhookOutbox.Hook> hooks) {
      this(room, epoch, values, events, acks, seq, alarms, hooks, null);
    }

    public Change(String room, long epoch, LinkedHashMap<String, String> values, List<Event> events, List<Ack> acks,
                  long seq) {
      this(room, epoch, values, events, acks, seq, new LinkedHashMap<>(), List.of());
    }

    public boolean isEmpty() {
      return hooksOnly() && hooks.isEmpty();
    }

    /** Whether the change writes nothing of its room's own: no value, event, ACK or alarm (webhooks at most). */
    public boolean hooksOnly() {
      return values.isEmpty() && events.isEmpty() && acks.isEmpty() && alarms.isEmpty();
    }

    /**
     * Several changes of one room, in order, as one commit at {@code epoch} (null when there are none):
     * the last write of a key wins, in its own place in the order; the mark is the last one's.
     */
    public static Change merge(String room, long epoch, List<Change> changes) {
      LinkedHashMap<String, String> values = new LinkedHashMap<>();
      LinkedHashMap<String, Long> alarms = new LinkedHashMap<>();
      List<Event> events = new ArrayList<>();
      List<Ack> acks = new ArrayList<>();
      List<WebhookOutbox.Hook> hooks = new ArrayList<>();
      long seq = -1;
      Mark mark = null;
      for (Change c : changes) {
        if (c == null) {
          continue;
        }
        c.values().forEach((k, v) -> {
          values.remove(k);
          values.put(k, v);
        });
        c.alarms().forEach((name, due) -> {
          alarms.remove(name);
          alarms.put(name, due);
        });
        events.addAll(c.events());
        acks.addAll(c.acks());
        hooks.addAll(c.hooks());
        seq = c.seq();
        mark = c.mark();
      }
      return seq < 0 ? null : new Change(room, epoch, values, events, acks, seq, alarms, hooks, mark);
    }

    /** The change as JSON text, as a replica node and the journal hold it. */
    public String encode() {
      JsonObject valuesJson = new JsonObject();
      values.forEach(valuesJson::put);
      JsonArray eventsJson = new JsonArray();
      events.forEach(e -> eventsJson.add(new JsonArray().add(e.seq()).add(e.ts()).add(e.body())));
      JsonArray acksJson = new JsonArray();
      acks.forEach(a -> acksJson.add(new JsonArray().add(a.key()).add(a.seq()).add(a.ts())));
      JsonObject alarmsJson = new JsonObject();
      alarms.forEach(alarmsJson::put);
      JsonArray hooksJson = new JsonArray();
      hooks.forEach(h -> hooksJson.add(new JsonArray().add(h.room()).add(h.type()).add(h.data()).add(h.ts())));
      JsonObject json = new JsonObject().put("room", room).put("epoch", epoch).put("seq", seq)
          .put("values", valuesJson).put("events", eventsJson).put("acks", acksJson).put("alarms", alarmsJson)
          .put("hooks", hooksJson);
      if (mark != null) {
        json.put("mark", new JsonArray().add(mark.epoch()).add(mark.n()));
      }
      return json.encode();
    }

    /** A change from its {@link #encode() text}. */
    public static Change decode(String text) {
      JsonObject json = new JsonObject(text);
      LinkedHashMap<String, String> values = new LinkedHashMap<>();
      json.getJsonObject("values").forEach(e -> values.put(e.getKey(), (String) e.getValue()));
      List<Event> events = new ArrayList<>();
      json.getJsonArray("events").forEach(o -> {
        JsonArray e = (JsonArray) o;
        events.add(new Event(e.getLong(0), e.getLong(1), e.getString(2)));
      });
      List<Ack> acks = new ArrayList<>();
      json.getJsonArray("acks").forEach(o -> {
        JsonArray a = (JsonArray) o;
        // a commit written by an earlier version has no time: 0, as the store's column has
        acks.add(new Ack(a.getString(0), a.getLong(1), a.size() > 2 ? a.getLong(2) : 0));
      });
      LinkedHashMap<String, Long> alarms = new LinkedHashMap<>();
      json.getJsonObject("alarms").forEach(e -> alarms.put(e.getKey(), e.getValue() == null ? null
          : ((Number) e.getValue()).longValue()));
      List<WebhookOutbox.Hook> hooks = new ArrayList<>();
      json.getJsonArray("hooks").forEach(o -> {
        JsonArray h = (JsonArray) o;
        hooks.add(new WebhookOutbox.Hook(h.getString(0), h.getString(1), h.getString(2), h.getLong(3)));
      });
      JsonArray mark = json.getJsonArray("mark");
      return new Change(json.getString("room"), json.getLong("epoch"), values, events, acks, json.getLong("seq"),
          alarms, hooks, mark == null ? null : new Mark(mark.getLong(0), mark.getLong(1)));
    }

    /** This change, committed at {@code epoch} with the mark {@code mark}. */
    public Change at(long epoch, Mark mark) {
      return new Change(room, epoch, values, events, acks, seq, alarms, hooks, mark);
    }
  }

  /** Waiting webhooks (oldest first) and how many wait in all. */
  public record HookPage(List<WebhookOutbox.Stored> hooks, long pending) {}

  /**
   * A room as an activation finds it: its new epoch, seq, storage (JSON text by key), retained
   * events, ACKs and alarms, the mark of the last commit applied, and the seqs reserved (0: none,
   * see {@link #reserve}).
   */
  public record Loaded(long epoch, long seq, TreeMap<String, String> values, List<Event> events,
                       LinkedHashMap<String, Ack> acks, TreeMap<String, Long> alarms, Mark applied, long reserved) {
    public Loaded(long epoch, long seq, TreeMap<String, String> values, List<Event> events,
                  LinkedHashMap<String, Ack> acks, TreeMap<String, Long> alarms) {
      this(epoch, seq, values, events, acks, alarms, Mark.NONE, 0);
    }

    /** The room numbering its next events after {@code seq}: the seqs up to it may have been handed out. */
    public Loaded after(long seq) {
      return new Loaded(epoch, Math.max(this.seq, seq), values, events, acks, alarms, applied, reserved);
    }

    /** The room under another epoch of the store (a wake from memory: see {@link #wake}). */
    public Loaded at(long epoch) {
      return new Loaded(epoch, seq, values, events, acks, alarms, applied, reserved);
    }

    /** The room once its reservation was given back. */
    public Loaded unreserved() {
      return new Loaded(epoch, seq, values, events, acks, alarms, applied, 0);
    }
  }

  /** A commit refused because a newer activation of the room exists. */
  public static final class FencedException extends RuntimeException {
    public FencedException(String room) {
      super("room " + room + " was activated again elsewhere");
    }
  }

  sealed interface Task {
    /** What completes once the task is done (null: nothing). */
    default CompletableFuture<?> done() {
      return null;
    }
  }

  private record Activate(String room, CompletableFuture<Loaded> done) implements Task {}

  private record Wake(String room, long epoch, CompletableFuture<Long> done) implements Task {}

  /** A commit: {@code done} once in the database; {@code journaled} (null: not journaled) once in the journal. */
  record Commit(Change change, CompletableFuture<Void> done, CompletableFuture<Void> journaled) implements Task {
    /** Whether the commit is in the journal (the database may still lack it). */
    boolean inJournal() {
      return journaled != null && journaled.isDone() && !journaled.isCompletedExceptionally();
    }
  }

  private record Replay(Change change, CompletableFuture<Loaded> done) implements Task {}

  private record Reserve(String room, long epoch, long upTo, CompletableFuture<Boolean> done) implements Task {}

  private record Exists(String room, CompletableFuture<Boolean> done) implements Task {}

  private record Forget(String room, CompletableFuture<Boolean> done) implements Task {}

  private record Count(CompletableFuture<Long> done) implements Task {}

  private record RoomsAfter(String after, int limit, CompletableFuture<List<String>> done) implements Task {}

  private record ReadLog(String room, long since, int limit, long notBefore, CompletableFuture<EventSlice> done)
      implements Task {}

  private record Expire(long notBefore, CompletableFuture<Integer> done) implements Task {}

  private record Due(long upTo, int limit, CompletableFuture<List<String>> done) implements Task {}

  private record ReadHooks(long afterId, int limit, CompletableFuture<HookPage> done) implements Task {}

  private record DeleteHooks(long upTo, CompletableFuture<Void> done) implements Task {}

  private record Flush(CompletableFuture<Void> done) implements Task {}

  record Stop() implements Task {}

  /** A commit's two writes: to the journal (or the database, without one), and to the database. */
  public record Appended(CompletableFuture<Void> onDisk, CompletableFuture<Void> inStore) {}

  /**
   * While only journaled commits wait, the writer gathers them for up to this long before it writes
   * them, as one transaction in which a room's commits apply merged (its statements once however
   * many commits it made). Anything else queued (an activation, a read, a flush) ends the gathering.
   * A second, as chat's store took before chat became a room type: the transaction's commit and a
   * room's fence and pruning are paid once a second rather than ten times (measured under fan-out
   * load); nothing waits for the store meanwhile but memory, which is bounded (ChangeLog,
   * ChangeJournal), and a room going to sleep, a read or a node joining flushes it at once.
   */
  static final long GATHER_MS = 1000;
  /** At most this many commits are gathered into one transaction. */
  static final int GATHER_MAX = 20_000;
  /** A transaction of journaled commits that fails is tried again after this long (doubling up to 30 s). */
  private static final long RETRY_MS = 100;

  private final Connection db;
  /** The commit path's statements, prepared once (writer thread only). */
  private final LogicRows.Statements statements;
  private final int historyLimit;
  private final int maxPendingHooks;
  private volatile java.util.function.IntConsumer onHooksDropped = n -> {};
  private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  /** The journal of commits (null: commits go to the database alone, and count as written there). */
  private final ChangeJournal journal;
  private volatile boolean closing;
  /** Set once a thread of the store died: tasks queued from then on are failed, not left waiting. */
  private volatile boolean dead;
  /** Whether the events' times are indexed for {@link #expire} (writer thread only). */
  private boolean eventTimesIndexed;
  private volatile BiConsumer<String, Throwable> onThreadDeath =
      (thread, e) -> LOG.error("{} died; rooms of users' types take no more writes", thread, e);

  private LogicArchive(Connection db, int historyLimit, int maxPendingHooks, Path journalDir) throws IOException {
    this.db = db;
    this.journal = journalDir == null ? null : new ChangeJournal(journalDir, queue, this::wakeWriter);
    this.statements = new LogicRows.Statements(db);
    this.historyLimit = historyLimit;
    this.maxPendingHooks = maxPendingHooks;
    this.writer = new Thread(this::run, "durable-rooms-logic-store");
    writer.setDaemon(true);
  }

  /** Opens the store at {@code url}, creates the tables it lacks and starts the writer thread. */
  public static LogicArchive open(String url, String user, String password, int historyLimit) throws SQLException {
    return open(url, user, password, historyLimit, 100_000);
  }

  /** As {@link #open(String, String, String, int)}, keeping at most {@code maxPendingHooks} webhooks waiting. */
  public static LogicArchive open(String url, String user, String password, int historyLimit, int maxPendingHooks)
      throws SQLException {
    try {
      return open(url, user, password, historyLimit, maxPendingHooks, null);
    } catch (IOException e) {
      throw new IllegalStateException("no journal, no I/O", e);
    }
  }

  /**
   * As {@link #open(String, String, String, int, int)}, with this process's journal of commits in
   * {@code journalDir} (see {@link #append}); the journals of processes that died there are applied
   * to the store first.
   */
  public static LogicArchive open(String url, String user, String password, int historyLimit, int maxPendingHooks,
                                  Path journalDir) throws SQLException, IOException {
    Connection c = RoomArchive.connect(url, user, password);
    // SQLite: transactions are begun explicitly, as the chat archive's (see RoomArchive.begin)
    c.setAutoCommit(EmbeddedStore.isSqlite(url));
    LogicArchive archive;
    try {
      StoreSql.createSchema(c, LogicArchive::createTables);
      if (journalDir != null) {
        ChangeReplay.recover(c, journalDir, historyLimit, maxPendingHooks);
      }
      archive = new LogicArchive(c, historyLimit, maxPendingHooks, journalDir);
    } catch (SQLException | IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    if (archive.journal != null) {
      archive.journal.start((t, e) -> archive.threadDied(t, e));
    }
    archive.writer.start();
    return archive;
  }

  static void createTables(Connection c) throws SQLException {
    LogicRows.createTables(c);
  }

  /** Told when the writer thread dies of something it cannot handle. */
  public void onThreadDeath(BiConsumer<String, Throwable> handler) {
    onThreadDeath = handler;
  }

  /** Raises the room's epoch (the new activation's fencing token) and reads the room. */
  public CompletableFuture<Loaded> activate(String room) {
    return submit(new Activate(room, new CompletableFuture<>()), Activate::done);
  }

  /**
   * Raises the room's epoch from {@code epoch} (that of its last activation, whose state the caller
   * kept from when it slept) to {@code epoch + 1}, without reading the room. Fails with
   * FencedException if the room's epoch was not {@code epoch} any more (another activation came
   * between, whose state the caller lacks): the epoch is then raised once more, so that no commit at
   * {@code epoch + 1} is taken. The caller's commits may be queued before this completes: it is
   * queued before them, straight to the writer (the room's earlier commits are all in the database:
   * it slept cleanly), and the writer takes it before any commit of the room queued after it.
   */
  public CompletableFuture<Long> wake(String room, long epoch) {
    return submit(new Wake(room, epoch, new CompletableFuture<>()), Wake::done);
  }

  /** Commits a room's writes if {@code change.epoch()} is still its epoch; fails with FencedException if not. */
  public CompletableFuture<Void> commit(Change change) {
    return submit(new Commit(change, new CompletableFuture<>(), null), Commit::done);
  }

  /**
   * A room's commit (with its {@link Mark}) to the journal, then to the database behind it: {@code
   * onDisk} completes once the journal has it (a kill of the process loses nothing from there; the
   * next node started on the data folder applies it), {@code inStore} once the database does, or
   * fails with FencedException if {@code change.epoch()} is no longer the room's epoch. Without a
   * journal, both complete when the database has it.
   */
  public Appended append(Change change) {
    if (journal == null) {
      CompletableFuture<Void> done = commit(change);
      return new Appended(done, done);
    }
    Commit c = new Commit(change, new CompletableFuture<>(), new CompletableFuture<>());
    submit(c, Commit::done);
    return new Appended(c.journaled(), c.done());
  }

  /** Completes once the database has everything queued before it; ends the writer's gathering of commits. */
  public CompletableFuture<Void> flush() {
    return submit(new Flush(new CompletableFuture<>()), Flush::done);
  }

  /**
   * A takeover's commit of what the replicas held that the store lacked (see {@link Mark}), then the
   * room read back as it is now; fails with FencedException if {@code change.epoch()} is no longer
   * the room's epoch.
   */
  public CompletableFuture<Loaded> replay(Change change) {
    return submit(new Replay(change, new CompletableFuture<>()), Replay::done);
  }

  /**
   * Reserves the room's seqs up to {@code upTo} for activation {@code epoch} (0 gives the
   * reservation back); fails with FencedException if that is no longer the room's epoch. A room
   * whose commits count as written once a replica holds them hands out no seq above its
   * reservation: if the room's node and its replica node die before the store has those commits,
   * the next activation numbers its events after the reservation, never with a seq that members
   * saw for another event. Reservations only rise; a room that stops cleanly gives its own back.
   */
  public CompletableFuture<Void> reserve(String room, long epoch, long upTo) {
    return submit(new Reserve(room, epoch, upTo, new CompletableFuture<>()), Reserve::done).thenApply(reserved -> null);
  }

  /**
   * The rooms with an alarm due at {@code upTo} (ms since the epoch) or before, the most overdue
   * first, at most {@code limit}.
   */
  public CompletableFuture<List<String>> due(long upTo, int limit) {
    return submit(new Due(upTo, limit, new CompletableFuture<>()), Due::done);
  }

  /** Told how many waiting webhooks were dropped because more than the bound waited. */
  public void onHooksDropped(java.util.function.IntConsumer handler) {
    onHooksDropped = handler;
  }

  /** Up to {@code limit} waiting webhooks after {@code afterId}, oldest first, and how many wait. */
  public CompletableFuture<HookPage> hooks(long afterId, int limit) {
    return submit(new ReadHooks(afterId, limit, new CompletableFuture<>()), ReadHooks::done);
  }

  /** Deletes the delivered webhooks up to {@code id}. */
  public CompletableFuture<Void> delivered(long id) {
    return submit(new DeleteHooks(id, new CompletableFuture<>()), DeleteHooks::done);
  }

  /** Whether the store holds the room (it was activated once). */
  public CompletableFuture<Boolean> exists(String room) {
    return submit(new Exists(room, new CompletableFuture<>()), Exists::done);
  }

  /**
   * The room's seq and up to {@code limit} of its retained events after {@code since}, as committed
   * (every event delivered is), but those stamped before {@code notBefore} (expired: see
   * {@link #expire}); null for a room the store does not hold. Read by the writer thread, after the
   * commits queued before it.
   */
  public CompletableFuture<EventSlice> log(String room, long since, int limit, long notBefore) {
    return submit(new ReadLog(room, since, limit, notBefore, new CompletableFuture<>()), ReadLog::done);
  }

  /**
   * Deletes every room's events stamped before {@code notBefore} (ROOMS_MESSAGE_TTL), also of rooms
   * asleep, which are not woken for it; completes with how many.
   */
  public CompletableFuture<Integer> expire(long notBefore) {
    return submit(new Expire(notBefore, new CompletableFuture<>()), Expire::done);
  }

  /** How many rooms the store holds. */
  public CompletableFuture<Long> count() {
    return submit(new Count(new CompletableFuture<>()), Count::done);
  }

  /**
   * Deletes the row of a room whose first activation wrote nothing (see {@link LogicRows#forget}):
   * names nobody wrote in cost no row once asleep. Completes with whether it did.
   */
  public CompletableFuture<Boolean> forget(String room) {
    return submit(new Forget(room, new CompletableFuture<>()), Forget::done);
  }

  /** Up to {@code limit} rooms the store holds with a key after {@code after}, in key order. */
  public CompletableFuture<List<String>> roomsAfter(String after, int limit) {
    return submit(new RoomsAfter(after, limit, new CompletableFuture<>()), RoomsAfter::done);
  }

  private <T extends Task, R> CompletableFuture<R> submit(T task, java.util.function.Function<T, CompletableFuture<R>> done) {
    if (!writer.isAlive() || (journal != null && !journal.isAlive())) {
      CompletableFuture<R> closed = done.apply(task);
      closed.completeExceptionally(new IllegalStateException("the store of room types is closed"));
      if (task instanceof Commit c && c.journaled() != null) {
        c.journaled().completeExceptionally(new IllegalStateException("the store of room types is closed"));
      }
      return closed;
    }
    if (journal != null && !(task instanceof Wake)) {
      journal.add(task);
    } else {
      queue.add(task);
      if (journal != null) {
        wakeWriter(); // from its gathering of journaled commits, if it is in one
      }
    }
    if (dead) { // its thread died as this was queued: nothing will take it
      failAll("the store of room types stopped");
    }
    return done.apply(task);
  }

  /** Stops after everything queued is in the database; the journal of commits is deleted if the database has it all. */
  @Override
  public void close() {
    closing = true;
    if (journal != null) {
      journal.add(new Stop());
    } else {
      queue.add(new Stop());
    }
    try {
      if (journal != null) {
        journal.join(5000);
      }
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (journal != null) {
      journal.closeFiles();
    }
    statements.close();
    try {
      db.close();
    } catch (SQLException e) {
      LOG.debug("closing the store of room types: {}", e.toString());
    }
  }

  private void run() {
    List<Task> batch = new ArrayList<>();
    try {
      while (true) {
        batch.add(queue.take());
        queue.drainTo(batch);
        gather(batch);
        List<Commit> commits = new ArrayList<>();
        for (Task t : batch) {
          if (t instanceof Stop) {
            commit(commits);
            failAll("the store of room types is closed");
            return;
          } else if (t instanceof Commit c) {
            commits.add(c);
          } else if (t instanceof Activate a && !anyOf(commits, a.room())) {
            activate(a); // before the commits gathered for other rooms: a wake does not wait for their transaction
          } else if (t instanceof Wake w && !anyOf(commits, w.room())) {
            wake(w);
          } else {
            commit(commits); // in order: what comes next sees every commit queued before it
            commits.clear();
            if (t instanceof Activate a) {
              activate(a);
            } else if (t instanceof Wake w) {
              wake(w);
            } else if (t instanceof Replay r) {
              replay(r);
            } else if (t instanceof Reserve r) {
              reserve(r);
            } else if (t instanceof Exists e) {
              read(e.done(), () -> LogicRows.exists(db, e.room()));
            } else if (t instanceof Count n) {
              read(n.done(), () -> LogicRows.count(db));
            } else if (t instanceof Forget f) {
              read(f.done(), () -> LogicRows.forget(db, f.room()));
            } else if (t instanceof ReadLog r) {
              read(r.done(), () -> LogicRows.log(db, r.room(), r.since(), r.limit(), historyLimit, r.notBefore()));
            } else if (t instanceof Expire e) {
              read(e.done(), () -> LogicRows.expire(db, e.notBefore(), eventTimesIndexed));
              eventTimesIndexed = true;
            } else if (t instanceof RoomsAfter r) {
              read(r.done(), () -> LogicRows.roomsAfter(db, r.after(), r.limit()));
            } else if (t instanceof Due d) {
              read(d.done(), () -> LogicRows.due(db, d.upTo(), d.limit()));
            } else if (t instanceof ReadHooks r) {
              read(r.done(), () -> new HookPage(WebhookOutbox.after(db, r.afterId(), r.limit()),
                  WebhookOutbox.pending(db)));
            } else if (t instanceof DeleteHooks d) {
              deleteHooks(d);
            } else if (t instanceof Flush f) {
              f.done().complete(null);
            }
          }
        }
        commit(commits);
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      // the batch it was writing, too: a commit in it would otherwise never complete
      fail(batch, "the store of room types stopped: " + e);
      threadDied(Thread.currentThread(), e);
    }
  }

  private static boolean anyOf(List<Commit> commits, String room) {
    for (Commit c : commits) {
      if (room.equals(c.change().room())) {
        return true;
      }
    }
    return false;
  }

  /**
   * While the batch holds only journaled commits, waits up to {@link #GATHER_MS} for more (see
   * there), asleep on a timer rather than on the queue, which would wake it for every journal write;
   * the journal thread wakes it when it passes on anything else ({@link #wakeWriter}).
   */
  private void gather(List<Task> batch) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GATHER_MS);
    int checked = 0;
    while (batch.size() < GATHER_MAX && !closing) {
      for (; checked < batch.size(); checked++) {
        if (!(batch.get(checked) instanceof Commit c) || c.journaled() == null) {
          return;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      LockSupport.parkNanos(this, left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      queue.drainTo(batch);
    }
  }

  /** Ends the writer's gathering: something other than a journaled commit waits in its queue. */
  private void wakeWriter() {
    LockSupport.unpark(writer);
  }

  /** The journal or the writer thread died: what waits for them fails, and the node is told. */
  private void threadDied(Thread thread, Throwable e) {
    dead = true;
    failAll("the store of room types stopped: " + e);
    onThreadDeath.accept(thread.getName(), e);
  }

  private void failAll(String why) {
    List<Task> waiting = new ArrayList<>();
    if (journal != null) {
      journal.drainTo(waiting);
    }
    queue.drainTo(waiting);
    fail(waiting, why);
  }

  /** Fails each task that has not completed (a commit's journal write too, if it has not). */
  private static void fail(List<Task> tasks, String why) {
    for (Task t : tasks) {
      IllegalStateException e = new IllegalStateException(why);
      if (t.done() != null) {
        t.done().completeExceptionally(e);
      }
      if (t instanceof Commit c && c.journaled() != null) {
        c.journaled().completeExceptionally(e);
      }
    }
  }

  private void activate(Activate a) {
    transaction(a.done(), a.room(), () -> LogicRows.activate(statements, a.room(), historyLimit));
  }

  private void wake(Wake w) {
    CompletableFuture<Long> raised = new CompletableFuture<>();
    transaction(raised, w.room(), () -> LogicRows.raise(statements, w.room(), w.epoch()));
    raised.whenComplete((epoch, err) -> {
      if (err != null) {
        w.done().completeExceptionally(err);
      } else if (epoch < 0) {
        w.done().completeExceptionally(new FencedException(w.room()));
      } else {
        w.done().complete(epoch);
      }
    });
  }

  private void replay(Replay r) {
    String room = r.change().room();
    int[] dropped = {0};
    transaction(r.done(), room, () -> {
      if (!LogicRows.apply(statements, r.change(), historyLimit, 0)) {
        return null;
      }
      dropped[0] = WebhookOutbox.append(db, r.change().hooks(), maxPendingHooks);
      return LogicRows.load(statements, room, historyLimit);
    });
    if (dropped[0] > 0 && !r.done().isCompletedExceptionally()) {
      onHooksDropped.accept(dropped[0]);
    }
  }

  private void reserve(Reserve r) {
    transaction(r.done(), r.room(), () -> LogicRows.reserve(db, r.room(), r.epoch(), r.upTo()) ? Boolean.TRUE : null);
  }

  /**
   * One room's write in a transaction of its own: completes {@code done} with its answer; an answer
   * of null means the room's epoch was not the writer's, nothing is kept and {@code done} fails with
   * FencedException.
   */
  private <T> void transaction(CompletableFuture<T> done, String room, Read<T> write) {
    try {
      RoomArchive.begin(db);
      T value = write.run();
      if (value == null) {
        RoomArchive.rollback(db);
        done.completeExceptionally(new FencedException(room));
        return;
      }
      RoomArchive.commit(db);
      done.complete(value);
    } catch (SQLException e) {
      rollback();
      statements.close(); // prepared again by the next use, as after a failed commit
      done.completeExceptionally(e);
    }
  }

  private interface Read<T> {
    T run() throws SQLException;
  }

  /** Runs a read, or a write of one statement, and commits: completes {@code done} with its answer, or its failure. */
  private <T> void read(CompletableFuture<T> done, Read<T> read) {
    try {
      T value = read.run();
      if (!db.getAutoCommit()) {
        db.commit();
      }
      done.complete(value);
    } catch (SQLException e) {
      rollback();
      done.completeExceptionally(e);
    }
  }

  private void deleteHooks(DeleteHooks d) {
    try {
      RoomArchive.begin(db);
      WebhookOutbox.delivered(db, d.upTo());
      RoomArchive.commit(db);
      d.done().complete(null);
    } catch (SQLException e) {
      rollback();
      d.done().completeExceptionally(e);
    }
  }

  /**
   * The commits of one batch in one transaction; a fenced room fails alone, a failed transaction
   * fails them all, or, if some are journaled, is tried again. A room's consecutive commits in the
   * batch are applied merged, as one: the statements a commit runs are then run once per room and
   * batch, however many commits it has.
   */
  private void commit(List<Commit> commits) throws InterruptedException {
    long wait = RETRY_MS;
    while (!commits.isEmpty()) {
      SQLException failed = tryCommit(commits);
      if (failed == null) {
        return;
      }
      // journaled commits were ACKed: they must reach the database, so the batch is tried again
      // (a store that is back, or a lock another node held for too long); a stop leaves them to the journal
      if (closing || commits.stream().noneMatch(Commit::inJournal)) {
        LOG.warn("a commit of {} room(s) of users' types failed: {}", commits.size(), failed.toString());
        commits.forEach(c -> c.done().completeExceptionally(failed));
        return;
      }
      LOG.warn("a commit of {} room(s) of users' types failed: {}; they are in the journal, tried again in {} ms",
          commits.size(), failed.toString(), wait);
      Thread.sleep(wait);
      wait = Math.min(wait * 2, 30_000);
    }
  }

  /** One transaction of the batch; completes its commits, or returns the failure (nothing completed). */
  private SQLException tryCommit(List<Commit> commits) {
    Set<Commit> fenced = Collections.newSetFromMap(new IdentityHashMap<>());
    int dropped;
    try {
      RoomArchive.begin(db);
      for (List<Commit> run : runs(commits)) {
        if (!apply(run)) {
          fenced.addAll(run);
        }
      }
      List<WebhookOutbox.Hook> hooks = new ArrayList<>();
      for (Commit c : commits) {
        if (!fenced.contains(c)) {
          hooks.addAll(c.change().hooks());
        }
      }
      dropped = WebhookOutbox.append(db, hooks, maxPendingHooks);
      RoomArchive.commit(db);
    } catch (SQLException e) {
      rollback();
      statements.close();
      return e;
    }
    if (dropped > 0) {
      onHooksDropped.accept(dropped);
    }
    int journaled = 0;
    for (Commit c : commits) {
      if (c.inJournal()) {
        journaled++;
      }
      if (fenced.contains(c)) {
        c.done().completeExceptionally(new FencedException(c.change().room()));
      } else {
        c.done().complete(null);
      }
    }
    if (journal != null && journaled > 0) {
      journal.applied(journaled);
    }
    return null;
  }

  /**
   * The batch's commits in runs that apply as one: each run the commits of one room at one epoch,
   * in order, each the next after the one before (by their marks). Rooms are independent, so a
   * room's run may be applied before commits of other rooms that came earlier.
   */
  static <T> List<List<T>> runs(List<T> commits, java.util.function.Function<T, Change> change) {
    LinkedHashMap<String, List<List<T>>> byRoom = new LinkedHashMap<>();
    for (T t : commits) {
      Change c = change.apply(t);
      List<List<T>> runs = byRoom.computeIfAbsent(c.room(), r -> new ArrayList<>());
      List<T> last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
      if (last != null && follows(change.apply(last.get(last.size() - 1)), c)) {
        last.add(t);
      } else {
        runs.add(new ArrayList<>(List.of(t)));
      }
    }
    List<List<T>> all = new ArrayList<>();
    byRoom.values().forEach(all::addAll);
    return all;
  }

  private List<List<Commit>> runs(List<Commit> commits) {
    return runs(commits, Commit::change);
  }

  /** Whether {@code next} can be applied merged with {@code before}: the same activation, the next commit. */
  private static boolean follows(Change before, Change next) {
    if (before.epoch() != next.epoch()) {
      return false;
    }
    if (before.mark() == null || next.mark() == null) {
      return before.mark() == null && next.mark() == null;
    }
    return before.mark().epoch() == next.mark().epoch() && next.mark().n() == before.mark().n() + 1;
  }

  /** Applies one run of a room's commits if its epoch is current; false when fenced (nothing applied). */
  private boolean apply(List<Commit> run) throws SQLException {
    Change first = run.get(0).change();
    Change ch = run.size() == 1 ? first
        : Change.merge(first.room(), first.epoch(), run.stream().map(Commit::change).toList());
    return LogicRows.apply(statements, ch, historyLimit, first.mark() == null ? 0 : first.mark().n());
  }

  private void rollback() {
    try {
      RoomArchive.rollback(db);
    } catch (SQLException e) {
      LOG.debug("rollback: {}", e.toString());
    }
  }
}
