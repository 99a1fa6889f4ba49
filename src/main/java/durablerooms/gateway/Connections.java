package durablerooms.gateway;

import durablerooms.cluster.Wire;

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
