package durablerooms.gateway;

import durablerooms.cluster.Wire;
import durablerooms.protocol.CloseCode;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node-local registry of sockets: every open connection by id, and per room the connections
 * admitted to its broadcasts (those that got their PRESENCE). Shared by the node's event loops.
 */
public final class Connections {
  private final ConcurrentHashMap<String, Connection> byId = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<Connection>> admitted = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Integer> perIp = new ConcurrentHashMap<>();

  void add(Connection c) {
    byId.put(c.id(), c);
  }

  void remove(Connection c) {
    c.markClosed();
    byId.remove(c.id());
    admitted.computeIfPresent(c.room(), (room, set) -> {
      set.remove(c);
      return set.isEmpty() ? null : set;
    });
  }

  /**
   * Closes every socket with {@code code} (e.g. 1012 "restarting": clients reconnect elsewhere); the
   * future completes when each connection's room has been told it left.
   */
  public Future<Void> closeAll(CloseCode code, String reason) {
    List<Future<Void>> gone = new ArrayList<>();
    for (Connection c : byId.values()) {
      gone.add(c.gone());
      c.socket().close(code.code(), reason);
    }
    return Future.join(gone).mapEmpty();
  }

  public int count() {
    return byId.size();
  }

  /** An open connection by id, or null. */
  public Connection get(String id) {
    return byId.get(id);
  }

  /**
   * Counts one more connection from {@code ip} unless it already has {@code max}
   * (ROOMS_MAX_CONNECTIONS_PER_IP); each successful reservation is released once with {@link #releaseIp}.
   */
  boolean reserveIp(String ip, int max) {
    boolean[] ok = {false};
    perIp.compute(ip, (k, n) -> {
      int count = n == null ? 0 : n;
      ok[0] = count < max;
      return ok[0] ? count + 1 : n;
    });
    return ok[0];
  }

  void releaseIp(String ip) {
    perIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
  }

  /**
   * Writes a delivered frame to the local sockets it is for (on the node's delivery thread) and
   * returns how many it was written to. A chat message is written to a socket only if its seq is
   * past what the socket has: replays after a failover never show a message twice.
   */
  public int deliver(Wire.Delivery d) {
    if (d.target() != null) {
      Connection c = byId.get(d.target());
      if (c == null) {
        return 0;
      }
      if (d.kind() == Wire.Delivery.ADMIT) {
        c.lastSeq = d.seq();
        admit(c);
      } else if (d.kind() == Wire.Delivery.ACK) {
        c.lastSeq = Math.max(c.lastSeq, d.seq());
      } else if (d.kind() == Wire.Delivery.MESSAGE && !advance(c, d.seq())) {
        return 0;
      }
      c.write(d.frame());
      return 1;
    }
    Set<Connection> members = admitted.get(d.room());
    if (members == null) {
      return 0;
    }
    boolean message = d.kind() == Wire.Delivery.MESSAGE;
    int written = 0;
    for (Connection c : members) {
      if (message && !advance(c, d.seq())) {
        continue;
      }
      if (!c.id().equals(d.exclude())) {
        c.write(d.frame());
        written++;
      }
    }
    return written;
  }

  private static boolean advance(Connection c, long seq) {
    if (seq <= c.lastSeq) {
      return false;
    }
    c.lastSeq = seq;
    return true;
  }

  private void admit(Connection c) {
    admitted.compute(c.room(), (room, set) -> {
      Set<Connection> s = set == null ? ConcurrentHashMap.newKeySet() : set;
      s.add(c);
      return s;
    });
    if (c.closed()) {
      remove(c); // closed while being admitted
    }
  }
}
