package durablerooms.gateway;

import durablerooms.protocol.CloseCode;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The node-local registry of sockets: every open connection by id and the count per client IP.
 * Shared by the node's event loops; which sockets a delivery is for is each loop's {@link Outlet}.
 */
public final class Connections {
  private final ConcurrentHashMap<String, Connection> byId = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Integer> perIp = new ConcurrentHashMap<>();
  /** TCP connections per client IP that are not (yet) WebSockets: at most ROOMS_MAX_HTTP_CONNECTIONS_PER_IP. */
  private final ConcurrentHashMap<String, Integer> httpPerIp = new ConcurrentHashMap<>();

  void add(Connection c) {
    byId.put(c.id(), c);
  }

  void remove(Connection c) {
    c.markClosed();
    byId.remove(c.id());
  }

  /**
   * How long a client has to answer the close of {@link #closeAll} before it is cut off. A client
   * that is there answers within a round trip; one that is not (a laptop asleep, a phone out of
   * coverage) would hold a stop up for the whole ping timeout (10 s by default), and its room is
   * told it left once it is cut off.
   */
  static final long CLOSE_ALL_GRACE_MS = 2000;

  /**
   * Closes every socket with {@code code} (e.g. 1012 "restarting": clients reconnect elsewhere); the
   * future completes when each connection's room has been told it left.
   */
  public Future<Void> closeAll(CloseCode code, String reason) {
    List<Future<Void>> gone = new ArrayList<>();
    for (Connection c : byId.values()) {
      gone.add(c.gone());
      c.closeWithin(code, reason, CLOSE_ALL_GRACE_MS);
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
    return reserve(perIp, ip, max);
  }

  void releaseIp(String ip) {
    release(perIp, ip);
  }

  /**
   * Counts one more plain HTTP connection from {@code ip} unless it already has {@code max}
   * (ROOMS_MAX_HTTP_CONNECTIONS_PER_IP); released once with {@link #releaseHttp}, when it closes or
   * becomes a WebSocket (then counted by {@link #reserveIp}).
   */
  boolean reserveHttp(String ip, int max) {
    return reserve(httpPerIp, ip, max);
  }

  void releaseHttp(String ip) {
    release(httpPerIp, ip);
  }

  private static boolean reserve(ConcurrentHashMap<String, Integer> counts, String ip, int max) {
    boolean[] ok = {false};
    counts.compute(ip, (k, n) -> {
      int count = n == null ? 0 : n;
      ok[0] = count < max;
      return ok[0] ? count + 1 : n;
    });
    return ok[0];
  }

  private static void release(ConcurrentHashMap<String, Integer> counts, String ip) {
    counts.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
  }
}
