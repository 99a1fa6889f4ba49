package durablerooms.bench;

import durablerooms.bench.BenchOptions.Protocol;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;

import java.io.PrintStream;
import java.net.URI;

/**
 * One member's WebSocket: joins its room, sends the messages its loop says are due, and counts
 * what it receives (deliveries and their latency, duplicates, order, ACKs, errors).
 */
final class BenchClient {
  final int index;
  final int room;
  final int member;
  final SendLoop loop;
  private final URI url;
  private final Protocol protocol;
  private final BenchOptions opts;
  private final WebSocketClient wsClient;
  private final Measurements m;
  private final PrintStream log;
  private final Tally tally;
  private final Payload.Marker marker = new Payload.Marker();
  private ClientWebSocket ws;
  private long connectStart;
  private boolean joinedRoom;
  volatile boolean closed;
  private long seq;

  BenchClient(int index, URI url, Protocol protocol, SendLoop loop, BenchOptions opts, WebSocketClient wsClient,
              Measurements m, PrintStream log) {
    this.index = index;
    this.room = index / opts.members();
    this.member = index % opts.members();
    this.url = url;
    this.protocol = protocol;
    this.loop = loop;
    this.opts = opts;
    this.wsClient = wsClient;
    this.m = m;
    this.log = log;
    this.tally = new Tally(opts.members());
  }

  void connect() {
    ws = wsClient.webSocket();
    // handlers before connect: the welcome frame may arrive with the upgrade response
    ws.handler(this::onData);
    ws.closeHandler(v -> onClose());
    ws.exceptionHandler(err -> m.countError("socket: " + err.getClass().getSimpleName()));
    connectStart = System.nanoTime();
    String uri = opts.roomPath(room) + "?name=b" + index + "&client=" + opts.roomPrefix() + "-" + index;
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort()).setURI(uri)
        .setSsl(BenchOptions.tls(url));
    if (protocol == Protocol.ROOMS) {
      // only then: a seed server (the baseline) names no subprotocol in its answer, and a client
      // that asked for one refuses such an upgrade
      options.addSubProtocol(durablerooms.protocol.Protocol.SUBPROTOCOL);
    }
    ws.connect(options)
        .onFailure(err -> {
          m.connectFailures.increment();
          closed = true;
          if (m.connectFailures.sum() <= 5) {
            log.println("  connect failed: " + err.getMessage());
          }
        });
  }

  private void onJoined() {
    if (joinedRoom) {
      return;
    }
    joinedRoom = true;
    m.connected((System.nanoTime() - connectStart) / 1000);
    m.joinedPerRoom.incrementAndGet(room);
    m.joined.increment();
  }

  private void onClose() {
    if (!closed) {
      closed = true;
      if (joinedRoom) {
        m.joinedPerRoom.decrementAndGet(room);
        m.countError("closed by server");
      } else {
        m.connectFailures.increment(); // refused or closed before the join completed
      }
    }
  }

  private void onData(Buffer b) {
    switch (Payload.kind(b)) {
      case MESSAGE:
        onMessage(b);
        break;
      case SYSTEM:
        if (protocol == Protocol.SEED) {
          onJoined();
        }
        break;
      case PRESENCE:
        onJoined();
        break;
      case ACK:
        onAck(b);
        break;
      case ERROR:
        m.countError(b.toJsonObject().getString("code", "error"));
        break;
      default:
        break;
    }
  }

  private void onMessage(Buffer b) {
    long now = System.nanoTime();
    if (!Payload.marker(b, marker)) {
      return; // not the generator's message (another client in the room)
    }
    int senderRoom = marker.sender / opts.members();
    int sender = marker.sender % opts.members();
    long intended = m.base + marker.micros * 1000;
    boolean measured = m.measured(marker.micros);
    if (marker.sender >= opts.clients() || senderRoom != room || sender == member) {
      if (measured) {
        m.misrouted.increment();
      }
      return;
    }
    Tally.Verdict v = tally.record(sender, marker.seq);
    if (!measured) {
      return;
    }
    if (v == Tally.Verdict.DUPLICATE) {
      m.duplicates.increment();
      return;
    }
    if (v == Tally.Verdict.OUT_OF_ORDER) {
      m.outOfOrder.increment();
    }
    m.delivered.increment();
    m.latency.recordValue(Math.min(Math.max(0, (now - intended) / 1000), Measurements.MAX_LATENCY_MICROS));
  }

  private void onAck(Buffer b) {
    long now = System.nanoTime();
    String id = b.toJsonObject().getString("id", "");
    int dash = id.indexOf('-');
    if (dash < 0) {
      return;
    }
    long micros = Long.parseLong(id.substring(dash + 1));
    long intended = m.base + micros * 1000;
    if (m.measured(micros)) {
      m.acks.recordValue(Math.min(Math.max(0, (now - intended) / 1000), Measurements.MAX_LATENCY_MICROS));
    }
  }

  void send(long intended) {
    if (!joinedRoom || closed) {
      return;
    }
    long s = seq++;
    long micros = (intended - m.base) / 1000;
    String text = Payload.text(index, s, micros, opts.size());
    String id = opts.ack() && protocol == Protocol.ROOMS ? s + "-" + micros : null;
    ws.writeTextMessage(Payload.frame(text, id));
    if (m.measured(micros)) {
      m.sent.increment();
      m.expected.add(m.joinedPerRoom.get(room) - 1);
    }
  }

  /** Closes the socket on its loop, unless it is closed already. */
  void close() {
    if (ws != null && !closed) {
      closed = true;
      loop.context.runOnContext(v -> ws.close());
    }
  }
}
