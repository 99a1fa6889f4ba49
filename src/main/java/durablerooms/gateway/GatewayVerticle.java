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
import durablerooms.room.RoomFailure;
import durablerooms.room.RoomTypes;
import durablerooms.state.Member;
import io.netty.buffer.ByteBuf;
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
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
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
  /**
   * The ping budget of a connection (WebSocket pings, unsolicited pongs and {@code {"type":"ping"}}):
   * a client pings after silence, a few times a minute; each one costs the node a frame to write.
   */
  static final int PINGS_PER_SEC = 2;
  static final int PING_BURST = 10;
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * The page's Content-Security-Policy: scripts, styles and images only from this node, no inline
   * code, no frames. Sockets and fetches may reach other nodes (ws:, http:) for the page's failover.
   */
  static final String PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      + "connect-src 'self' ws: wss: http: https:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  /**
   * The Retry-After of a 429 for too many connections from one IP: a place frees up only when one
   * of them closes, which the server cannot foresee; long enough that a client does not hammer.
   */
  static final int RETRY_CONNECTIONS_SECONDS = 10;

  private final GatewayContext node;
  private final ServerConfig config;
  private final Protocol protocol;
  private final OriginPolicy origins;
  private RoomAccess access;
  /** This instance's sockets and what is delivered to them (this event loop only). */
  private final Outlet outlet;
  /** New TCP connections that have not yet sent their first request, with their timer. */
  private final Map<HttpConnection, Long> handshakes = new HashMap<>();
  /** This instance's TCP connections that are not WebSockets, with the IP they count against. */
  private final Map<HttpConnection, String> httpConnections = new HashMap<>();

  /**
   * What an upgrade request asks for, once it has passed the checks; in a private room, the token's
   * {@code subject} and expiry (seconds since the epoch; 0 in a public room).
   */
  private record Admission(String room, String name, long since, String client, boolean fixedName, String ip,
                           String subject, long expiresAt, boolean seed, String query) {
    /**
     * Who the room deduplicates message ids for: the client id (with the token's subject in a
     * private room, so that a member who learns another's client id cannot pre-empt its ids), or
     * the connection without one.
     */
    String clientKey(String connectionId) {
      if (client == null) {
        return connectionId;
      }
      return subject == null ? "c:" + client : "t:" + subject.length() + ":" + subject + "|" + client;
    }
  }

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
    router.route().handler(this::guard);
    router.get("/health").handler(Probes.alive(vertx));
    router.get("/ready").handler(Probes.ready(vertx, node));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(node.metrics().registry()));
    // the page falls back to another node when its own is gone, and reads these from there
    router.getWithRegex("/api/(nodes|rooms)").handler(GatewayVerticle::allowAnyOrigin);
    router.route("/api/*").handler(this::apiRate);
    router.route("/api/rooms*").handler(this::servingRooms);
    router.route("/api/types/:type/rooms*").handler(this::servingRooms);
    router.get("/api/nodes").handler(api::nodes);
    router.get("/api/types").handler(api::types);
    router.get("/api/rooms").handler(api::rooms);
    router.get("/api/rooms/:room").handler(api::room);
    router.get("/api/rooms/:room/messages").handler(api::messages);
    router.get("/api/types/:type/rooms/:room").handler(api::typedRoom);
    router.get("/api/types/:type/rooms/:room/messages").handler(api::typedMessages);
    router.post("/api/rooms/:type/:room").handler(BodyHandler.create(false).setBodyLimit(config.maxFrameBytes()))
        .handler(api::call);
    router.get("/*").handler(GatewayVerticle::pageHeaders);
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router.errorHandler(500, this::internalError);
    return router;
  }

  private HttpServerOptions serverOptions() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.httpHost())
        .setPort(config.httpPort())
        // no permessage-deflate: Vert.x 5 offers it by default, with no bound on the inflated size (a compression bomb)
        .setPerMessageWebSocketCompressionSupported(false)
        // the full protocol; a client that asks for no subprotocol speaks the seed's (SeedFrames)
        .setWebSocketSubProtocols(List.of(Protocol.SUBPROTOCOL))
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
    if (config.tls()) {
      // HTTP/1.1 over TLS too (no ALPN, Vert.x's default), for the same reason. The connection
      // handler runs once the TLS handshake is done: a client that never finishes one is cut by
      // the TLS handshake timeout, set to the same budget as a first request
      options.setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(config.tlsCert()).setKeyPath(config.tlsKey()))
          .setSslHandshakeTimeout(config.handshakeTimeoutMs())
          .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    }
    return options;
  }

  private static void pageHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", PAGE_CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  /**
   * A node that is not ready (starting, stopping, or recovering from a pause, when what it knows of
   * owners and members may be stale) does not answer for rooms: 503, and the caller asks another.
   */
  private void servingRooms(RoutingContext ctx) {
    if (node.ready().getAsBoolean()) {
      ctx.next();
      return;
    }
    ctx.response().setStatusCode(503).putHeader(HttpHeaders.RETRY_AFTER, "1")
        .end("this node is not serving rooms now (starting, stopping or recovering from a pause); ask another\n");
  }

  /** Each client IP may make ROOMS_API_RATE_PER_SEC requests to /api/* (bursts of ROOMS_API_BURST); more: 429. */
  private void apiRate(RoutingContext ctx) {
    SocketAddress from = ctx.request().remoteAddress();
    long retryAfter = node.apiRate().tryAcquire(from == null ? "unknown" : from.hostAddress(), System.nanoTime());
    if (retryAfter == 0) {
      ctx.next();
      return;
    }
    ctx.response().setStatusCode(429).putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfter))
        .end("too many requests from your address: at most " + config.apiRatePerSec() + " per second\n");
  }

  private static void allowAnyOrigin(RoutingContext ctx) {
    ctx.response().putHeader("Access-Control-Allow-Origin", "*");
    ctx.next();
  }

  /** WebSocket upgrades of {@code /chat} are handled here, everything else by the router. */
  private void onRequest(Router router, HttpServerRequest req) {
    firstRequest(req.connection());
    String[] target = roomPath(req);
    if (target == null) {
      router.handle(req);
      return;
    }
    // not cancelled: it finds an upgraded connection no longer among the HTTP ones, and a refused
    // upgrade answered and read
    startDeadline(req);
    try {
      upgrade(req, target[0], target[1]);
    } catch (RuntimeException e) {
      // e.g. a query string that is not valid percent-encoding. Only the exception's type is
      // logged: its message quotes the whole URI, and the query may hold a private room's token
      LOG.info("upgrade of {} from {} refused: {} (a malformed request)", req.path(), req.remoteAddress(),
          e.getClass().getSimpleName());
      if (!req.response().ended()) {
        reject(req, 400, "bad request");
      }
    }
  }

  // --- HTTP connections ---------------------------------------------------------------------------

  /**
   * A new TCP connection counts against its IP's ROOMS_MAX_HTTP_CONNECTIONS_PER_IP until it closes or
   * becomes a WebSocket (one over the limit is closed at once: it has asked nothing to answer), and
   * must send its first request within ROOMS_HANDSHAKE_TIMEOUT_MS (slow or silent upgrades).
   */
  private void onConnection(HttpConnection conn) {
    String ip = conn.remoteAddress() == null ? "unknown" : conn.remoteAddress().hostAddress();
    if (!node.connections().reserveHttp(ip, config.maxHttpConnectionsPerIp())) {
      LOG.debug("connection from {}: over {} HTTP connections for this IP, closed", ip,
          config.maxHttpConnectionsPerIp());
      conn.close();
      return;
    }
    httpConnections.put(conn, ip);
    long timer = vertx.setTimer(config.handshakeTimeoutMs(), id -> {
      if (handshakes.remove(conn) != null) {
        LOG.debug("connection from {} sent no request within {} ms: closed", conn.remoteAddress(),
            config.handshakeTimeoutMs());
        conn.close();
      }
    });
    handshakes.put(conn, timer);
    conn.closeHandler(v -> {
      firstRequest(conn);
      noLongerHttp(conn);
    });
  }

  /** The connection closed or became a WebSocket: it no longer counts as an HTTP connection of its IP. */
  private void noLongerHttp(HttpConnection conn) {
    String ip = httpConnections.remove(conn);
    if (ip != null) {
      node.connections().releaseHttp(ip);
    }
  }

  /**
   * Every routed request must be read whole and answered within ROOMS_HTTP_REQUEST_DEADLINE_MS, and
   * an error answer to a request whose body is still unread ends its connection: no route reads a
   * body, and reading on to the next request would take as long as the client pleases.
   */
  private void guard(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    long deadline = startDeadline(req);
    ctx.addHeadersEndHandler(v -> {
      if (req.response().getStatusCode() >= 400 && bodyUnread(req)) {
        req.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      }
    });
    ctx.addEndHandler(ar -> {
      if (!bodyUnread(req)) {
        vertx.cancelTimer(deadline);
      } else if (HttpHeaders.CLOSE.toString().equals(req.response().headers().get(HttpHeaders.CONNECTION))) {
        req.connection().close(); // after the answer, which is flushed first
      }
    });
    ctx.next();
  }

  /**
   * Whether the request announced a body that has not all arrived. Not just {@code !isEnded()}: a
   * request without a body is answered from its head, before Vert.x has seen its end.
   */
  private static boolean bodyUnread(HttpServerRequest req) {
    if (req.isEnded()) {
      return false;
    }
    String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    return req.headers().contains(HttpHeaders.TRANSFER_ENCODING) || (length != null && !length.equals("0"));
  }

  private long startDeadline(HttpServerRequest req) {
    return vertx.setTimer(config.httpRequestDeadlineMs(), id -> {
      if (httpConnections.containsKey(req.connection()) && !(req.isEnded() && req.response().ended())) {
        LOG.debug("{} {} from {}: not read and answered within {} ms, connection closed", req.method(), req.path(),
            req.remoteAddress(), config.httpRequestDeadlineMs());
        req.connection().close();
      }
    });
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
  private static String[] roomPath(HttpServerRequest req) {
    if (req.method() != HttpMethod.GET) {
      return null;
    }
    String path = req.path();
    if (path.equals("/chat") || path.equals("/chat/")) {
      return new String[] {RoomTypes.CHAT, "lobby"};
    }
    if (path.startsWith("/chat/")) {
      return new String[] {RoomTypes.CHAT, path.substring("/chat/".length())};
    }
    if (path.startsWith("/rooms/")) {
      String rest = path.substring("/rooms/".length());
      int slash = rest.indexOf('/');
      return slash < 0 ? new String[] {rest, ""} : new String[] {rest.substring(0, slash), rest.substring(slash + 1)};
    }
    return null;
  }

  /** The upgrade of {@code /chat/{room}} or {@code /rooms/{type}/{room}} ({@code /rooms/chat/{room}} is a chat room). */
  private void upgrade(HttpServerRequest req, String type, String name) {
    if (!node.ready().getAsBoolean()) {
      reject(req, 503, "node is starting or stopping; try another");
      return;
    }
    if (!node.host().types().serves(type)) {
      reject(req, 404, "no room type '" + (type.length() > 32 ? type.substring(0, 32) + "..." : type)
          + "' on this node; GET /api/types lists them");
      return;
    }
    if (!Protocol.validRoomName(name)) {
      reject(req, 400, "invalid room name: use 1 to 64 of A-Z a-z 0-9 _ . -");
      return;
    }
    boolean custom = !RoomTypes.CHAT.equals(type);
    String room = RoomTypes.key(type, name);
    String display;
    long since;
    String client = req.getParam("client");
    try {
      display = Protocol.displayName(req.getParam("name", "Anonymous"));
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
    List<String> asked = subprotocols(req);
    if (!asked.isEmpty() && !asked.contains(Protocol.SUBPROTOCOL)) {
      reject(req, 400, "unsupported WebSocket subprotocol: ask for " + Protocol.SUBPROTOCOL
          + " (the full protocol) or none (the seed protocol)");
      return;
    }
    boolean seed = asked.isEmpty() && !custom; // a room of a user's type speaks its own frames
    String query = custom ? queryJson(req) : null;
    String origin = req.getHeader(HttpHeaders.ORIGIN);
    if (!origins.allows(origin, req.getHeader(HttpHeaders.HOST))) {
      LOG.info("upgrade to room {} from {}: origin {} not allowed", room, req.remoteAddress(), origin);
      reject(req, 403, "origin not allowed");
      return;
    }
    String ip = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    if (!access.isPrivate(room)) {
      admit(req, new Admission(room, display, since, client, false, ip, null, 0, seed, query));
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
      RoomAccess.Grant grant = ar.result();
      admit(req, new Admission(room, grant.name(), since, client, true, ip, grant.subject(), grant.expiresAt(), seed,
          query));
    });
  }

  private static void reject(HttpServerRequest req, int status, String why) {
    req.resume(); // paused during a token check: let the rest of the request be read
    if (!bodyUnread(req)) {
      req.response().setStatusCode(status).end(why + "\n");
      return;
    }
    // a body is still coming: answer, then close rather than read it
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE).end(why + "\n");
    req.connection().close();
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
      req.response().putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(RETRY_CONNECTIONS_SECONDS));
      reject(req, 429, "too many connections from your address");
      return;
    }
    HttpConnection conn = req.connection();
    Future<ServerWebSocket> upgraded = req.toWebSocket();
    req.resume();
    upgraded
        .onSuccess(ws -> {
          noLongerHttp(conn);
          open(ws, a);
        })
        .onFailure(err -> {
          node.connections().releaseIp(a.ip());
          LOG.debug("upgrade failed: {}", err.getMessage());
        });
  }

  /**
   * The query parameters of a connect URL as a JSON object (one value each, the first; the token
   * left out: the room's logic never sees a credential), for a room of a user's type.
   */
  private static String queryJson(HttpServerRequest req) {
    JsonObject q = new JsonObject();
    for (String name : req.params().names()) {
      if (!"token".equals(name)) {
        q.put(name, req.getParam(name));
      }
    }
    return q.isEmpty() ? null : q.encode();
  }

  /** The subprotocols the client asks for (Sec-WebSocket-Protocol: one header or several, comma-separated). */
  private static List<String> subprotocols(HttpServerRequest req) {
    List<String> asked = new ArrayList<>();
    for (String header : req.headers().getAll("Sec-WebSocket-Protocol")) {
      for (String p : header.split(",")) {
        if (!p.isBlank()) {
          asked.add(p.trim());
        }
      }
    }
    return asked;
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
    Connection conn = new Connection(id, a.room(), a.clientKey(id), ws, socketContext,
        a.ip(), config.maxFrameBytes(), config.maxQueuedBytes(), config.pingTimeoutMs(), a.fixedName(), a.seed(),
        new TokenBucket(config.ratePerSec(), config.rateBurst(), now),
        new TokenBucket(config.errorRefillPerSec(), config.errorBudget(), now),
        new TokenBucket(PINGS_PER_SEC, PING_BURST, now), node.metrics());
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
    long expiry = a.expiresAt() > 0 ? closeAtExpiry(conn, a.expiresAt()) : -1;
    ws.closeHandler(v -> {
      vertx.cancelTimer(expiry);
      onClose(conn);
    });
    ws.exceptionHandler(err -> LOG.debug("connection {}: {}", id, err.toString()));
    DecoderFailureGuard.install(ws, bad -> onDecoderFailure(conn, bad));
    ControlFrameGuard.install(ws, new ControlFrameGuard.Listener() {
      @Override
      public void ping(ByteBuf payload) {
        onControlPing(conn, payload);
      }

      @Override
      public void pong() {
        onControlPong(conn);
      }

      @Override
      public boolean closedByServer() {
        return conn.closeSent();
      }
    });
    consolidateFlushes(ws);
    if (!conn.custom()) {
      conn.write(ServerFrames.WELCOME); // the chat's greeting
    }
    Member me = new Member(id, a.name(), node.nodeId(), a.query(), null);
    conn.then(() -> node.rooms().send(new Wire.Join(a.room(), me, conn.clientKey(), a.since())))
        .onFailure(err -> joinFailed(conn, err));
  }

  /** A private room's socket lives as long as its token: at {@code exp} it is closed with 1008. */
  private long closeAtExpiry(Connection conn, long expiresAt) {
    long ms = Math.max(1, expiresAt * 1000 - System.currentTimeMillis());
    return vertx.setTimer(ms, t -> {
      LOG.info("connection {}: its token expired, closing with 1008", conn.id());
      conn.closeWith(CloseCode.POLICY, "token expired");
    });
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
    // a room moving between nodes is expected (hibernation, wake-up, failover): the client reconnects
    LOG.atLevel(RoomFailure.moving(err) ? Level.INFO : Level.WARN).log("connection {}: join of room {} failed: {}",
        conn.id(), conn.room(), RoomFailure.describe(err));
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
      frame = conn.custom() ? protocol.decodeCustom(text) : protocol.decode(text);
    } catch (ProtocolException e) {
      refuse(conn, e.code(), e.getMessage(), e.id());
      return;
    }
    if (frame instanceof ClientFrame.Ping) {
      if (conn.pings.tryTake(System.nanoTime())) {
        conn.write(ServerFrames.PONG);
      } else {
        refuse(conn, ErrorCode.RATE_LIMITED, "too many pings: at most " + PINGS_PER_SEC + " per second", null);
      }
      return;
    }
    String id = frame instanceof ClientFrame.Chat chat ? chat.id()
        : frame instanceof ClientFrame.Custom custom ? custom.id() : null;
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
      if (frame instanceof ClientFrame.Chat || frame instanceof ClientFrame.Custom) {
        node.metrics().messageAcked(received);
      }
    }).onFailure(err -> {
      conn.write(errorFrame(conn, err, id));
      if (err instanceof ReplyException re && re.failureCode() == RoomFailure.NOT_MEMBER) {
        // removed from the room while this node was unreachable: the client reconnects and rejoins
        conn.closeWith(CloseCode.RESTARTING, "rejoin");
      }
    });
  }

  /** Answers a frame with ERROR; a client that runs out of its error budget is closed with 1008. */
  private void refuse(Connection conn, ErrorCode code, String message, String id) {
    node.metrics().errorSent(code);
    conn.write(ServerFrames.error(code, message, id));
    chargeError(conn, code.wire());
  }

  /**
   * Takes one token of the connection's error budget; when there is none, the connection is closed
   * with 1008 once the commands it sent before have answered.
   */
  private void chargeError(Connection conn, String what) {
    if (!conn.errors.tryTake(System.nanoTime())) {
      LOG.info("connection {}: error budget spent (last: {}), closing with 1008", conn.id(), what);
      node.metrics().rateLimitedClose();
      conn.closeAfterPending(CloseCode.POLICY, "too many errors");
    }
  }

  /**
   * A WebSocket ping from the client: answered with a pong within the connection's ping budget;
   * past it, unanswered and charged to the error budget (a flood of pings is closed with 1008).
   */
  private void onControlPing(Connection conn, ByteBuf payload) {
    long now = System.nanoTime();
    conn.seen(now);
    if (conn.closing()) {
      return;
    }
    if (conn.pings.tryTake(now)) {
      conn.writePong(payload);
    } else {
      chargeError(conn, "ping frames over " + PINGS_PER_SEC + " per second");
    }
  }

  /** A pong: the answer to the server's liveness ping, or unsolicited (charged to the same budget as pings). */
  private void onControlPong(Connection conn) {
    long now = System.nanoTime();
    boolean solicited = conn.awaitingPong();
    conn.seen(now);
    if (!solicited && !conn.closing() && !conn.pings.tryTake(now)) {
      chargeError(conn, "pong frames over " + PINGS_PER_SEC + " per second");
    }
  }

  /**
   * The room command of a client frame: a chat frame, checked by the chat protocol, goes to the
   * chat room's logic as its canonical JSON, as any frame of a room of a user's type goes to its own.
   */
  private static Wire.RoomCommand command(Connection conn, ClientFrame frame) {
    JsonObject json;
    String id = null;
    if (frame instanceof ClientFrame.Custom c) {
      json = c.json();
      id = c.id();
    } else if (frame instanceof ClientFrame.Chat c) {
      json = new JsonObject().put("type", "message").put("message", c.text());
      if (c.id() != null) {
        json.put("id", c.id());
      }
      id = c.id();
    } else if (frame instanceof ClientFrame.Rename r) {
      json = new JsonObject().put("type", "name").put("name", r.name());
    } else if (frame instanceof ClientFrame.Typing) {
      json = new JsonObject().put("type", "typing");
    } else if (frame instanceof ClientFrame.HistoryRequest h) {
      json = new JsonObject().put("type", "history").put("before", h.before()).put("limit", h.limit());
    } else {
      throw new IllegalArgumentException("no room command for " + frame);
    }
    return new Wire.Custom(conn.room(), conn.id(), conn.clientKey(), json, id);
  }

  private String errorFrame(Connection conn, Throwable err, String id) {
    if (err instanceof ReplyException re) {
      durablerooms.api.RoomException refusal = RoomFailure.refusal(re);
      if (refusal != null) {
        node.metrics().errorSent(ErrorCode.ROOM_ERROR);
        return ServerFrames.error(refusal.code(), refusal.getMessage(), id);
      }
      ErrorCode code = RoomFailure.clientError(re);
      if (code != null) {
        node.metrics().errorSent(code);
        return ServerFrames.error(code, re.getMessage(), id);
      }
    }
    LOG.info("connection {}: room {} unavailable: {}", conn.id(), conn.room(), RoomFailure.describe(err));
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
    Wire.Leave leave = new Wire.Leave(conn.room(), conn.id());
    conn.then(() -> node.rooms().send(leave)).onComplete(ar -> {
      conn.markGone(); // a stopping or recovering node waits for this first try, not for the room
      if (ar.failed()) {
        LOG.info("connection {}: leave of room {} not taken yet ({}); trying again until it is", conn.id(),
            conn.room(), RoomFailure.describe(ar.cause()));
        retryLeave(leave, 1);
      }
    });
  }

  /**
   * Sends a leave again until the room has it (after 0.25 s, doubling to every 5 s, while this
   * gateway runs): a close is a leave whatever this node's state, and a member whose leave the room
   * never got would stay listed for good, as after a pause of this node, whose commands are
   * refused until it has rejoined the cluster.
   */
  private void retryLeave(Wire.Leave leave, int attempt) {
    vertx.setTimer(Math.min(5000, 250L << Math.min(attempt - 1, 5)),
        t -> node.rooms().send(leave).onFailure(err -> retryLeave(leave, attempt + 1)));
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
