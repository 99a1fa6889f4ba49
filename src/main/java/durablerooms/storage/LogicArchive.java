package durablerooms.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
   * The writes of a room's handlers since its last commit: storage values (JSON text; null
   * deletes the key) in write order, events in seq order, ACKs, and the room's seq after them.
   */
  public record Change(String room, long epoch, LinkedHashMap<String, String> values, List<Event> events,
                       List<Ack> acks, long seq, LinkedHashMap<String, Long> alarms, List<WebhookOutbox.Hook> hooks) {
    public Change(String room, long epoch, LinkedHashMap<String, String> values, List<Event> events, List<Ack> acks,
                  long seq) {
      this(room, epoch, values, events, acks, seq, new LinkedHashMap<>(), List.of());
    }

    /** Webhooks alone, outside any room's transaction (those of chat rooms): no epoch is checked. */
    public static Change hooksOnly(List<WebhookOutbox.Hook> hooks) {
      return new Change(null, 0, new LinkedHashMap<>(), List.of(), List.of(), 0, new LinkedHashMap<>(), hooks);
    }

    public boolean isEmpty() {
      return values.isEmpty() && events.isEmpty() && acks.isEmpty() && alarms.isEmpty() && hooks.isEmpty();
    }
  }

  /** Waiting webhooks (oldest first) and how many wait in all. */
  public record HookPage(List<WebhookOutbox.Stored> hooks, long pending) {}

  /** A room as an activation finds it: its new epoch, seq, storage (JSON text by key), retained events and ACKs. */
  public record Loaded(long epoch, long seq, TreeMap<String, String> values, List<Event> events,
                       LinkedHashMap<String, Long> acks, TreeMap<String, Long> alarms) {}

  /** A commit refused because a newer activation of the room exists. */
  public static final class FencedException extends RuntimeException {
    public FencedException(String room) {
      super("room " + room + " was activated again elsewhere");
    }
  }

  private sealed interface Task {}

  private record Activate(String room, CompletableFuture<Loaded> done) implements Task {}

  private record Commit(Change change, CompletableFuture<Void> done) implements Task {}

  private record Exists(String room, CompletableFuture<Boolean> done) implements Task {}

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
      RoomArchive.begin(c);
      createTables(c);
      RoomArchive.commit(c);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    LogicArchive archive = new LogicArchive(c, historyLimit, maxPendingHooks);
    archive.writer.start();
    return archive;
  }

  static void createTables(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS logic_rooms (room VARCHAR(100) PRIMARY KEY, epoch BIGINT NOT NULL, "
          + "seq BIGINT NOT NULL, acks BIGINT NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS logic_values (room VARCHAR(100) NOT NULL, k VARCHAR(1024) NOT NULL, "
          + "v VARCHAR(1000000) NOT NULL, PRIMARY KEY (room, k))");
      st.execute("CREATE TABLE IF NOT EXISTS logic_events (room VARCHAR(100) NOT NULL, seq BIGINT NOT NULL, "
          + "ts BIGINT NOT NULL, body VARCHAR(1000000) NOT NULL, PRIMARY KEY (room, seq))");
      st.execute("CREATE TABLE IF NOT EXISTS logic_acks (room VARCHAR(100) NOT NULL, k VARCHAR(400) NOT NULL, "
          + "n BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (room, k))");
      st.execute("CREATE TABLE IF NOT EXISTS logic_alarms (room VARCHAR(100) NOT NULL, name VARCHAR(200) NOT NULL, "
          + "due BIGINT NOT NULL, PRIMARY KEY (room, name))");
      st.execute("CREATE INDEX IF NOT EXISTS logic_alarms_due ON logic_alarms (due)");
    }
    WebhookOutbox.createTables(c);
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
            } else if (t instanceof Exists e) {
              exists(e);
            } else if (t instanceof Due d) {
              due(d);
            } else if (t instanceof ReadHooks r) {
              readHooks(r);
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
      } else if (t instanceof Exists x) {
        x.done().completeExceptionally(e);
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
    try {
      RoomArchive.begin(db);
      long epoch;
      long seq = 0;
      try (PreparedStatement lock = db.prepareStatement("UPDATE logic_rooms SET epoch = epoch WHERE room = ?")) {
        lock.setString(1, a.room()); // the row locked before it is read (server databases)
        lock.executeUpdate();
      }
      try (PreparedStatement q = db.prepareStatement("SELECT epoch, seq FROM logic_rooms WHERE room = ?")) {
        q.setString(1, a.room());
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            epoch = rs.getLong(1) + 1;
            seq = rs.getLong(2);
          } else {
            epoch = 1;
          }
        }
      }
      if (epoch == 1) {
        try (PreparedStatement ins = db.prepareStatement(
            "INSERT INTO logic_rooms (room, epoch, seq, acks) VALUES (?, 1, 0, 0)")) {
          ins.setString(1, a.room());
          ins.executeUpdate();
        }
      } else {
        try (PreparedStatement up = db.prepareStatement("UPDATE logic_rooms SET epoch = ? WHERE room = ?")) {
          up.setLong(1, epoch);
          up.setString(2, a.room());
          up.executeUpdate();
        }
      }
      TreeMap<String, String> values = new TreeMap<>();
      try (PreparedStatement q = db.prepareStatement("SELECT k, v FROM logic_values WHERE room = ?")) {
        q.setString(1, a.room());
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            values.put(rs.getString(1), rs.getString(2));
          }
        }
      }
      List<Event> events = new ArrayList<>();
      try (PreparedStatement q = db.prepareStatement(
          "SELECT seq, ts, body FROM logic_events WHERE room = ? AND seq > ? ORDER BY seq")) {
        q.setString(1, a.room());
        q.setLong(2, seq - historyLimit);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            events.add(new Event(rs.getLong(1), rs.getLong(2), rs.getString(3)));
          }
        }
      }
      LinkedHashMap<String, Long> acks = new LinkedHashMap<>();
      try (PreparedStatement q = db.prepareStatement("SELECT k, seq FROM logic_acks WHERE room = ? ORDER BY n")) {
        q.setString(1, a.room());
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            acks.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
      TreeMap<String, Long> alarms = new TreeMap<>();
      try (PreparedStatement q = db.prepareStatement("SELECT name, due FROM logic_alarms WHERE room = ?")) {
        q.setString(1, a.room());
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            alarms.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
      RoomArchive.commit(db);
      a.done().complete(new Loaded(epoch, seq, values, events, acks, alarms));
    } catch (SQLException e) {
      rollback();
      a.done().completeExceptionally(e);
    }
  }

  private void exists(Exists x) {
    try (PreparedStatement q = db.prepareStatement("SELECT 1 FROM logic_rooms WHERE room = ?")) {
      q.setString(1, x.room());
      try (ResultSet rs = q.executeQuery()) {
        x.done().complete(rs.next());
      }
      if (!db.getAutoCommit()) {
        db.commit();
      }
    } catch (SQLException e) {
      x.done().completeExceptionally(e);
    }
  }

  private void due(Due d) {
    try (PreparedStatement q = db.prepareStatement(
        "SELECT room, MIN(due) AS first FROM logic_alarms WHERE due <= ? GROUP BY room ORDER BY first LIMIT ?")) {
      q.setLong(1, d.upTo());
      q.setInt(2, d.limit());
      List<String> rooms = new ArrayList<>();
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          rooms.add(rs.getString(1));
        }
      }
      if (!db.getAutoCommit()) {
        db.commit();
      }
      d.done().complete(rooms);
    } catch (SQLException e) {
      d.done().completeExceptionally(e);
    }
  }

  private void readHooks(ReadHooks r) {
    try {
      HookPage page = new HookPage(WebhookOutbox.after(db, r.afterId(), r.limit()), WebhookOutbox.pending(db));
      if (!db.getAutoCommit()) {
        db.commit();
      }
      r.done().complete(page);
    } catch (SQLException e) {
      rollback();
      r.done().completeExceptionally(e);
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
    String room = ch.room();
    if (room == null) {
      return true; // webhooks alone
    }
    // the epoch is checked by a write, which locks the row first: on a server database a check by
    // a read could pass just before another node's activation commits a newer epoch
    try (PreparedStatement fence = db.prepareStatement("UPDATE logic_rooms SET epoch = epoch WHERE room = ? AND epoch = ?")) {
      fence.setString(1, room);
      fence.setLong(2, ch.epoch());
      if (fence.executeUpdate() == 0) {
        return false;
      }
    }
    long acks;
    try (PreparedStatement q = db.prepareStatement("SELECT acks FROM logic_rooms WHERE room = ?")) {
      q.setString(1, room);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        acks = rs.getLong(1);
      }
    }
    if (!ch.values().isEmpty()) {
      try (PreparedStatement del = db.prepareStatement("DELETE FROM logic_values WHERE room = ? AND k = ?");
           PreparedStatement ins = db.prepareStatement("INSERT INTO logic_values (room, k, v) VALUES (?, ?, ?)")) {
        for (Map.Entry<String, String> e : ch.values().entrySet()) {
          del.setString(1, room);
          del.setString(2, e.getKey());
          del.addBatch();
          if (e.getValue() != null) {
            ins.setString(1, room);
            ins.setString(2, e.getKey());
            ins.setString(3, e.getValue());
            ins.addBatch();
          }
        }
        del.executeBatch();
        ins.executeBatch();
      }
    }
    if (!ch.events().isEmpty()) {
      try (PreparedStatement ins = db.prepareStatement(
          "INSERT INTO logic_events (room, seq, ts, body) VALUES (?, ?, ?, ?)")) {
        for (Event e : ch.events()) {
          ins.setString(1, room);
          ins.setLong(2, e.seq());
          ins.setLong(3, e.ts());
          ins.setString(4, e.body());
          ins.addBatch();
        }
        ins.executeBatch();
      }
      try (PreparedStatement prune = db.prepareStatement("DELETE FROM logic_events WHERE room = ? AND seq <= ?")) {
        prune.setString(1, room);
        prune.setLong(2, ch.seq() - historyLimit);
        prune.executeUpdate();
      }
    }
    if (!ch.acks().isEmpty()) {
      try (PreparedStatement del = db.prepareStatement("DELETE FROM logic_acks WHERE room = ? AND k = ?");
           PreparedStatement ins = db.prepareStatement("INSERT INTO logic_acks (room, k, n, seq) VALUES (?, ?, ?, ?)")) {
        for (Ack a : ch.acks()) {
          del.setString(1, room);
          del.setString(2, a.key());
          del.addBatch();
          ins.setString(1, room);
          ins.setString(2, a.key());
          ins.setLong(3, ++acks);
          ins.setLong(4, a.seq());
          ins.addBatch();
        }
        del.executeBatch();
        ins.executeBatch();
      }
      try (PreparedStatement prune = db.prepareStatement("DELETE FROM logic_acks WHERE room = ? AND n <= ?")) {
        prune.setString(1, room);
        prune.setLong(2, acks - historyLimit);
        prune.executeUpdate();
      }
    }
    if (!ch.alarms().isEmpty()) {
      try (PreparedStatement del = db.prepareStatement("DELETE FROM logic_alarms WHERE room = ? AND name = ?");
           PreparedStatement ins = db.prepareStatement("INSERT INTO logic_alarms (room, name, due) VALUES (?, ?, ?)")) {
        for (Map.Entry<String, Long> e : ch.alarms().entrySet()) {
          del.setString(1, room);
          del.setString(2, e.getKey());
          del.addBatch();
          if (e.getValue() != null) {
            ins.setString(1, room);
            ins.setString(2, e.getKey());
            ins.setLong(3, e.getValue());
            ins.addBatch();
          }
        }
        del.executeBatch();
        ins.executeBatch();
      }
    }
    try (PreparedStatement up = db.prepareStatement("UPDATE logic_rooms SET seq = ?, acks = ? WHERE room = ?")) {
      up.setLong(1, ch.seq());
      up.setLong(2, acks);
      up.setString(3, room);
      up.executeUpdate();
    }
    return true;
  }

  private void rollback() {
    try {
      RoomArchive.rollback(db);
    } catch (SQLException e) {
      LOG.debug("rollback: {}", e.toString());
    }
  }
}
