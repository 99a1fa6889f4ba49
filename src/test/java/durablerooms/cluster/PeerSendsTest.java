package durablerooms.cluster;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Answers to a node that died as they were written are dropped; any other failure still surfaces. */
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
}
