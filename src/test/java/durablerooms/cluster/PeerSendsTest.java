package durablerooms.cluster;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Answers and frames to a node that died as they were written are dropped; any other failure still surfaces. */
class PeerSendsTest {
  @Test
  void theDoubleCompletionOfAWriteToADeadNodeIsDroppedAndNothingElse() {
    AtomicBoolean ran = new AtomicBoolean();
    PeerSends.run(() -> {
      ran.set(true);
      throw new IllegalStateException(PeerSends.DOUBLE_COMPLETION);
    });
    assertTrue(ran.get());
    assertThrows(IllegalStateException.class, () -> PeerSends.run(() -> {
      throw new IllegalStateException("something else");
    }));
    assertThrows(IllegalArgumentException.class, () -> PeerSends.run(() -> {
      throw new IllegalArgumentException(PeerSends.DOUBLE_COMPLETION);
    }));
  }

  @Test
  void aDoubleCompletionThatReachesAContextInsteadOfTheSenderIsNoError() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    root.addAppender(seen);
    Vertx vertx = Vertx.vertx();
    try {
      vertx.exceptionHandler(PeerSends.UNHANDLED);
      throwOnContext(vertx, new IllegalStateException(PeerSends.DOUBLE_COMPLETION));
      throwOnContext(vertx, new IllegalStateException("something else"));
      List<String> errors = seen.list.stream().filter(e -> e.getLevel() == Level.ERROR)
          .map(e -> e.getThrowableProxy().getMessage()).toList();
      assertEquals(List.of("something else"), errors);
    } finally {
      root.detachAppender(seen);
      vertx.close().await();
    }
  }

  /** Throws {@code e} from a task on a context of {@code vertx}, and waits until the task has run. */
  private static void throwOnContext(Vertx vertx, RuntimeException e) throws Exception {
    CompletableFuture<Void> ran = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      vertx.setTimer(1, t -> ran.complete(null)); // after this task's exception is handled
      throw e;
    });
    ran.get(5, TimeUnit.SECONDS);
  }
}
