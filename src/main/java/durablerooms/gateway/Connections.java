package durablerooms.gateway;

import durablerooms.cluster.Wire;
import durablerooms.protocol.CloseCode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node-local registry of sockets: every open connection by id, and per event loop the
 * connections admitted to each room's broadcasts (those that got their PRESENCE). A delivered frame
 * is handed to each event loop once, which writes it to its own sockets: the writes run in parallel
 * on the loops that own the sockets, and no socket is written from a foreign thread.
 */
public final class Connections {
  private final ConcurrentHashMap<String, Connection> byId = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Thread, Loop> loops = new ConcurrentHashMap<>();

  /**
   * The sockets of one event loop, touched on that loop only. Deliveries reach it in the order the
   * delivery consumer received them, so a member's PRESENCE and the broadcasts around it keep the
   * room's order.
   */
  static final class Loop {
    private final Thread thread;
    private final Context context;
    private final Map<String, List<Connection>> admitted = new HashMap<>();

    Loop(Thread thread, Context context) {
      this.thread = thread;
      this.context = context;
    }

    void admit(Connection c) {
      if (c.closed()) {
        return;
      }
      List<Connection> members = admitted.computeIfAbsent(c.room(), r -> new ArrayList<>());
      if (!members.contains(c)) {
        members.add(c);
      }
    }

    void forget(Connection c) {
      List<Connection> members = admitted.get(c.room());
      if (members != null && members.remove(c) && members.isEmpty()) {
        admitted.remove(c.room());
      }
    }

    void broadcast(String room, String exclude, String frame) {
      List<Connection> members = admitted.get(room);
      if (members == null) {
        return;
      }
      for (int i = 0, n = members.size(); i < n; i++) {
        Connection c = members.get(i);
        if (!c.id().equals(exclude)) {
          c.write(frame);
        }
      }
    }

    void run(Runnable task) {
      if (Thread.currentThread() == thread) {
        task.run();
      } else {
        context.runOnContext(v -> task.run());
      }
    }
  }

  /**
   * Registers a new connection; called on the event loop that owns its socket. Loops are told apart
   * by thread: each HTTP request runs on its own duplicate of the verticle's context, and any of
   * them queues tasks on the same event loop in order.
   */
  void add(Connection c) {
    Context ctx = Vertx.currentContext();
    if (ctx == null || !ctx.isEventLoopContext()) {
      throw new IllegalStateException("connections are added on their socket's event loop");
    }
    c.attach(loops.computeIfAbsent(Thread.currentThread(), t -> new Loop(t, ctx)));
    byId.put(c.id(), c);
  }

  /** Forgets a closed connection; its loop drops it from the room's broadcasts. */
  void remove(Connection c) {
    c.markClosed();
    byId.remove(c.id());
    Loop loop = c.loop();
    loop.run(() -> loop.forget(c));
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

  /** Writes a delivered frame to the local sockets it is for, each on its own event loop. */
  public void deliver(Wire.Delivery d) {
    if (d.target() != null) {
      Connection c = byId.get(d.target());
      if (c == null) {
        return;
      }
      Loop loop = c.loop();
      loop.run(() -> {
        if (d.admit()) {
          loop.admit(c);
        }
        c.write(d.frame());
      });
      return;
    }
    for (Loop loop : loops.values()) {
      loop.run(() -> loop.broadcast(d.room(), d.exclude(), d.frame()));
    }
  }
}
