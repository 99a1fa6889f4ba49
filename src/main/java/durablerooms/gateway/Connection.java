package durablerooms.gateway;

import durablerooms.metrics.RoomMetrics;
import durablerooms.protocol.CloseCode;
import io.netty.buffer.ByteBufUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.http.WebSocketInternal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client socket on this node: its id (the member id), room and client identity, and its
 * limits: the bytes queued for it (a socket that does not read is closed, not buffered for), its
 * rate and error budgets and its liveness. Commands of one connection reach the room one after
 * another, in the order the client sent them.
 */
public final class Connection {
  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
  private static final Buffer PING = Buffer.buffer("ping");

  private final String id;
  private final String room;
  private final String clientKey;
  private final ServerWebSocket socket;
  private final Context context;
  private final String ip;
  private final long maxQueuedBytes;
  private final long closeGraceMs;
  private volatile boolean closed;
  /** The highest message seq this socket has (touched on the connection's event loop only). */
  long lastSeq = -1;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong maxQueued = new AtomicLong();
  private Future<Void> last = Future.succeededFuture();
  private final Promise<Void> gone = Promise.promise();

  // touched on the connection's event loop only
  private final boolean fixedName;
  final TokenBucket rate;
  final TokenBucket errors;
  private final RoomMetrics metrics;
  private long lastSeen;
  private boolean pinged;
  private long pingSentAt;

  Connection(String id, String room, String clientKey, ServerWebSocket socket, Context context, String ip,
             long maxQueuedBytes, long closeGraceMs, boolean fixedName, TokenBucket rate, TokenBucket errors,
             RoomMetrics metrics) {
    this.metrics = metrics;
    this.id = id;
    this.room = room;
    this.clientKey = clientKey;
    this.socket = socket;
    this.context = context;
    this.ip = ip;
    this.maxQueuedBytes = maxQueuedBytes;
    this.closeGraceMs = closeGraceMs;
    this.fixedName = fixedName;
    this.rate = rate;
    this.errors = errors;
    this.lastSeen = System.nanoTime();
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

  /** The client IP this connection counts against (ROOMS_MAX_CONNECTIONS_PER_IP), or null. */
  String ip() {
    return ip;
  }

  /** Whether the display name comes from a token and cannot be changed. */
  boolean fixedName() {
    return fixedName;
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

  /** Whether the server has started to close this connection (it takes no more frames either way). */
  public boolean closing() {
    return closing.get();
  }

  /** The most bytes that were ever queued for this socket and not yet written to the network. */
  public long maxQueuedBytes() {
    return maxQueued.get();
  }

  /**
   * Writes one encoded frame (from any thread). A socket that closed meanwhile just drops it; a
   * socket whose unsent backlog is over ROOMS_MAX_QUEUED_BYTES is closed with 1013 instead of
   * queueing more, so a client that does not read costs a bounded amount of memory and never
   * delays the room or its other members.
   */
  public void write(String frame) {
    write(frame, byteSize(frame));
  }

  /** The UTF-8 size of a frame (computed once per delivery, not once per recipient). */
  static int byteSize(String frame) {
    return ByteBufUtil.utf8Bytes(frame);
  }

  /** {@link #write(String)} of a frame whose UTF-8 size is known. */
  void write(String frame, int size) {
    if (admit(size)) {
      socket.writeTextMessage(frame).onComplete(ar -> queued.addAndGet(-size));
    }
  }

  /**
   * Writes a text frame already encoded as UTF-8, as one WebSocket frame: a broadcast encodes its
   * frame once and every recipient's frame wraps the same bytes (writeTextMessage would encode
   * and copy it for each). Only for frames within the socket's maximum frame size.
   */
  void writeEncoded(byte[] utf8) {
    int size = utf8.length;
    if (admit(size)) {
      socket.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, utf8, true))
          .onComplete(ar -> queued.addAndGet(-size));
    }
  }

  /** Whether {@code size} more bytes may be queued; a socket over its backlog is closed instead. */
  private boolean admit(int size) {
    if (closed || closing.get()) {
      return false;
    }
    long backlog = queued.get();
    if (backlog > maxQueuedBytes) {
      if (!closing.get()) {
        LOG.info("connection {}: {} bytes unsent, over {}: closing with 1013", id, backlog, maxQueuedBytes);
        metrics.slowReaderClose();
      }
      closeWith(CloseCode.TRY_AGAIN_LATER, "client reads too slowly");
      return false;
    }
    maxQueued.accumulateAndGet(queued.addAndGet(size), Math::max);
    return true;
  }

  /**
   * Closes with {@code code} (once; from any thread). A client that does not complete the close
   * handshake within the grace period (ROOMS_PING_TIMEOUT_MS) is cut off: its socket may be one
   * whose output is stuck, where even the close frame cannot get through.
   */
  void closeWith(CloseCode code, String reason) {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    if (Vertx.currentContext() == context) {
      closeNow(code, reason);
    } else {
      context.runOnContext(v -> closeNow(code, reason));
    }
  }

  private void closeNow(CloseCode code, String reason) {
    socket.close(code.code(), reason);
    context.owner().setTimer(closeGraceMs, t -> {
      if (!closed) {
        terminate();
      }
    });
  }

  /** Drops the TCP connection at once, discarding whatever is still queued for it. */
  private void terminate() {
    // Vert.x has no public way to abort a WebSocket whose close frame cannot be written
    if (socket instanceof WebSocketInternal internal) {
      internal.channelHandlerContext().channel().close();
    }
  }

  // --- liveness (on the connection's event loop) ---------------------------------------------------

  /** The client sent something (a frame or a pong): it is alive. */
  void seen(long now) {
    lastSeen = now;
    pinged = false;
  }

  /**
   * Liveness check: pings a client silent for {@code intervalNanos}, and closes one that has not
   * answered a ping within {@code timeoutNanos}. Returns true if it closed the connection.
   */
  boolean checkAlive(long now, long intervalNanos, long timeoutNanos) {
    if (closing.get()) {
      return false;
    }
    if (pinged) {
      if (now - pingSentAt >= timeoutNanos) {
        closeWith(CloseCode.GOING_AWAY, "no answer to ping");
        return true;
      }
    } else if (now - lastSeen >= intervalNanos) {
      pinged = true;
      pingSentAt = now;
      socket.writePing(PING);
    }
    return false;
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
