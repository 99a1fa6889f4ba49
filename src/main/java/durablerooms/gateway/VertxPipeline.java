package durablerooms.gateway;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;

/** Puts the gateway's own Netty handlers in front of the one Vert.x reads a WebSocket's frames with. */
final class VertxPipeline {
  private VertxPipeline() {}

  /** Adds {@code handler} just before Vert.x's handler (a no-op for sockets Vert.x did not make). */
  static void addBeforeVertx(ServerWebSocket ws, String name, ChannelHandler handler) {
    if (ws instanceof WebSocketInternal internal) {
      ChannelHandlerContext vertxHandler = internal.channelHandlerContext();
      vertxHandler.pipeline().addBefore(vertxHandler.name(), name, handler);
    }
  }
}
