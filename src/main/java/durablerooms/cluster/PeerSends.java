package durablerooms.cluster;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event-bus sends that may go to another node: answers to its requests, and frames published to
 * its gateways. When that node dies as the message is written, Vert.x 5.0's clustered event bus
 * completes the write's promise twice (OutboundConnection.writeMessage, once per registration a
 * publish reaches on the dead node, or after the connection failed) and throws "Promise already
 * completed" into the sender. The node is gone, so nothing it could receive is lost; but thrown on,
 * it would stop a broadcast before the nodes after the dead one. So it is dropped with a DEBUG line.
 */
public final class PeerSends {
  private static final Logger LOG = LoggerFactory.getLogger(PeerSends.class);
  static final String DOUBLE_COMPLETION = "Promise already completed";

  private PeerSends() {}

  public static void reply(Message<?> msg, Object body) {
    run(() -> msg.reply(body));
  }

  public static void fail(Message<?> msg, int code, String text) {
    run(() -> msg.fail(code, text));
  }

  /** Publishes {@code body} to {@code address} (a frame for a node's gateways; no lambda on this path, once per node and frame). */
  public static void publish(EventBus bus, String address, Object body) {
    try {
      bus.publish(address, body);
    } catch (IllegalStateException e) {
      dropped(e);
    }
  }

  /** Runs {@code send}, dropping Vert.x's double completion of a write to a node that died meanwhile. */
  public static void run(Runnable send) {
    try {
      send.run();
    } catch (IllegalStateException e) {
      dropped(e);
    }
  }

  /**
   * The node's handler of exceptions no code caught (Vertx.exceptionHandler). When the write
   * completes after the publish returned (a connection to a node that was still being set up, as a
   * node joined or died), the double completion reaches the context's task rather than the sender,
   * and Vert.x would log it as an ERROR: dropped as above. Anything else is logged as Vert.x does.
   */
  public static final Handler<Throwable> UNHANDLED = e -> {
    if (e instanceof IllegalStateException ise && DOUBLE_COMPLETION.equals(ise.getMessage())) {
      LOG.debug("a send to a node whose connection failed meanwhile was dropped");
    } else {
      LOG.error("Unhandled exception", e);
    }
  };

  private static void dropped(IllegalStateException e) {
    if (!DOUBLE_COMPLETION.equals(e.getMessage())) {
      throw e;
    }
    LOG.debug("a send to a node whose connection failed meanwhile was dropped");
  }
}
