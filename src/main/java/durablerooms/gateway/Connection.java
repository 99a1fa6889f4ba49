package durablerooms.gateway;

import durablerooms.metrics.RoomMetrics;
import durablerooms.protocol.CloseCode;
import durablerooms.protocol.SeedFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client socket on this node: its id (the member id), room and client identity, and its
 * limits: the bytes queued for it (a socket that does not read is closed, not buffered for), its
 * rate and error budgets and its liveness. Commands of one connection reach the room one after
 * another, in the order the client sent them.
 */
public final class Connection {
  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
  private static final Buffer PING = Buffer.buffer("ping");
  /** How long a slow reader has to take its close frame before its TCP connection is cut. */
  static final long SLOW_READER_GRACE_MS = 1000;

  private final String id;
  private final String room;
  private final String clientKey;
  private final ServerWebSocket socket;
  private final Context context;
  /** The socket's Netty handler context: frames are written to its pipeline directly. */
  private final ChannelHandlerContext out;
  private final int maxFrameBytes;
  private final String ip;
  private final long maxQueuedBytes;
  private final long closeGraceMs;
  private volatile boolean closed;
  /** The highest message seq this socket has (touched on the connection's event loop only). */
  long lastSeq = -1;
  private final AtomicBoolean closing = new AtomicBoolean();
  /** The server's close frame is written (on the connection's event loop). */
  private boolean closeSent;
  /** The server decided to close once the pending commands have answered (see closeAfterPending). */
  private volatile boolean draining;
  private volatile long maxQueued;
  private Future<Void> last = Future.succeededFuture();
  private final Promise<Void> gone = Promise.promise();

  // touched on the connection's event loop only
  private final boolean fixedName;
  /** The client asked for no subprotocol: it gets the seed protocol's frames only (SeedFrames). */
  private final boolean seed;
  final TokenBucket rate;
  final TokenBucket errors;
  /** Pings (control frames and {@code {"type":"ping"}}) and unsolicited pongs: free within it. */
  final TokenBucket pings;
  private final RoomMetrics metrics;
  private long lastSeen;
  private boolean pinged;
  private long pingSentAt;

