package durablerooms.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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

/**
 * Room state on disk, through JDBC: the last seq and epoch of each room and its retained messages.
 * Writes are queued and committed by one writer thread in batches (group commit: one transaction
 * for whatever all rooms queued meanwhile); reads (loading a room after a restart or hibernation)
 * use a small pool. Never called on an event loop.
 */
public final class RoomArchive implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RoomArchive.class);
  private static final int READERS = 4;

  private enum Kind { APPEND, REPLACE, CHECKPOINT }

  /**
   * Queued work for one room, completed once committed: new records (APPEND), records that may be
   * stored already (REPLACE), or a checkpoint of its seq and epoch, which carries the room's
   * retained history in case an earlier write of the room failed (CHECKPOINT).
   */
  private record Pending(Kind kind, String room, long epoch, long seq, List<ChatRecord> records,
                         CompletableFuture<Void> done) {}

  private final String url;
  private final String user;
  private final String password;
  private final int historyLimit;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  /**
   * Per room, the seq up to which old messages were deleted (writer thread only). Retention runs
   * once a room is {@code pruneStep} messages past it, not in every commit: deleting one old row
   * per commit dirtied old pages in every chunk H2 writes, a quarter of its cost per commit. The
   * store may hold up to a tenth more than the limit (reads take only the last ROOMS_HISTORY_LIMIT)
   * until the room hibernates: its checkpoint prunes to the limit and drops its entry here.
   */
  private final Map<String, Long> prunedUpTo = new HashMap<>();
  /**
   * Per room, the first seq of a write that failed (writer thread only): those records are in the
   * cluster's memory only until a takeover's REPLACE or the room's checkpoint writes them again. A
   * room must not sleep (leave memory) with its disk copy behind, or its next wake would lose them.
   */
  private final Map<String, Long> behind = new HashMap<>();
  private final long pruneStep;
  private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
  private final Thread writer;
  private final Connection writeConnection;
  private volatile boolean closed;

  private RoomArchive(String url, String user, String password, int historyLimit) throws SQLException {
    this.url = url;
    this.user = user;
    this.password = password;
    this.historyLimit = historyLimit;
    this.pruneStep = Math.max(1, historyLimit / 10);
    this.writeConnection = connect();
    writeConnection.setAutoCommit(false);
    createSchema();
    for (int i = 0; i < READERS; i++) {
      readers.add(connect());
    }
    writer = new Thread(this::writeLoop, "durable-rooms-archive-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Opens (and creates if needed) the store at a JDBC URL. */
  public static RoomArchive open(String url, String user, String password, int historyLimit) throws SQLException {
    return new RoomArchive(url, user, password, historyLimit);
  }

  /**
   * Opens a connection; retried a few times because H2 in AUTO_SERVER mode refuses for a moment
   * while another process of the same machine is opening or taking over the file.
   */
  private Connection connect() throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        return user == null || user.isEmpty() ? DriverManager.getConnection(url) : DriverManager.getConnection(url, user, password);
      } catch (SQLException e) {
        if (attempt >= 40) {
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

  private void createSchema() throws SQLException {
    try (Statement st = writeConnection.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS rooms_state (room VARCHAR(64) PRIMARY KEY, seq BIGINT NOT NULL, "
          + "epoch BIGINT NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS rooms_messages (room VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, "
          + "ts BIGINT NOT NULL, user_name VARCHAR(1000) NOT NULL, member_id VARCHAR(100), body VARCHAR(1000000) NOT NULL, "
          + "client_id VARCHAR(1000), dedupe_key VARCHAR(2000), PRIMARY KEY (room, seq))");
      writeConnection.commit();
    }
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

  private CompletableFuture<Void> enqueue(Pending p) {
    if (closed) {
      p.done().completeExceptionally(new IllegalStateException("archive closed"));
    } else {
      queue.add(p);
    }
    return p.done();
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
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, ts, user_name, member_id, body, client_id, dedupe_key "
          + "FROM rooms_messages WHERE room = ? AND seq > ? ORDER BY seq")) {
        ps.setString(1, room);
        ps.setLong(2, seq - historyLimit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            history.add(new ChatRecord(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7)));
          }
        }
      }
      return new RoomState(epoch, seq, history);
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
   * Under load (the last commit ended less than BUSY_NANOS ago), the writer gathers writes for up
   * to GATHER_NANOS before committing: H2's cost is per commit (it writes a chunk of changed pages),
   * so fewer, larger commits carry more messages per core. A lone write is committed at once.
   */
  private static final long BUSY_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private void gather(List<Pending> batch) throws InterruptedException {
    long until = System.nanoTime() + GATHER_NANOS;
    for (long left = GATHER_NANOS; left > 0; left = until - System.nanoTime()) {
      Pending more = queue.poll(left, TimeUnit.NANOSECONDS);
      if (more == null) {
        return;
      }
      batch.add(more);
      queue.drainTo(batch);
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    long lastCommit = System.nanoTime() - BUSY_NANOS;
    while (!closed || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch);
        if (System.nanoTime() - lastCommit < BUSY_NANOS) {
          gather(batch);
        }
        write(batch);
        lastCommit = System.nanoTime();
        batch.forEach(p -> p.done().complete(null));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (SQLException | RuntimeException e) {
        LOG.warn("writing {} batches to the room store failed: {}", batch.size(), e.toString());
        try {
          writeConnection.rollback();
        } catch (SQLException ignored) {
          // the failure above is what matters
        }
        for (Pending p : batch) {
          if (p.kind() != Kind.CHECKPOINT) {
            behind.merge(p.room(), p.records().get(0).seq(), Math::min);
          }
          p.done().completeExceptionally(e);
        }
      }
      batch.clear();
    }
  }

  /** One transaction for the whole batch: messages inserted, state updated, retention applied. */
  private void write(List<Pending> batch) throws SQLException {
    Map<String, List<Pending>> byRoom = new LinkedHashMap<>();
    for (Pending p : batch) {
      byRoom.computeIfAbsent(p.room(), r -> new ArrayList<>()).add(p);
    }
    Set<String> rewritten = new HashSet<>();
    Set<String> checkpointed = new HashSet<>();
    Connection c = writeConnection;
    try (PreparedStatement clear = c.prepareStatement("DELETE FROM rooms_messages WHERE room = ? AND seq >= ?");
         PreparedStatement insert = c.prepareStatement("INSERT INTO rooms_messages "
             + "(room, seq, ts, user_name, member_id, body, client_id, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
         PreparedStatement update = c.prepareStatement(
             "UPDATE rooms_state SET seq = GREATEST(seq, ?), epoch = GREATEST(epoch, ?) WHERE room = ?");
         PreparedStatement create = c.prepareStatement("INSERT INTO rooms_state (room, seq, epoch) VALUES (?, ?, ?)");
         PreparedStatement retain = c.prepareStatement("DELETE FROM rooms_messages WHERE room = ? AND seq <= ?")) {
      for (Map.Entry<String, List<Pending>> e : byRoom.entrySet()) {
        String room = e.getKey();
        if (room == null) {
          continue;
        }
        long seq = 0;
        long epoch = 0;
        boolean checkpoint = false;
        for (Pending p : e.getValue()) {
          epoch = Math.max(epoch, p.epoch());
          seq = Math.max(seq, p.seq());
          boolean rewrite = p.kind() == Kind.REPLACE
              || (p.kind() == Kind.CHECKPOINT && behind.containsKey(room) && current(c, room, p.epoch()));
          if (p.kind() == Kind.CHECKPOINT) {
            checkpoint = true;
            checkpointed.add(room);
          }
          if (p.records().isEmpty() || (p.kind() == Kind.CHECKPOINT && !rewrite)) {
            continue;
          }
          if (rewrite) {
            clear.setString(1, room);
            clear.setLong(2, p.records().get(0).seq());
            clear.executeUpdate();
            rewritten.add(room);
          }
          for (ChatRecord r : p.records()) {
            insert.setString(1, room);
            insert.setLong(2, r.seq());
            insert.setLong(3, r.ts());
            insert.setString(4, r.user());
            insert.setString(5, r.memberId());
            insert.setString(6, r.text());
            insert.setString(7, r.id());
            insert.setString(8, r.dedupeKey());
            insert.addBatch();
          }
          insert.executeBatch();
        }
        update.setLong(1, seq);
        update.setLong(2, epoch);
        update.setString(3, room);
        if (update.executeUpdate() == 0) {
          create.setString(1, room);
          create.setLong(2, seq);
          create.setLong(3, epoch);
          create.executeUpdate();
        }
        long keepAfter = seq - historyLimit;
        if (checkpoint || keepAfter - prunedUpTo.getOrDefault(room, 0L) >= pruneStep) {
          retain.setString(1, room);
          retain.setLong(2, keepAfter);
          retain.addBatch();
          if (checkpoint) {
            prunedUpTo.remove(room); // asleep, pruned to its limit: nothing of it stays here
          } else {
            prunedUpTo.put(room, keepAfter);
          }
        }
      }
      retain.executeBatch();
      c.commit();
      rewritten.forEach(behind::remove); // their retained history is on disk again
      checkpointed.forEach(behind::remove); // asleep, or moved on: a later activation writes anew
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

  @Override
  public void close() {
    closed = true;
    try {
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
