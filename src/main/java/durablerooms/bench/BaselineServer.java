package durablerooms.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The ceiling the benchmarks compare Durable Rooms with ({@code ./run.sh baseline [PORT] [EVENT_LOOPS]}):
 * the seed's chat protocol on bare Vert.x 5 core, bound to 127.0.0.1. Every member of
 * {@code /chat/{room}} gets the welcome frame, and each {@code {"message"}} it sends goes to the
 * room's other members as {@code {"type":"MESSAGE","user":"Anonymous","message"}}. No event bus, no
 * cluster, no persistence, no limits, no order: what the same machine can do with the same stack,
 * so that a figure of Durable Rooms is read as a ratio to this one, measured in the same hour.
 */
public final class BaselineServer extends VerticleBase {
  /** The port of the benchmarks' examples ({@code ./run.sh baseline} without arguments). */
  public static final int DEFAULT_PORT = 8090;

  static final String WELCOME = new JsonObject()
      .put("type", "SYSTEM").put("message", "Welcome to the chat room!").encode();
  private static final String PREFIX = "/chat/";

  /**
   * Room name to its sockets, shared by every instance: the instances' event loops take turns at
   * accepting connections, so the members of one room sit on different loops.
   */
  private final ConcurrentHashMap<String, Set<ServerWebSocket>> rooms;
  private final int port;
  private volatile HttpServer server;

  BaselineServer(ConcurrentHashMap<String, Set<ServerWebSocket>> rooms, int port) {
    this.rooms = rooms;
    this.port = port;
  }

  /**
   * Deploys {@code instances} verticles (one per event loop) listening on {@code port}; the future
   * holds the port they listen on. Port 0 (tests) takes a free one, for a single instance.
   */
  public static Future<Integer> deploy(Vertx vertx, int port, int instances) {
    ConcurrentHashMap<String, Set<ServerWebSocket>> rooms = new ConcurrentHashMap<>();
    List<BaselineServer> started = new CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> {
          BaselineServer s = new BaselineServer(rooms, port);
          started.add(s);
          return s;
        }, new DeploymentOptions().setInstances(instances))
        .map(id -> started.get(0).server.actualPort());
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .webSocketHandler(this::onSocket)
        .listen()
        .onSuccess(s -> server = s);
  }

  private void onSocket(ServerWebSocket ws) {
    String path = ws.path();
    if (path == null || !path.startsWith(PREFIX) || path.length() == PREFIX.length()) {
      ws.close((short) 1008, "expected /chat/{room}");
      return;
    }
    Set<ServerWebSocket> members = rooms.computeIfAbsent(path.substring(PREFIX.length()), r -> ConcurrentHashMap.newKeySet());
    members.add(ws);
    ws.writeTextMessage(WELCOME);
    ws.textMessageHandler(text -> relay(ws, members, text));
    // an empty room's set stays: removing it would race with a join on another event loop, and
    // the benchmarks need correct delivery, not the collection of empty rooms
    ws.closeHandler(v -> members.remove(ws));
  }

  private static void relay(ServerWebSocket from, Set<ServerWebSocket> members, String text) {
    String message;
    try {
      message = new JsonObject(text).getString("message");
    } catch (RuntimeException e) {
      return; // malformed input is ignored, as the seed does
    }
    String out = new JsonObject().put("type", "MESSAGE").put("user", "Anonymous").put("message", message).encode();
    for (ServerWebSocket peer : members) {
      if (peer != from) {
        peer.writeTextMessage(out);
      }
    }
  }

  /** {@code [PORT] [EVENT_LOOPS]}: port 8090 and one event loop per core unless given. */
  public static void main(String[] args) {
    int port;
    int loops;
    try {
      port = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_PORT;
      loops = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
      if (port < 1 || port > 65535 || loops < 1) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      System.err.println("usage: ./run.sh baseline [PORT (1-65535, default " + DEFAULT_PORT + ")] [EVENT_LOOPS (default: cores)]");
      System.exit(2);
      return;
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    deploy(vertx, port, loops)
        .onSuccess(bound -> System.out.println("baseline: ws://127.0.0.1:" + port + "/chat/{room}, " + loops
            + " event loops, pid " + ProcessHandle.current().pid()))
        .onFailure(err -> {
          System.err.println("baseline: could not start on 127.0.0.1:" + port + ": " + err.getMessage());
          System.exit(1);
        });
  }
}
