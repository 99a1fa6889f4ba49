package durablerooms.support;

import durablerooms.protocol.Protocol;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/** A real WebSocket client for tests: records every frame, and waits for frames with a timeout. */
public final class WsClient implements AutoCloseable {
  public static final long TIMEOUT_MS = 20_000; // generous: CI machines have 2 cores

  private final WebSocketClient client;
  public final WebSocket socket;
  private final LinkedBlockingQueue<JsonObject> frames;
  public final List<JsonObject> seen = new ArrayList<>();
  public volatile Short closeCode;

  private WsClient(WebSocketClient client, WebSocket socket, LinkedBlockingQueue<JsonObject> frames) {
    this.client = client;
    this.socket = socket;
    this.frames = frames;
  }

  public static WsClient connect(Vertx vertx, int port, String uri) {
    return connect(vertx, port, uri, true);
  }

  /** A client of the full protocol ({@code durable-rooms.v1}), or of the seed's (no subprotocol). */
  public static WsClient connect(Vertx vertx, int port, String uri, boolean fullProtocol) {
    return connect(vertx, new WebSocketClientOptions(), "127.0.0.1", port, uri, fullProtocol);
  }

  /** A client of the full protocol to a node that serves on {@code host} (not 127.0.0.1). */
  public static WsClient connect(Vertx vertx, String host, int port, String uri) {
    return connect(vertx, new WebSocketClientOptions(), host, port, uri, true);
  }

  /** A {@code wss://} client of the full protocol that trusts {@code trust} (and verifies the host name). */
  public static WsClient connectTls(Vertx vertx, PemTrustOptions trust, int port, String uri) {
    return connect(vertx, new WebSocketClientOptions().setSsl(true).setTrustOptions(trust), "127.0.0.1", port, uri, true);
  }

  /** {@link #connectTls}, then waits for the welcome and the PRESENCE: the client is then a member. */
  public static WsClient joinTls(Vertx vertx, PemTrustOptions trust, int port, String uri) {
    WsClient c = connectTls(vertx, trust, port, uri);
    c.next("SYSTEM");
    c.next("PRESENCE");
    return c;
  }

  private static WsClient connect(Vertx vertx, WebSocketClientOptions clientOptions, String host, int port, String uri,
                                  boolean fullProtocol) {
    WebSocketClient client = vertx.createWebSocketClient(clientOptions);
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(host).setPort(port).setURI(uri);
    if (fullProtocol) {
      options.addSubProtocol(Protocol.SUBPROTOCOL);
    }
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    ClientWebSocket ws = client.webSocket();
    // handlers before connecting: the welcome frame (or an error and a close) follows the upgrade at once
    ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
    Object lock = new Object();
    WsClient[] self = {null};
    Short[] earlyClose = {null};
    ws.closeHandler(v -> {
      synchronized (lock) {
        if (self[0] != null) {
          self[0].closeCode = ws.closeStatusCode();
        } else {
          earlyClose[0] = ws.closeStatusCode();
        }
      }
    });
    try {
      ws.connect(options).toCompletionStage().toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      client.close();
      throw new AssertionError("could not connect to " + uri + ": " + e, e);
    }
    WsClient c = new WsClient(client, ws, frames);
    synchronized (lock) {
      self[0] = c;
      c.closeCode = earlyClose[0];
    }
    return c;
  }

  /** Connects and waits for the welcome and the PRESENCE: the client is then a member. */
  public static WsClient join(Vertx vertx, int port, String uri) {
    WsClient c = connect(vertx, port, uri);
    c.next("SYSTEM");
    c.next("PRESENCE");
    return c;
  }

  /**
   * {@link #join}, as a browser does: frames of any size are taken (the client's own default is
   * 64 KiB a frame, which a node with ROOMS_MAX_FRAME_BYTES above it may send).
   */
  public static WsClient joinTakingLargeFrames(Vertx vertx, int port, String uri) {
    WsClient c = connect(vertx, new WebSocketClientOptions().setMaxFrameSize(16 * 1024 * 1024)
        .setMaxMessageSize(16 * 1024 * 1024), "127.0.0.1", port, uri, true);
    c.next("SYSTEM");
    c.next("PRESENCE");
    return c;
  }

  public void send(JsonObject frame) {
    socket.writeTextMessage(frame.encode());
  }

  public void sendText(String text) {
    socket.writeTextMessage(text);
  }

  public void say(String text) {
    send(new JsonObject().put("message", text));
  }

  public void say(String text, String id) {
    send(new JsonObject().put("type", "message").put("message", text).put("id", id));
  }

  /** The next frame; fails if it is not of {@code type}. */
  public JsonObject next(String type) {
    JsonObject f = poll(TIMEOUT_MS);
    assertNotNull(f, "no frame within " + TIMEOUT_MS + " ms, expected " + type);
    if (!type.equals(f.getString("type"))) {
      fail("expected " + type + " but got " + f.encode());
    }
    return f;
  }

  /** The next frame matching {@code p}, skipping others (e.g. presence changes). */
  public JsonObject nextMatching(Predicate<JsonObject> p, String what) {
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    while (true) {
      long left = deadline - System.currentTimeMillis();
      JsonObject f = left > 0 ? poll(left) : null;
      if (f == null) {
        fail("no " + what + " within " + TIMEOUT_MS + " ms; saw " + seen);
      }
      if (p.test(f)) {
        return f;
      }
    }
  }

  public JsonObject nextOfType(String type) {
    return nextMatching(f -> type.equals(f.getString("type")), type);
  }

  /** A frame within {@code ms}, or null. */
  public JsonObject poll(long ms) {
    try {
      JsonObject f = frames.poll(ms, TimeUnit.MILLISECONDS);
      if (f != null) {
        seen.add(f);
      }
      return f;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Round trip through the gateway: everything sent before has been read by the server. */
  public void ping() {
    send(new JsonObject().put("type", "ping"));
    nextOfType("PONG");
  }

  @Override
  public void close() {
    socket.close();
    client.close();
  }
}
