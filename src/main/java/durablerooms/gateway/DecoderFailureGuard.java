package durablerooms.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.http.ServerWebSocket;

import java.util.function.Consumer;

/**
 * Catches the WebSocket decoder's failures (a frame over the size limit, a frame that breaks the
 * protocol) before Vert.x does. Vert.x would close the channel at once while the rest of the
 * client's frame is still arriving; closing with unread input makes the kernel send a reset,
 * which can destroy the close frame before the client reads it. Instead the gateway closes with
 * the matching code (1009, 1002) while the decoder, which stays failed, discards what follows.
 */
final class DecoderFailureGuard extends ChannelInboundHandlerAdapter {
  private final Consumer<CorruptedWebSocketFrameException> onFailure;

  private DecoderFailureGuard(Consumer<CorruptedWebSocketFrameException> onFailure) {
    this.onFailure = onFailure;
  }

  /** Puts a guard in front of the socket's Vert.x handler (a no-op for sockets Vert.x did not make). */
  static void install(ServerWebSocket ws, Consumer<CorruptedWebSocketFrameException> onFailure) {
    VertxPipeline.addBeforeVertx(ws, "durable-rooms-decoder-guard", new DecoderFailureGuard(onFailure));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException bad) {
      onFailure.accept(bad);
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }
}
