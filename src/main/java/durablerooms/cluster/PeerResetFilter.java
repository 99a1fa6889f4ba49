package durablerooms.cluster;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops the ERROR line Vert.x logs when another node resets an event-bus TCP connection, as a
 * kill -9 of that node does ("recvAddress(..) failed with error(-104): Connection reset by peer",
 * or "Broken pipe" on a write); every other line of that logger stays an ERROR.
 *
 * <p>Vert.x's ConnectionBase logs at ERROR any failure of a connection that has no exception
 * handler, and the clustered event bus sets none on its connections, in or out (Vert.x 5.0.7,
 * ClusteredEventBus.start and connect). The gateway's connections are not concerned: Vert.x's HTTP
 * server gives its connections a handler, and each WebSocket has one. A reset says only that the
 * other end went away: a node that died is reported by Membership ("left the cluster"), the commands
 * waiting on it are sent again, and a connection that breaks between live nodes is opened again by
 * the next message (Vert.x warns "No pong from server" for one that stops answering).
 */
public final class PeerResetFilter extends TurboFilter {
  static final String CONNECTION_LOGGER = "io.vertx.core.net.impl.ConnectionBase";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    // every log call of the process comes here, enabled or not: the level test first
    if (level != Level.ERROR || format == null || !CONNECTION_LOGGER.equals(logger.getName())) {
      return FilterReply.NEUTRAL;
    }
    return peerWentAway(format) ? FilterReply.DENY : FilterReply.NEUTRAL;
  }

  /** The errno texts of a connection the other end closed abruptly (epoll transport, and Java NIO's). */
  static boolean peerWentAway(String message) {
    return message.endsWith("Connection reset by peer") || message.equals("Connection reset")
        || message.endsWith("Broken pipe");
  }
}
