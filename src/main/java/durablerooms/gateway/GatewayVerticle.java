package durablerooms.gateway;

import durablerooms.cluster.Wire;
import durablerooms.protocol.ClientFrame;
import durablerooms.protocol.CloseCode;
import durablerooms.protocol.ErrorCode;
import durablerooms.protocol.Protocol;
import durablerooms.protocol.ProtocolException;
import durablerooms.protocol.ServerFrames;
import durablerooms.room.Member;
import durablerooms.room.RoomFailure;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * The edge (one instance per event loop): serves the page and the HTTP API, upgrades
 * {@code /chat/{room}} to WebSocket, decodes client frames once, answers pings itself and
 * forwards every other event to the room.
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  public static final int MAX_FRAME_BYTES = 64 * 1024;
  /**
   * The page's Content-Security-Policy: scripts, styles and images only from this node, no inline
   * code, no frames. Sockets and fetches may reach other nodes (ws:, http:) for the page's failover.
   */
  static final String PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      + "connect-src 'self' ws: wss: http: https:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private final GatewayContext node;
  private final Protocol protocol = new Protocol(4000);

  public GatewayVerticle(GatewayContext node) {
    this.node = node;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    HttpApi api = new HttpApi(node);
    router.get("/health").handler(api::health);
    router.get("/ready").handler(api::ready);
    // the page falls back to another node when its own is gone, and reads these from there
    router.getWithRegex("/api/(nodes|rooms)").handler(GatewayVerticle::allowAnyOrigin);
    router.get("/api/nodes").handler(api::nodes);
    router.get("/api/rooms").handler(api::rooms);
    router.get("/api/rooms/:room").handler(api::room);
    router.get("/api/rooms/:room/messages").handler(api::messages);
    router.get("/chat").handler(ctx -> upgrade(ctx, "lobby"));
    router.getWithRegex("/chat/(.*)").handler(ctx -> upgrade(ctx, ctx.pathParam("param0")));
    router.get("/*").handler(GatewayVerticle::pageHeaders);
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));

    HttpServerOptions options = new HttpServerOptions()
        .setHost(node.config().httpHost())
        .setPort(node.config().httpPort())
        // no permessage-deflate: its inflated size is unbounded (FACTS: known traps)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        .setMaxWebSocketFrameSize(MAX_FRAME_BYTES)
        .setMaxWebSocketMessageSize(MAX_FRAME_BYTES);
    return vertx.createHttpServer(options).requestHandler(router).listen();
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

  private void upgrade(RoutingContext ctx, String room) {
    HttpServerRequest req = ctx.request();
    if (!node.ready().getAsBoolean()) {
      ctx.response().setStatusCode(503).end("node is starting or stopping; try another\n");
      return;
    }
    if (!Protocol.validRoomName(room)) {
      ctx.response().setStatusCode(400).end("invalid room name: use 1 to 64 of A-Z a-z 0-9 _ . -\n");
      return;
    }
    String name;
    long since;
    String client = req.getParam("client");
    try {
      name = Protocol.displayName(req.getParam("name", "Anonymous"));
      since = sinceParam(req.getParam("since"));
    } catch (ProtocolException e) {
      ctx.response().setStatusCode(400).end(e.getMessage() + "\n");
      return;
    }
    if (client != null && (client.isEmpty() || client.length() > Protocol.MAX_ID_CHARS)) {
      ctx.response().setStatusCode(400).end("client must have 1 to " + Protocol.MAX_ID_CHARS + " characters\n");
      return;
    }
    if (!"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
      ctx.response().setStatusCode(400).end("expected a WebSocket upgrade\n");
      return;
    }
    req.toWebSocket()
        .onSuccess(ws -> open(ws, room, name, since, client))
        .onFailure(err -> LOG.debug("upgrade failed: {}", err.getMessage()));
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

  private void open(ServerWebSocket ws, String room, String name, long since, String client) {
    String id = newId();
    Connection conn = new Connection(id, room, client == null ? id : "c:" + client, ws);
    node.connections().add(conn);
    ws.writeTextMessage(ServerFrames.WELCOME);
    ws.textMessageHandler(text -> onText(conn, text));
    ws.binaryMessageHandler(b -> conn.write(
        ServerFrames.error(ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text", null)));
    ws.closeHandler(v -> onClose(conn));
    ws.exceptionHandler(err -> LOG.debug("connection {}: {}", id, err.getMessage()));
    Member me = new Member(id, name, node.nodeId());
    conn.then(() -> node.rooms().send(new Wire.Join(room, me, conn.clientKey(), since)))
        .onFailure(err -> {
          LOG.warn("connection {}: join of room {} failed: {}", id, room, err.getMessage());
          conn.write(ServerFrames.error(ErrorCode.UNAVAILABLE, "room unavailable, reconnect", null));
          ws.close(CloseCode.TRY_AGAIN_LATER.code(), "room unavailable");
        });
  }

  private void onText(Connection conn, String text) {
    ClientFrame frame;
    try {
      frame = protocol.decode(text);
    } catch (ProtocolException e) {
      conn.write(ServerFrames.error(e.code(), e.getMessage(), null));
      return;
    }
    if (frame instanceof ClientFrame.Ping) {
      conn.write(ServerFrames.PONG);
      return;
    }
    String id = frame instanceof ClientFrame.Chat chat ? chat.id() : null;
    Wire.RoomCommand cmd = command(conn, frame);
    conn.then(() -> node.rooms().send(cmd)).onFailure(err -> {
      conn.write(errorFrame(conn, err, id));
      if (err instanceof ReplyException re && re.failureCode() == RoomFailure.NOT_MEMBER) {
        // removed from the room while this node was unreachable: the client reconnects and rejoins
        conn.socket().close(CloseCode.RESTARTING.code(), "rejoin");
      }
    });
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

  private static String errorFrame(Connection conn, Throwable err, String id) {
    if (err instanceof ReplyException re) {
      ErrorCode code = RoomFailure.clientError(re);
      if (code != null) {
        return ServerFrames.error(code, re.getMessage(), id);
      }
    }
    LOG.info("connection {}: room {} unavailable: {}", conn.id(), conn.room(), err.getMessage());
    return ServerFrames.error(ErrorCode.UNAVAILABLE, "room unavailable, retry", id);
  }

  private void onClose(Connection conn) {
    node.connections().remove(conn);
    conn.then(() -> node.rooms().send(new Wire.Leave(conn.room(), conn.id())))
        .onFailure(err -> LOG.warn("connection {}: leave of room {} failed: {}", conn.id(), conn.room(),
            err.getMessage()))
        .onComplete(ar -> conn.markGone());
  }

  private static String newId() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
