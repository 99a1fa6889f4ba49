package durablerooms.gateway;

import durablerooms.cluster.Addresses;
import durablerooms.cluster.Wire;
import durablerooms.config.ServerConfig;
import durablerooms.protocol.ClientFrame;
import durablerooms.protocol.CloseCode;
import durablerooms.protocol.ErrorCode;
import durablerooms.protocol.Protocol;
import durablerooms.protocol.ProtocolException;
import durablerooms.protocol.ServerFrames;
import durablerooms.room.Member;
import durablerooms.room.RoomFailure;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The edge (one instance per event loop): serves the page and the HTTP API, checks each upgrade of
 * {@code /chat/{room}} (origin, private-room token, connections per IP), decodes client frames
 * once within their size, rate and error limits, answers pings itself, keeps idle sockets alive
 * or drops them, and forwards every other event to the room.
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * The page's Content-Security-Policy: scripts, styles and images only from this node, no inline
   * code, no frames. Sockets and fetches may reach other nodes (ws:, http:) for the page's failover.
   */
  static final String PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      + "connect-src 'self' ws: wss: http: https:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private final GatewayContext node;
  private final ServerConfig config;
  private final Protocol protocol;
  private final OriginPolicy origins;
  private RoomAccess access;
  /** This instance's sockets and what is delivered to them (this event loop only). */
  private final Outlet outlet;
  /** New TCP connections that have not yet sent their first request, with their timer. */
  private final Map<HttpConnection, Long> handshakes = new HashMap<>();

  /** What an upgrade request asks for, once it has passed the checks. */
  private record Admission(String room, String name, long since, String client, boolean fixedName, String ip) {}

  public GatewayVerticle(GatewayContext node) {
    this.node = node;
    this.config = node.config();
    this.protocol = new Protocol(config.maxMessageChars());
    this.origins = OriginPolicy.parse(config.allowedOrigins());
    this.outlet = new Outlet(config.maxFrameBytes());
  }

  @Override
  public Future<?> start() {
    access = RoomAccess.create(vertx, config);
    Router router = router();
    long livenessPeriod = Math.max(20, Math.min(1000, Math.min(config.pingIntervalMs(), config.pingTimeoutMs()) / 4));
    // deliveries first: a socket accepted once the server listens must get its PRESENCE
    return vertx.eventBus().<Wire.Delivery>consumer(Addresses.delivery(node.nodeId()),
            msg -> node.metrics().deliveredToSockets(outlet.deliver(msg.body()))).completion()
        .compose(v -> vertx.createHttpServer(serverOptions())
            .connectionHandler(this::onConnection)
            .requestHandler(req -> onRequest(router, req))
            .listen())
        .onSuccess(server -> vertx.setPeriodic(livenessPeriod, id -> checkLiveness()));
  }

  private Router router() {
    Router router = Router.router(vertx);
    HttpApi api = new HttpApi(node, access);
    router.get("/health").handler(Probes.alive(vertx));
    router.get("/ready").handler(Probes.ready(vertx, node));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(node.metrics().registry()));
    // the page falls back to another node when its own is gone, and reads these from there
    router.getWithRegex("/api/(nodes|rooms)").handler(GatewayVerticle::allowAnyOrigin);
    router.get("/api/nodes").handler(api::nodes);
    router.get("/api/rooms").handler(api::rooms);
    router.get("/api/rooms/:room").handler(api::room);
    router.get("/api/rooms/:room/messages").handler(api::messages);
    router.get("/*").handler(GatewayVerticle::pageHeaders);
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router.errorHandler(500, this::internalError);
    return router;
  }

  private HttpServerOptions serverOptions() {
    return new HttpServerOptions()
        .setHost(config.httpHost())
        .setPort(config.httpPort())
        // no permessage-deflate: its inflated size is unbounded (FACTS: known traps)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // a single larger frame fails in Netty's decoder (DecoderFailureGuard: close 1009); messages
        // are reassembled and bounded by MessageAssembler, as Vert.x would drop them silently
        .setMaxWebSocketFrameSize(config.maxFrameBytes())
        .setMaxWebSocketMessageSize(config.maxFrameBytes())
        // backstop: a connection that sends nothing for this long is closed (a live WebSocket
        // answers the liveness pings; a mute one is closed 1001 by them first, with a grace period
        // for its close handshake). Read idle only: an idle timer that watches writes adds a
        // listener to every frame written
        .setReadIdleTimeout((int) (config.pingIntervalMs() + 3 * config.pingTimeoutMs()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        // HTTP/1.1 only: with h2c on, Vert.x creates the connection (and calls connectionHandler,
        // which starts the handshake timer) only once a whole request has arrived
        .setHttp2ClearTextEnabled(false);
  }

  private static void pageHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", PAGE_CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  private static void allowAnyOrigin(RoutingContext ctx) {
    ctx.response().putHeader("Access-Control-Allow-Origin", "*");
    ctx.next();
  }

  /** WebSocket upgrades of {@code /chat} are handled here, everything else by the router. */
  private void onRequest(Router router, HttpServerRequest req) {
    firstRequest(req.connection());
    String room = chatRoom(req);
    if (room == null) {
      router.handle(req);
      return;
    }
    try {
      upgrade(req, room);
    } catch (RuntimeException e) {
      // e.g. a query string that is not valid percent-encoding
      LOG.info("upgrade of {} from {} refused: {}", req.path(), req.remoteAddress(), e.toString());
      if (!req.response().ended()) {
        reject(req, 400, "bad request");
      }
    }
  }

  // --- HTTP connections ---------------------------------------------------------------------------

  /** A new TCP connection must send its first request within ROOMS_HANDSHAKE_TIMEOUT_MS (slow or silent upgrades). */
  private void onConnection(HttpConnection conn) {
    long timer = vertx.setTimer(config.handshakeTimeoutMs(), id -> {
      if (handshakes.remove(conn) != null) {
        LOG.debug("connection from {} sent no request within {} ms: closed", conn.remoteAddress(),
            config.handshakeTimeoutMs());
        conn.close();
      }
    });
    handshakes.put(conn, timer);
    conn.closeHandler(v -> firstRequest(conn));
  }

  private void firstRequest(HttpConnection conn) {
    Long timer = handshakes.remove(conn);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }

  private void internalError(RoutingContext ctx) {
    LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(500).end("internal error\n");
    }
  }

  // --- the upgrade ----------------------------------------------------------------------------------

  /**
   * The room of a {@code GET /chat[/{room}]} request, or null for any other request. These are
   * handled outside the router: vertx-web wraps the WebSocket it upgrades, hiding the channel that
   * DecoderFailureGuard and Connection's cut-off need.
   */
  private static String chatRoom(HttpServerRequest req) {
    if (req.method() != HttpMethod.GET) {
      return null;
    }
    String path = req.path();
    if (path.equals("/chat") || path.equals("/chat/")) {
      return "lobby";
    }
    return path.startsWith("/chat/") ? path.substring("/chat/".length()) : null;
  }

  private void upgrade(HttpServerRequest req, String room) {
    if (!node.ready().getAsBoolean()) {
      reject(req, 503, "node is starting or stopping; try another");
      return;
    }
    if (!Protocol.validRoomName(room)) {
      reject(req, 400, "invalid room name: use 1 to 64 of A-Z a-z 0-9 _ . -");
      return;
    }
    String name;
    long since;
    String client = req.getParam("client");
    try {
      name = Protocol.displayName(req.getParam("name", "Anonymous"));
      since = sinceParam(req.getParam("since"));
    } catch (ProtocolException e) {
      reject(req, 400, e.getMessage());
      return;
    }
    if (client != null && (client.isEmpty() || client.length() > Protocol.MAX_ID_CHARS)) {
      reject(req, 400, "client must have 1 to " + Protocol.MAX_ID_CHARS + " characters");
      return;
    }
    if (!"websocket".equalsIgnoreCase(req.getHeader(HttpHeaders.UPGRADE))) {
      reject(req, 400, "expected a WebSocket upgrade");
      return;
    }
    String origin = req.getHeader(HttpHeaders.ORIGIN);
    if (!origins.allows(origin, req.getHeader(HttpHeaders.HOST))) {
      LOG.info("upgrade to room {} from {}: origin {} not allowed", room, req.remoteAddress(), origin);
      reject(req, 403, "origin not allowed");
      return;
    }
    String ip = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    if (!access.isPrivate(room)) {
      admit(req, new Admission(room, name, since, client, false, ip));
      return;
    }
    // the token check is asynchronous: hold the request's end until the upgrade is decided
    req.pause();
    access.verify(req.getParam("token")).onComplete(ar -> {
      if (ar.failed() || !ar.result().covers(room)) {
        String why = ar.failed() ? ar.cause().getMessage() : "token is for another room";
        LOG.info("upgrade to private room {} from {}: {}", room, req.remoteAddress(), why);
        reject(req, 401, "this room needs a valid token");
        return;
      }
      admit(req, new Admission(room, ar.result().name(), since, client, true, ip));
    });
  }

  private static void reject(HttpServerRequest req, int status, String why) {
    req.resume(); // paused during a token check: let the rest of the request be read
    req.response().setStatusCode(status).end(why + "\n");
  }

  /**
   * A join that would create a room never seen before takes one from the client IP's budget of
   * new rooms (ROOMS_NEW_ROOMS_PER_MIN), and is refused with 429 and Retry-After before the
   * upgrade once it is spent: names cost nothing to invent. A room active here is known at once;
   * any other is looked up (its lease, else the store), off the event loop. If the lookup fails,
   * the join goes on: the room's activation meets the same trouble and answers for it.
   */
  private void admit(HttpServerRequest req, Admission a) {
    if (node.host().knows(a.room())) {
      upgradeTo(req, a);
      return;
    }
    req.pause();
    node.store().known(a.room()).onComplete(ar -> {
      long wait = ar.succeeded() && !ar.result() ? node.newRooms().take(a.ip(), System.nanoTime()) : 0;
      if (wait > 0) {
        long seconds = Math.max(1, (long) Math.ceil(wait / 1e9));
        LOG.info("upgrade to new room {} from {}: over {} new rooms a minute for this IP", a.room(), a.ip(),
            config.newRoomsPerMin());
        req.response().putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(seconds));
        reject(req, 429, "too many new rooms from your address; retry after " + seconds + " s");
        return;
      }
      upgradeTo(req, a);
    });
  }

  private void upgradeTo(HttpServerRequest req, Admission a) {
    if (!node.connections().reserveIp(a.ip(), config.maxConnectionsPerIp())) {
      LOG.info("upgrade to room {} from {}: over {} connections for this IP", a.room(), a.ip(),
          config.maxConnectionsPerIp());
      reject(req, 429, "too many connections from your address");
      return;
    }
    Future<ServerWebSocket> upgraded = req.toWebSocket();
    req.resume();
    upgraded
        .onSuccess(ws -> open(ws, a))
        .onFailure(err -> {
          node.connections().releaseIp(a.ip());
          LOG.debug("upgrade failed: {}", err.getMessage());
        });
  }

  private static long sinceParam(String raw) throws ProtocolException {
    if (raw == null) {
      return -1;
    }
    try {
      long v = Long.parseLong(raw);
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new ProtocolException(ErrorCode.BAD_REQUEST, "since must be a whole number >= 0");
  }

  // --- the socket -----------------------------------------------------------------------------------

  private void open(ServerWebSocket ws, Admission a) {
    String id = newId();
    long now = System.nanoTime();
    Context socketContext = vertx.getOrCreateContext(); // the context the socket's handlers run on
    Connection conn = new Connection(id, a.room(), a.client() == null ? id : "c:" + a.client(), ws, socketContext,
        a.ip(), config.maxFrameBytes(), config.maxQueuedBytes(), config.pingTimeoutMs(), a.fixedName(),
        new TokenBucket(config.ratePerSec(), config.rateBurst(), now),
        new TokenBucket(config.errorRefillPerSec(), config.errorBudget(), now), node.metrics());
    node.connections().add(conn);
    outlet.add(conn);
    ws.setWriteQueueMaxSize(config.maxQueuedBytes());
    MessageAssembler assembler = new MessageAssembler(config.maxFrameBytes(), new MessageAssembler.Sink() {
      @Override
      public void text(String message) {
        onText(conn, message);
      }

      @Override
      public void binary() {
        refuse(conn, ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text", null);
      }

      @Override
      public void violation(CloseCode code, String reason) {
        LOG.info("connection {}: {}, closing with {}", id, reason, code.code());
        conn.closeWith(code, reason);
      }
    });
    ws.frameHandler(frame -> onFrame(conn, assembler, frame));
    ws.closeHandler(v -> onClose(conn));
    ws.exceptionHandler(err -> LOG.debug("connection {}: {}", id, err.toString()));
    DecoderFailureGuard.install(ws, bad -> onDecoderFailure(conn, bad));
    consolidateFlushes(ws);
    conn.write(ServerFrames.WELCOME);
    Member me = new Member(id, a.name(), node.nodeId());
    conn.then(() -> node.rooms().send(new Wire.Join(a.room(), me, conn.clientKey(), a.since())))
        .onFailure(err -> joinFailed(conn, err));
  }

  private void joinFailed(Connection conn, Throwable err) {
    ErrorCode code = err instanceof ReplyException re ? RoomFailure.clientError(re) : null;
    if (code == ErrorCode.ROOM_FULL) {
      LOG.info("connection {}: room {} is full", conn.id(), conn.room());
      node.metrics().errorSent(ErrorCode.ROOM_FULL);
      conn.write(ServerFrames.error(ErrorCode.ROOM_FULL, "room is full, try again later", null));
      conn.closeWith(CloseCode.TRY_AGAIN_LATER, "room is full");
      return;
    }
    LOG.warn("connection {}: join of room {} failed: {}", conn.id(), conn.room(), err.getMessage());
    node.metrics().errorSent(ErrorCode.UNAVAILABLE);
    conn.write(ServerFrames.error(ErrorCode.UNAVAILABLE, "room unavailable, reconnect", null));
    conn.closeWith(CloseCode.TRY_AGAIN_LATER, "room unavailable");
  }

  private void onFrame(Connection conn, MessageAssembler assembler, WebSocketFrame frame) {
    conn.seen(System.nanoTime());
    if (conn.closing()) {
      return;
    }
    try {
      assembler.frame(frame);
    } catch (RuntimeException e) {
      // a bug, not the client's fault: logged here, the client only learns the close code
      LOG.error("connection {}: failed to handle a frame", conn.id(), e);
      conn.closeWith(CloseCode.INTERNAL_ERROR, "internal error");
    }
  }

  private void onText(Connection conn, String text) {
    long received = System.nanoTime();
    node.metrics().messageReceived();
    ClientFrame frame;
    try {
      frame = protocol.decode(text);
    } catch (ProtocolException e) {
      refuse(conn, e.code(), e.getMessage(), e.id());
      return;
    }
    if (frame instanceof ClientFrame.Ping) {
      conn.write(ServerFrames.PONG);
      return;
    }
    String id = frame instanceof ClientFrame.Chat chat ? chat.id() : null;
    if (frame instanceof ClientFrame.Rename && conn.fixedName()) {
      refuse(conn, ErrorCode.FORBIDDEN, "your name comes from your token and cannot change", null);
      return;
    }
    if (!conn.rate.tryTake(System.nanoTime())) {
      refuse(conn, ErrorCode.RATE_LIMITED, "too many messages: at most " + config.ratePerSec() + " per second", id);
      return;
    }
    Wire.RoomCommand cmd = command(conn, frame);
    conn.then(() -> node.rooms().send(cmd)).onSuccess(v -> {
      if (frame instanceof ClientFrame.Chat) {
        node.metrics().messageAcked(received);
      }
    }).onFailure(err -> {
      conn.write(errorFrame(conn, err, id));
      if (err instanceof ReplyException re && re.failureCode() == RoomFailure.NOT_MEMBER) {
        // removed from the room while this node was unreachable: the client reconnects and rejoins
        conn.socket().close(CloseCode.RESTARTING.code(), "rejoin");
      }
    });
  }

  /** Answers a frame with ERROR; a client that runs out of its error budget is closed with 1008. */
  private void refuse(Connection conn, ErrorCode code, String message, String id) {
    node.metrics().errorSent(code);
    conn.write(ServerFrames.error(code, message, id));
    if (!conn.errors.tryTake(System.nanoTime())) {
      LOG.info("connection {}: error budget spent (last: {}), closing with 1008", conn.id(), code.wire());
      node.metrics().rateLimitedClose();
      conn.closeWith(CloseCode.POLICY, "too many errors");
    }
  }

  private static Wire.RoomCommand command(Connection conn, ClientFrame frame) {
    String room = conn.room();
    if (frame instanceof ClientFrame.Chat c) {
      return new Wire.Say(room, conn.id(), conn.clientKey(), c.text(), c.id());
    } else if (frame instanceof ClientFrame.Rename r) {
      return new Wire.Rename(room, conn.id(), r.name());
    } else if (frame instanceof ClientFrame.Typing) {
      return new Wire.Typing(room, conn.id());
    } else if (frame instanceof ClientFrame.HistoryRequest h) {
      return new Wire.Page(room, conn.id(), h.before(), h.limit());
    }
    throw new IllegalArgumentException("no room command for " + frame);
  }

  private String errorFrame(Connection conn, Throwable err, String id) {
    if (err instanceof ReplyException re) {
      ErrorCode code = RoomFailure.clientError(re);
      if (code != null) {
        node.metrics().errorSent(code);
        return ServerFrames.error(code, re.getMessage(), id);
      }
    }
    LOG.info("connection {}: room {} unavailable: {}", conn.id(), conn.room(), err.getMessage());
    node.metrics().errorSent(ErrorCode.UNAVAILABLE);
    return ServerFrames.error(ErrorCode.UNAVAILABLE, "room unavailable, retry", id);
  }

  /**
   * One system call for all the frames a socket gets in one turn of its event loop, instead of one
   * per frame: a flush outside a read is deferred to a task that runs after the deliveries already
   * queued on the loop (or sent at once after 64 flushes). Under fan-out load a socket gets several
   * frames per turn; when idle the deferral costs microseconds.
   */
  private static void consolidateFlushes(ServerWebSocket ws) {
    if (ws instanceof WebSocketInternal internal) {
      internal.channelHandlerContext().pipeline().addFirst("durable-rooms-flush-consolidation",
          new FlushConsolidationHandler(64, true));
    }
  }

  /** Netty's decoder failed (a frame over the limit, or one that breaks the protocol): close with the matching code. */
  private void onDecoderFailure(Connection conn, CorruptedWebSocketFrameException bad) {
    boolean tooLarge = bad.closeStatus() != null
        && bad.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
    CloseCode code = tooLarge ? CloseCode.TOO_LARGE : CloseCode.PROTOCOL_ERROR;
    LOG.info("connection {}: {}, closing with {}", conn.id(), bad.getMessage(), code.code());
    conn.closeWith(code, tooLarge ? "frame too large" : "protocol error");
  }

  private void onClose(Connection conn) {
    outlet.remove(conn);
    node.connections().remove(conn);
    node.connections().releaseIp(conn.ip());
    conn.then(() -> node.rooms().send(new Wire.Leave(conn.room(), conn.id())))
        .onFailure(err -> LOG.warn("connection {}: leave of room {} failed: {}", conn.id(), conn.room(),
            err.getMessage()))
        .onComplete(ar -> conn.markGone());
  }

  /** Pings sockets that have been silent for ROOMS_PING_INTERVAL_MS; drops those that do not answer in time. */
  private void checkLiveness() {
    long now = System.nanoTime();
    long interval = TimeUnit.MILLISECONDS.toNanos(config.pingIntervalMs());
    long timeout = TimeUnit.MILLISECONDS.toNanos(config.pingTimeoutMs());
    for (Connection c : new ArrayList<>(outlet.connections())) {
      if (c.checkAlive(now, interval, timeout)) {
        LOG.info("connection {}: no answer to ping within {} ms, closing with 1001", c.id(), config.pingTimeoutMs());
      }
    }
  }

  private static String newId() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
