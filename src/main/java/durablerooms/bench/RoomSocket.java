package durablerooms.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A WebSocket to one room of the Durable Rooms protocol, for the scenarios that talk to rooms
 * frame by frame (the room-type scenarios), not at a rate: it joins, sends frames with ids and
 * completes each one's future on its ACK (fails it on its ERROR), and hands every other frame to
 * the scenario. All on the socket's event loop.
 */
final class RoomSocket {
  /** A request the room neither ACKs nor refuses in this time fails: a scenario always ends. */
  private static final long ANSWER_TIMEOUT_MS = 30_000;
  private final ClientWebSocket ws;
  private final Promise<JsonObject> joined = Promise.promise();
  private final Map<String, Promise<Void>> pending = new HashMap<>();
  private final Consumer<JsonObject> frames;
  /** The socket's event loop: its handlers run there, and so does everything that touches {@link #pending}. */
  private final Context context;
  private int nextId;

  private RoomSocket(ClientWebSocket ws, Consumer<JsonObject> frames, Context context) {
    this.ws = ws;
    this.frames = frames;
    this.context = context;
  }

  /**
   * Connects to {@code path} on {@code node}, from a Vert.x thread (the socket stays on its event
   * loop); completes with the PRESENCE frame, once the member is joined.
   */
  static Future<RoomSocket> open(WebSocketClient client, URI node, String path, Consumer<JsonObject> frames) {
    Context context = io.vertx.core.Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("open a RoomSocket on a Vert.x thread");
    }
    RoomSocket s = new RoomSocket(client.webSocket(), frames, context);
    s.ws.textMessageHandler(text -> s.onFrame(new JsonObject(text)));
    s.ws.closeHandler(v -> s.onClose());
    s.ws.exceptionHandler(err -> s.joined.tryFail(err));
    return s.ws.connect(new WebSocketConnectOptions().setHost(node.getHost()).setPort(node.getPort()).setURI(path)
            .addSubProtocol(durablerooms.protocol.Protocol.SUBPROTOCOL))
        .compose(v -> s.joined.future())
        .map(presence -> s);
  }

  /** Sends {@code frame} with a fresh id; the future completes on its ACK, fails with the code of its ERROR. */
  Future<Void> request(JsonObject frame) {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      String id = "r" + nextId++;
      pending.put(id, p);
      ws.writeTextMessage(frame.copy().put("id", id).encode());
      context.owner().setTimer(ANSWER_TIMEOUT_MS, t -> {
        if (pending.remove(id) != null) {
          p.tryFail("no ACK or ERROR for " + id + " in " + ANSWER_TIMEOUT_MS + " ms");
        }
      });
    });
    return p.future();
  }

  Future<Void> close() {
    return ws.close();
  }

  private void onFrame(JsonObject f) {
    String type = f.getString("type", "");
    Promise<Void> answered = "ACK".equals(type) || "ERROR".equals(type) ? pending.remove(f.getString("id", "")) : null;
    if (answered != null) {
      if ("ACK".equals(type)) {
        answered.complete();
      } else {
        answered.fail(f.getString("code", "error") + ": " + f.getString("message", ""));
      }
    } else if ("PRESENCE".equals(type)) {
      joined.tryComplete(f);
    } else {
      frames.accept(f);
    }
  }

  private void onClose() {
    String why = "closed by the server (" + ws.closeStatusCode() + " " + ws.closeReason() + ")";
    joined.tryFail(why);
    pending.values().forEach(p -> p.tryFail(why));
    pending.clear();
  }
}
