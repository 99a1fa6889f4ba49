package durablerooms.cluster;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Vert.x's ERROR for an event-bus connection that another node reset is dropped, and nothing else of its logger. */
class PeerResetFilterTest {

  @Test
  @DisplayName("logback.xml drops Vert.x's ERROR for a connection reset by its peer and keeps its other errors")
  void onlyThePeerResetIsDropped() {
    Logger target = (Logger) LoggerFactory.getLogger(PeerResetFilter.CONNECTION_LOGGER);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    target.addAppender(seen);
    try {
      // through Vert.x's own logging, as ConnectionBase logs (its message only, without the exception)
      io.vertx.core.internal.logging.Logger vertx =
          io.vertx.core.internal.logging.LoggerFactory.getLogger(PeerResetFilter.CONNECTION_LOGGER);
      vertx.error("recvAddress(..) failed with error(-104): Connection reset by peer");
      vertx.error("Connection reset");
      vertx.error("writevAddresses(..) failed with error(-32): Broken pipe");
      vertx.error("io.netty.handler.codec.DecoderException: something unexpected");
      assertEquals(List.of("io.netty.handler.codec.DecoderException: something unexpected"),
          seen.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
    } finally {
      target.detachAppender(seen);
    }
  }

  @Test
  @DisplayName("the same words from another logger, or below ERROR, are not the filter's business")
  void otherLoggersAndLevelsPass() {
    Logger other = (Logger) LoggerFactory.getLogger("durablerooms.cluster.Somewhere");
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    other.addAppender(seen);
    try {
      other.error("recvAddress(..) failed with error(-104): Connection reset by peer");
      assertEquals(1, seen.list.size());
    } finally {
      other.detachAppender(seen);
    }
  }
}
