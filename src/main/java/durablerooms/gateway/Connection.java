package durablerooms.gateway;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ServerWebSocket;

/**
 * One client socket on this node: its id (the member id), room and client identity. Commands of
 * one connection reach the room one after another, in the order the client sent them.
 */
public final class Connection {
  private final String id;
  private final String room;
  private final String clientKey;
  private final ServerWebSocket socket;
  private volatile boolean closed;
  private Future<Void> last = Future.succeededFuture();
  private final Promise<Void> gone = Promise.promise();

  Connection(String id, String room, String clientKey, ServerWebSocket socket) {
    this.id = id;
    this.room = room;
    this.clientKey = clientKey;
    this.socket = socket;
  }

  public String id() {
    return id;
  }

  public String room() {
    return room;
  }

  public String clientKey() {
    return clientKey;
  }

  public ServerWebSocket socket() {
    return socket;
  }

  /** Completes once the connection has closed and its room has been told. */
  Future<Void> gone() {
    return gone.future();
  }

  void markGone() {
    gone.tryComplete();
  }

  boolean closed() {
    return closed;
  }

  void markClosed() {
    closed = true;
  }

  /** Writes one encoded frame; a socket that closed meanwhile just drops it. */
  public void write(String frame) {
    if (!closed) {
      socket.writeTextMessage(frame);
    }
  }

  /**
   * Chains a step after this connection's previous one (called on the connection's event loop
   * only), so that its commands stay in order even when one is retried.
   */
  <T> Future<T> then(java.util.function.Supplier<Future<T>> step) {
    Future<T> next = last.transform(ar -> step.get());
    last = next.mapEmpty();
    return next;
  }
}
