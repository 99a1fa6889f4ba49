package durablerooms.support;

import durablerooms.protocol.Protocol;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A test client that behaves like a careful app: sends numbered messages with ids, resends what
 * is not ACKed (after an ERROR, a timeout or a reconnect), reconnects to the next node with
 * {@code since} and its client id, and records every message it holds, by seq.
 */
public final class ChatMember {
  public final String name;
  private final String room;
  private final List<InetSocketAddress> nodes;
  private final Vertx vertx;
  private final Context context;
  private final WebSocketClient client;
  private ClientWebSocket ws;
  private int portIndex;
  private boolean joined;
  private boolean stopped;
  private int sent;
  private int toSend;

  // everything below is read by the test thread through snapshot(); written on the context only
  private final TreeMap<Long, String> held = new TreeMap<>();
  private final Map<String, String> unacked = new LinkedHashMap<>();
  private final Map<String, Long> lastSentAt = new HashMap<>();
  private final Map<String, Long> acked = new HashMap<>();
  private final List<String> leaves = new ArrayList<>();
  private int duplicates;
  private int reconnects;
  private String myNode;

  public ChatMember(Vertx vertx, String name, String room, List<Integer> ports) {
    this(ports.stream().map(p -> InetSocketAddress.createUnresolved("127.0.0.1", p)).toList(), vertx, name, room);
  }

  /** A member that connects to nodes on addresses of their own (not 127.0.0.1), trying them in the given order. */
  public static ChatMember onNodes(Vertx vertx, String name, String room, List<InetSocketAddress> nodes) {
    return new ChatMember(nodes, vertx, name, room);
  }

  private ChatMember(List<InetSocketAddress> nodes, Vertx vertx, String name, String room) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.name = name;
    this.room = room;
    this.nodes = nodes;
    this.client = vertx.createWebSocketClient();
  }

  /** Connects and sends {@code count} messages, one every {@code periodMs}. */
  public void start(int count, long periodMs) {
    context.runOnContext(v -> {
      toSend = count;
      connect();
      vertx.setPeriodic(periodMs, id -> {
        if (stopped) {
          vertx.cancelTimer(id);
        } else if (joined && sent < toSend) {
          String msgId = name + "-" + sent++;
          unacked.put(msgId, msgId);
          send(msgId);
        }
      });
      vertx.setPeriodic(1000, id -> {
        if (stopped) {
          vertx.cancelTimer(id);
          return;
        }
        long now = System.currentTimeMillis();
        for (String msgId : List.copyOf(unacked.keySet())) {
          if (joined && now - lastSentAt.getOrDefault(msgId, 0L) > 3000) {
            send(msgId); // no ACK for a while: retry with the same id (deduplicated by the room)
          }
        }
      });
    });
  }

  private void send(String msgId) {
    lastSentAt.put(msgId, System.currentTimeMillis());
    ws.writeTextMessage(new JsonObject().put("type", "message").put("message", msgId).put("id", msgId).encode());
  }

  private void connect() {
    if (stopped) {
      return;
    }
    InetSocketAddress node = nodes.get(portIndex % nodes.size());
    String uri = "/chat/" + room + "?name=" + name + "&client=" + name
        + "&since=" + (held.isEmpty() ? 0 : held.lastKey()); // the whole retained history on the first join
    ClientWebSocket socket = client.webSocket();
    socket.textMessageHandler(t -> onFrame(new JsonObject(t)));
    socket.closeHandler(v -> reconnectSoon());
    ws = socket;
    socket.connect(new WebSocketConnectOptions().setHost(node.getHostString()).setPort(node.getPort()).setURI(uri).addSubProtocol(Protocol.SUBPROTOCOL))
        .onFailure(err -> reconnectSoon());
  }

  private void reconnectSoon() {
    if (stopped) {
      return;
    }
    joined = false;
    portIndex++;
    reconnects++;
    vertx.setTimer(300, t -> connect());
  }

  private void onFrame(JsonObject f) {
    switch (f.getString("type")) {
      case "PRESENCE":
        joined = true;
        myNode = f.getJsonObject("you").getString("node");
        for (String msgId : unacked.keySet()) {
          send(msgId); // resume: whatever was not ACKed is sent again with its id
        }
        break;
      case "HISTORY":
        f.getJsonArray("messages").forEach(m -> held.putIfAbsent(((JsonObject) m).getLong("seq"),
            ((JsonObject) m).getString("message")));
        break;
      case "MESSAGE":
        if (held.putIfAbsent(f.getLong("seq"), f.getString("message")) != null) {
          duplicates++;
        }
        break;
      case "ACK":
        acked.put(f.getString("id"), f.getLong("seq"));
        unacked.remove(f.getString("id"));
        held.putIfAbsent(f.getLong("seq"), f.getString("id"));
        break;
      case "LEAVE":
        leaves.add(f.getJsonObject("member").getString("id"));
        break;
      case "ERROR":
        if ("unavailable".equals(f.getString("code")) && f.getString("id") != null) {
          lastSentAt.put(f.getString("id"), 0L); // retried by the resend timer
        }
        break;
      default:
        break;
    }
  }

  /** A consistent copy of what this member holds, taken on its context. */
  public record Snapshot(TreeMap<Long, String> held, Map<String, Long> acked, int unacked, int sent, int duplicates,
                  List<String> leaves, int reconnects, String node) {}

  public Snapshot snapshot() {
    CompletableFuture<Snapshot> f = new CompletableFuture<>();
    context.runOnContext(v -> f.complete(new Snapshot(new TreeMap<>(held), new HashMap<>(acked), unacked.size(), sent,
        duplicates, new ArrayList<>(leaves), reconnects, myNode)));
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  public String room() {
    return room;
  }

  public void stop() {
    context.runOnContext(v -> {
      stopped = true;
      if (ws != null) {
        ws.close();
      }
      client.close();
    });
  }
}
