package durablerooms.storage;

import durablerooms.state.EventSlice;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiConsumer;

/**
 * The durable state of the rooms of users' types, in the room store (SQLite, PostgreSQL or H2):
 * each room's key/value storage, the retained tail of its event log, the ACKs of its recent
 * client frames, and the epoch of its latest activation. One thread writes: an activation raises
 * the room's epoch and reads the room back; a commit applies the writes of one or more handlers
 * if the epoch is still the writer's, in one transaction with whatever other rooms committed
 * meanwhile (group commit). A fenced room's writes are skipped, the others still commit.
 */
public final class LogicArchive implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LogicArchive.class);

  /** One event of a room's log: its seq, time (ms) and JSON text. */
  public record Event(long seq, long ts, String body) {}

  /** A client frame's ACK: the client's key and frame id, and the room's seq it answered with. */
  public record Ack(String key, long seq) {}

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
    /** The epoch of {@link #alarmsOf}: no activation of the room's type to fence. */
    static final long UNFENCED = -1;

    public Change(String room, long epoch, LinkedHashMap<String, String> values, List<Event> events, List<Ack> acks,
                  long seq, LinkedHashMap<String, Long> alarms, List<WebhookOutbox.Hook> hooks) {
      this(room, epoch, values, events, acks, seq, alarms, hooks, null);
    }

    public Change(String room, long epoch, LinkedHashMap<String, String> values, List<Event> events, List<Ack> acks,
                  long seq) {
      this(room, epoch, values, events, acks, seq, new LinkedHashMap<>(), List.of());
    }

    /** Webhooks alone, outside any room's transaction (those of chat rooms): no epoch is checked. */
    public static Change hooksOnly(List<WebhookOutbox.Hook> hooks) {
      return new Change(null, 0, new LinkedHashMap<>(), List.of(), List.of(), 0, new LinkedHashMap<>(), hooks);
    }

    /**
     * Alarms of a room that is not of a user's type (a chat room, whose other writes are in the chat
     * archive): no epoch to fence with; a null time removes the alarm.
     */
    public static Change alarmsOf(String room, LinkedHashMap<String, Long> alarms) {
      return new Change(room, UNFENCED, new LinkedHashMap<>(), List.of(), List.of(), 0, alarms, List.of());
    }

    public boolean isEmpty() {
      return values.isEmpty() && events.isEmpty() && acks.isEmpty() && alarms.isEmpty() && hooks.isEmpty();
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
                       LinkedHashMap<String, Long> acks, TreeMap<String, Long> alarms, Mark applied, long reserved) {
    public Loaded(long epoch, long seq, TreeMap<String, String> values, List<Event> events,
                  LinkedHashMap<String, Long> acks, TreeMap<String, Long> alarms) {
      this(epoch, seq, values, events, acks, alarms, Mark.NONE, 0);
    }

    /** The room numbering its next events after {@code seq}: the seqs up to it may have been handed out. */
    public Loaded after(long seq) {
      return new Loaded(epoch, Math.max(this.seq, seq), values, events, acks, alarms, applied, reserved);
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

  private sealed interface Task {}

  private record Activate(String room, CompletableFuture<Loaded> done) implements Task {}

  private record Commit(Change change, CompletableFuture<Void> done) implements Task {}

  private record Replay(Change change, CompletableFuture<Loaded> done) implements Task {}

  private record Reserve(String room, long epoch, long upTo, CompletableFuture<Boolean> done) implements Task {}

  private record Exists(String room, CompletableFuture<Boolean> done) implements Task {}

  private record RoomsAfter(String after, int limit, CompletableFuture<List<String>> done) implements Task {}

  private record ReadLog(String room, long since, int limit, CompletableFuture<EventSlice> done) implements Task {}

  private record Due(long upTo, int limit, CompletableFuture<List<String>> done) implements Task {}

  private record ReadHooks(long afterId, int limit, CompletableFuture<HookPage> done) implements Task {}

  private record DeleteHooks(long upTo, CompletableFuture<Void> done) implements Task {}

  private record Stop() implements Task {}

  private final Connection db;
  private final int historyLimit;
  private final int maxPendingHooks;
  private volatile java.util.function.IntConsumer onHooksDropped = n -> {};
  private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile BiConsumer<String, Throwable> onThreadDeath =
      (thread, e) -> LOG.error("{} died; rooms of users' types take no more writes", thread, e);

  private LogicArchive(Connection db, int historyLimit, int maxPendingHooks) {
    this.db = db;
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
    Connection c = RoomArchive.connect(url, user, password);
    // SQLite: transactions are begun explicitly, as the chat archive's (see RoomArchive.begin)
    c.setAutoCommit(EmbeddedStore.isSqlite(url));
    try {
      StoreSql.createSchema(c, LogicArchive::createTables);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    LogicArchive archive = new LogicArchive(c, historyLimit, maxPendingHooks);
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

  /** Commits a room's writes if {@code change.epoch()} is still its epoch; fails with FencedException if not. */
  public CompletableFuture<Void> commit(Change change) {
    return submit(new Commit(change, new CompletableFuture<>()), Commit::done);
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
   * (every event delivered is); null for a room the store does not hold. Read by the writer thread,
   * after the commits queued before it.
   */
  public CompletableFuture<EventSlice> log(String room, long since, int limit) {
    return submit(new ReadLog(room, since, limit, new CompletableFuture<>()), ReadLog::done);
  }

  /** Up to {@code limit} rooms the store holds with a key after {@code after}, in key order. */
  public CompletableFuture<List<String>> roomsAfter(String after, int limit) {
    return submit(new RoomsAfter(after, limit, new CompletableFuture<>()), RoomsAfter::done);
  }

  private <T extends Task, R> CompletableFuture<R> submit(T task, java.util.function.Function<T, CompletableFuture<R>> done) {
    if (!writer.isAlive()) {
      return CompletableFuture.failedFuture(new IllegalStateException("the store of room types is closed"));
    }
    queue.add(task);
    return done.apply(task);
  }

  @Override
  public void close() {
    queue.add(new Stop());
    try {
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      db.close();
    } catch (SQLException e) {
      LOG.debug("closing the store of room types: {}", e.toString());
    }
  }

  private void run() {
    try {
      List<Task> batch = new ArrayList<>();
      while (true) {
        batch.add(queue.take());
        queue.drainTo(batch);
        List<Commit> commits = new ArrayList<>();
        for (Task t : batch) {
          if (t instanceof Stop) {
            commit(commits);
            failAll("the store of room types is closed");
            return;
          } else if (t instanceof Commit c) {
            commits.add(c);
          } else {
            commit(commits); // in order: an activation sees every commit queued before it
            commits.clear();
            if (t instanceof Activate a) {
              activate(a);
            } else if (t instanceof Replay r) {
              replay(r);
            } else if (t instanceof Reserve r) {
              reserve(r);
            } else if (t instanceof Exists e) {
              read(e.done(), () -> LogicRows.exists(db, e.room()));
            } else if (t instanceof ReadLog r) {
              read(r.done(), () -> LogicRows.log(db, r.room(), r.since(), r.limit(), historyLimit));
            } else if (t instanceof RoomsAfter r) {
              read(r.done(), () -> LogicRows.roomsAfter(db, r.after(), r.limit()));
            } else if (t instanceof Due d) {
              read(d.done(), () -> LogicRows.due(db, d.upTo(), d.limit()));
            } else if (t instanceof ReadHooks r) {
              read(r.done(), () -> new HookPage(WebhookOutbox.after(db, r.afterId(), r.limit()),
                  WebhookOutbox.pending(db)));
            } else if (t instanceof DeleteHooks d) {
              deleteHooks(d);
            }
          }
        }
        commit(commits);
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      failAll("the store of room types stopped: " + e);
      onThreadDeath.accept(Thread.currentThread().getName(), e);
    }
  }

  private void failAll(String why) {
    Task t;
    while ((t = queue.poll()) != null) {
      IllegalStateException e = new IllegalStateException(why);
      if (t instanceof Activate a) {
        a.done().completeExceptionally(e);
      } else if (t instanceof Commit c) {
        c.done().completeExceptionally(e);
      } else if (t instanceof Replay r) {
        r.done().completeExceptionally(e);
      } else if (t instanceof Reserve r) {
        r.done().completeExceptionally(e);
      } else if (t instanceof Exists x) {
        x.done().completeExceptionally(e);
      } else if (t instanceof ReadLog r) {
        r.done().completeExceptionally(e);
      } else if (t instanceof RoomsAfter r) {
        r.done().completeExceptionally(e);
      } else if (t instanceof Due d) {
        d.done().completeExceptionally(e);
      } else if (t instanceof ReadHooks r) {
        r.done().completeExceptionally(e);
      } else if (t instanceof DeleteHooks d) {
        d.done().completeExceptionally(e);
      }
    }
  }

  private void activate(Activate a) {
    transaction(a.done(), a.room(), () -> LogicRows.activate(db, a.room(), historyLimit));
  }

  private void replay(Replay r) {
    String room = r.change().room();
    int[] dropped = {0};
    transaction(r.done(), room, () -> {
      if (!LogicRows.apply(db, r.change(), historyLimit, false)) {
        return null;
      }
      dropped[0] = WebhookOutbox.append(db, r.change().hooks(), maxPendingHooks);
      return LogicRows.load(db, room, historyLimit);
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
      done.completeExceptionally(e);
    }
  }

  private interface Read<T> {
    T run() throws SQLException;
  }

  /** A read outside any room's transaction: completes {@code done} with its answer, or its failure. */
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

  /** The commits of one batch in one transaction; a fenced room fails alone, a failed transaction fails them all. */
  private void commit(List<Commit> commits) {
    if (commits.isEmpty()) {
      return;
    }
    List<Commit> fenced = new ArrayList<>();
    int dropped = 0;
    try {
      RoomArchive.begin(db);
      List<WebhookOutbox.Hook> hooks = new ArrayList<>();
      for (Commit c : commits) {
        if (!apply(c.change())) {
          fenced.add(c);
        } else {
          hooks.addAll(c.change().hooks());
        }
      }
      dropped = WebhookOutbox.append(db, hooks, maxPendingHooks);
      RoomArchive.commit(db);
    } catch (SQLException e) {
      rollback();
      LOG.warn("a commit of {} room(s) of users' types failed: {}", commits.size(), e.toString());
      commits.forEach(c -> c.done().completeExceptionally(e));
      return;
    }
    if (dropped > 0) {
      onHooksDropped.accept(dropped);
    }
    for (Commit c : commits) {
      if (fenced.contains(c)) {
        c.done().completeExceptionally(new FencedException(c.change().room()));
      } else {
        c.done().complete(null);
      }
    }
  }

  /** Applies one room's change if its epoch is current; false when fenced (nothing applied). */
  private boolean apply(Change ch) throws SQLException {
    if (ch.room() == null) {
      return true; // webhooks alone
    } else if (ch.epoch() == Change.UNFENCED) {
      LogicRows.setAlarms(db, ch.room(), ch.alarms());
      return true;
    }
    return LogicRows.apply(db, ch, historyLimit, true);
  }

  private void rollback() {
    try {
      RoomArchive.rollback(db);
    } catch (SQLException e) {
      LOG.debug("rollback: {}", e.toString());
    }
  }
}
