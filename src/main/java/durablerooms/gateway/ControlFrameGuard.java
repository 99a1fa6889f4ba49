package durablerooms.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.vertx.core.http.ServerWebSocket;

/**
 * Takes a client's ping and pong control frames off its socket before Vert.x sees them, ends the
 * closing handshakes the server began (see {@link Connection#closeWith}), and stops reading a
 * socket while its output is over the write-queue limit. Vert.x answers every ping with
 * a pong written past the gateway's check on queued bytes, so a client that sends pings and never
 * reads could make the node queue pongs until its heap was gone; here each ping goes to the
 * gateway, which answers within the connection's ping budget through {@link Connection}'s checked
 * write. A client whose output is stuck gets nothing read either: what it sends would only queue
 * more answers.
 */
final class ControlFrameGuard extends ChannelInboundHandlerAdapter {

  /** What the gateway does with a control frame (on the socket's event loop). */
  interface Listener {
    /** A ping with its payload (at most 125 bytes; valid during the call only). */
    void ping(ByteBuf payload);

    void pong();

    /** Whether the server sent its close frame: the client's is then the answer to it. */
    boolean closedByServer();
  }

  private final Listener listener;
  /** Whether this guard turned reading off (Vert.x's own back-pressure may also turn it off). */
  private boolean paused;

  private ControlFrameGuard(Listener listener) {
    this.listener = listener;
  }

  /** Puts a guard in front of the socket's Vert.x handler (a no-op for sockets Vert.x did not make). */
  static void install(ServerWebSocket ws, Listener listener) {
    VertxPipeline.addBeforeVertx(ws, "durable-rooms-control-frames", new ControlFrameGuard(listener));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof PingWebSocketFrame ping) {
      try {
        listener.ping(ping.content());
      } finally {
        ping.release();
      }
    } else if (msg instanceof PongWebSocketFrame pong) {
      pong.release();
      listener.pong();
    } else if (msg instanceof CloseWebSocketFrame close && listener.closedByServer()) {
      // the closing handshake the server began is complete: the server closes the TCP connection
      close.release();
      ctx.close();
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    boolean writable = ctx.channel().isWritable();
    if (!writable && ctx.channel().config().isAutoRead()) {
      paused = true;
      ctx.channel().config().setAutoRead(false);
    } else if (writable && paused) {
      paused = false;
      ctx.channel().config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }
}