  Connection(String id, String room, String clientKey, ServerWebSocket socket, Context context, String ip,
             int maxFrameBytes, long maxQueuedBytes, long closeGraceMs, boolean fixedName, boolean seed,
             TokenBucket rate, TokenBucket errors, TokenBucket pings, RoomMetrics metrics) {
    this.metrics = metrics;
    this.id = id;
    this.room = room;
    this.clientKey = clientKey;
    this.socket = socket;
    this.context = context;
    this.out = ((WebSocketInternal) socket).channelHandlerContext();
    this.maxFrameBytes = maxFrameBytes;
    this.ip = ip;
    this.maxQueuedBytes = maxQueuedBytes;
    this.closeGraceMs = closeGraceMs;
    this.fixedName = fixedName;
    this.seed = seed;
    this.rate = rate;
    this.errors = errors;
    this.pings = pings;
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

  /** Whether the client speaks the seed protocol (it asked for no subprotocol). */
  /** Whether the connection is to a room of a user's type (its frames go to the room's logic as they are). */
  boolean custom() {
    return room.indexOf('/') >= 0;
  }

  boolean seed() {
    return seed;
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
    return draining || closing.get();
  }

  /**
   * The most bytes that were ever queued for this socket and not yet written to the network (as
   * Netty counts them: the frames, their headers and about 100 bytes of bookkeeping per buffer).
   */
  public long maxQueuedBytes() {
    return maxQueued;
  }

  /** The bytes queued for this socket and not yet written to the network, now. */
  public long queuedBytes() {
    ChannelOutboundBuffer buffer = out.channel().unsafe().outboundBuffer();
    return buffer == null ? 0 : buffer.totalPendingWriteBytes();
  }

  /** Answers a client's ping (its payload is copied), under the same check on queued bytes as every frame. */
  void writePong(ByteBuf payload) {
    write(new PongWebSocketFrame(Unpooled.copiedBuffer(payload)));
  }

  /**
   * Writes one text frame (on the connection's event loop). A socket that closed meanwhile just
   * drops it; a socket whose unsent backlog is over ROOMS_MAX_QUEUED_BYTES is closed with 1013
   * instead of queueing more, so a client that does not read costs a bounded amount of memory and
   * never delays the room or its other members.
   */
  public void write(String frame) {
    String text = seed ? SeedFrames.translate(frame) : frame;
    if (text != null) {
      writeEncoded(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * Writes a text frame already encoded as UTF-8; a frame over the socket's maximum frame size
   * goes out in fragments.
   */
  void writeEncoded(byte[] utf8) {
    if (utf8.length <= maxFrameBytes) {
      write(TextFrames.encode(utf8));
      return;
    }
    ByteBuf bytes = Unpooled.wrappedBuffer(utf8);
    for (int from = 0; from < utf8.length; from += maxFrameBytes) {
      int n = Math.min(maxFrameBytes, utf8.length - from);
      boolean last = from + n == utf8.length;
      ByteBuf part = bytes.retainedSlice(from, n);
      write(from == 0 ? new TextWebSocketFrame(false, 0, part) : new ContinuationWebSocketFrame(last, 0, part));
    }
    bytes.release();
  }

  /**
   * Writes a whole frame encoded by {@link TextFrames} (the caller keeps its reference): a
   * broadcast encodes its frame once and every recipient writes a duplicate of the same buffer.
   */
  void writeFrame(ByteBuf frame) {
    write(frame.retainedDuplicate());
  }

  /**
   * Writes to the socket's Netty pipeline directly, without a completion promise per frame
   * (Vert.x's write creates one and completes it once the bytes are sent: with the idle timer's
   * listener, about 5% of the CPU under fan-out load). Every frame of a connection takes this
   * path, so they stay in order; the backlog is read from Netty's outbound buffer. The flush is
   * consolidated per event-loop turn ({@link GatewayVerticle}). Takes over {@code msg} (a buffer
   * or a WebSocket frame).
   */
  private void write(Object msg) {
    if (!out.executor().inEventLoop()) {
      out.executor().execute(() -> write(msg));
      return;
    }
    ChannelOutboundBuffer buffer = out.channel().unsafe().outboundBuffer();
    // no frame after a close frame, either way (Vert.x's own write checks the same);
    // a null buffer: the channel is closed
    if (closed || closing.get() || buffer == null || socket.isClosed()) {
      ReferenceCountUtil.release(msg);
      return;
    }
    long backlog = buffer.totalPendingWriteBytes();
    if (backlog > maxQueuedBytes) {
      ReferenceCountUtil.release(msg);
      LOG.info("connection {}: {} bytes unsent, over {}: closing with 1013", id, backlog, maxQueuedBytes);
      metrics.slowReaderClose();
      // the close frame waits behind the whole backlog: a client that does not read within a
      // moment will not read it either, and holding its socket for the full grace costs memory
      closeWith(CloseCode.TRY_AGAIN_LATER.code(), "client reads too slowly", Math.min(closeGraceMs, SLOW_READER_GRACE_MS));
      return;
    }
    out.writeAndFlush(msg, out.voidPromise());
    long queuedNow = buffer.totalPendingWriteBytes();
    if (queuedNow > maxQueued) {
      maxQueued = queuedNow;
    }
  }

  /**
   * Closes with {@code code} (once; from any thread). A client that does not complete the close
   * handshake within the grace period (ROOMS_PING_TIMEOUT_MS) is cut off: its socket may be one
   * whose output is stuck, where even the close frame cannot get through.
   */
  void closeWith(CloseCode code, String reason) {
    closeWith(code.code(), reason, closeGraceMs);
  }

  /** Closes with a code of the room's logic (1000 or 3000-4999), after what was written before. */
  void closeWith(short code, String reason) {
    closeWith(code, reason, closeGraceMs);
  }

  /** As {@link #closeWith(CloseCode, String)}, with a grace period of at most {@code maxGraceMs}. */
  void closeWithin(CloseCode code, String reason, long maxGraceMs) {
    closeWith(code.code(), reason, Math.min(closeGraceMs, maxGraceMs));
  }

  private void closeWith(short code, String reason, long graceMs) {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    if (Vertx.currentContext() == context) {
      closeNow(code, reason, graceMs);
    } else {
      context.runOnContext(v -> closeNow(code, reason, graceMs));
    }
  }

  /**
   * Closes an abusive client with {@code code} once the commands it already sent have been answered
   * (their ACKs and errors go out before the close frame). Nothing more is read from it: a flood
   * would cost the event loop its decoding, so its answer to the close is not awaited either (it is
   * cut off after the grace period). On the connection's event loop.
   */
  void closeAfterPending(CloseCode code, String reason) {
    if (draining || closing.get()) {
      return;
    }
    draining = true;
    out.channel().config().setAutoRead(false);
    last.onComplete(ar -> closeWith(code, reason));
  }

  private void closeNow(short code, String reason, long graceMs) {
    // the close frame is written here and the handshake ended by ControlFrameGuard, not by
    // Vert.x's close: Vert.x waits for the close frame to be written before it starts its own
    // closing timer, so for a stuck socket that timer starts only after the cut below, and then
    // closes the closed connection again (an IllegalArgumentException "promise already done")
    closeSent = true;
    out.writeAndFlush(new CloseWebSocketFrame(code, reason), out.voidPromise());
    context.owner().setTimer(graceMs, t -> {
      if (!closed) {
        terminate();
      }
    });
  }

  /** Drops the TCP connection at once, discarding whatever is still queued for it. */
  private void terminate() {
    // from Vert.x's handler context the close goes past that handler, to the socket: a close from
    // the pipeline's tail would reach Vert.x's handler, which makes it a graceful close again
    out.close();
  }

  // --- liveness (on the connection's event loop) ---------------------------------------------------

  /** Whether the server has written its close frame (on the connection's event loop). */
  boolean closeSent() {
    return closeSent;
  }

  /** Whether the server pinged this client and awaits its pong. */
  boolean awaitingPong() {
    return pinged;
  }

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
