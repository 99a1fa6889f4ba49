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

  /** Writes a delivered frame to the local sockets it is for. */
  public void deliver(Wire.Delivery d) {
    if (d.target() != null) {
      Connection c = byId.get(d.target());
      if (c == null) {
        return;
      }
      if (d.admit()) {
        admit(c);
      }
      c.write(d.frame());
      return;
    }
    Set<Connection> members = admitted.get(d.room());
    if (members == null) {
      return;
    }
    for (Connection c : members) {
      if (!c.id().equals(d.exclude())) {
        c.write(d.frame());
      }
    }
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
