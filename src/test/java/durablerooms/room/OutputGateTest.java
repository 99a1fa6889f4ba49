package durablerooms.room;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The output gate without Vert.x: writes complete when the test says, outputs wait for them. */
class OutputGateTest {
  /** A sink whose writes the test completes, recording each batch. */
  private static final class Sink implements OutputGate.Sink<String> {
    final List<List<String>> batches = new ArrayList<>();
    final List<Promise<Void>> pending = new ArrayList<>();

    @Override
    public Future<Void> write(List<String> batch) {
      batches.add(batch);
      Promise<Void> p = Promise.promise();
      pending.add(p);
      return p.future();
    }

    void complete(int i) {
      pending.get(i).complete();
    }
  }

  @Test
  void anOutputWaitsForTheWritesQueuedBeforeIt() {
    Sink sink = new Sink();
    OutputGate<String> gate = new OutputGate<>(sink, () -> true, e -> {});
    List<String> out = new ArrayList<>();
    gate.output(() -> out.add("before any write"));
    assertEquals(List.of("before any write"), out, "nothing to wait for: released at once");
    gate.write("w1");
    gate.output(() -> out.add("after w1"));
    assertEquals(1, out.size(), "held until w1 commits");
    sink.complete(0);
    assertEquals(List.of("before any write", "after w1"), out);
  }

  @Test
  void writesQueuedWhileOneIsInFlightGoAsOneBatchAndOutputsKeepTheirOrder() {
    Sink sink = new Sink();
    OutputGate<String> gate = new OutputGate<>(sink, () -> true, e -> {});
    List<String> out = new ArrayList<>();
    gate.write("w1");
    gate.output(() -> out.add("a"));
    gate.write("w2");
    gate.output(() -> out.add("b"));
    gate.write("w3");
    gate.output(() -> out.add("c"));
    gate.output(() -> out.add("d")); // no write of its own: waits for w3 all the same
    assertEquals(List.of(List.of("w1")), sink.batches, "one write in flight at a time");
    sink.complete(0);
    assertEquals(List.of("a"), out);
    assertEquals(List.of(List.of("w1"), List.of("w2", "w3")), sink.batches, "group commit");
    sink.complete(1);
    assertEquals(List.of("a", "b", "c", "d"), out);
  }

  @Test
  void aHoldKeepsEveryOutputInWhileTheWritesGoOn() {
    Sink sink = new Sink();
    OutputGate<String> gate = new OutputGate<>(sink, () -> true, e -> {});
    Promise<Void> confirmed = Promise.promise();
    gate.holdUntil(confirmed.future());
    List<String> out = new ArrayList<>();
    gate.output(() -> out.add("no write before it"));
    gate.write("w1");
    gate.output(() -> out.add("after w1"));
    assertEquals(List.of(List.of("w1")), sink.batches, "the write went at once");
    sink.complete(0);
    assertEquals(List.of(), out, "committed, but held");
    assertFalse(gate.drained().isComplete(), "not drained while held");
    confirmed.complete();
    assertEquals(List.of("no write before it", "after w1"), out, "released in order");
    assertTrue(gate.drained().isComplete());
  }

  @Test
  void aHoldThatFailsBreaksTheGate() {
    Sink sink = new Sink();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    OutputGate<String> gate = new OutputGate<>(sink, () -> true, failure::set);
    Promise<Void> confirmed = Promise.promise();
    gate.holdUntil(confirmed.future());
    List<String> out = new ArrayList<>();
    gate.write("w1");
    Future<Void> held = gate.output(() -> out.add("never"));
    sink.complete(0);
    confirmed.fail(new IllegalStateException("stale"));
    assertTrue(gate.broken());
    assertTrue(held.failed());
    assertEquals(List.of(), out);
    assertEquals("stale", failure.get().getMessage());
  }

  @Test
  void aFailedWriteBreaksTheGateAndNothingQueuedGoesOut() {
    Sink sink = new Sink();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    OutputGate<String> gate = new OutputGate<>(sink, () -> true, failure::set);
    List<String> out = new ArrayList<>();
    gate.write("w1");
    Future<Void> held = gate.output(() -> out.add("never"));
    sink.pending.get(0).fail(new IllegalStateException("fenced"));
    assertTrue(gate.broken());
    assertTrue(held.failed());
    assertEquals("fenced", failure.get().getMessage());
    assertTrue(out.isEmpty());
    assertTrue(gate.output(() -> out.add("later")).failed(), "a broken gate takes nothing more");
    gate.write("w2");
    assertEquals(1, sink.batches.size(), "and writes nothing more");
    assertTrue(gate.drained().succeeded());
  }

  @Test
  void aPausedProcessReleasesNothingEvenWhenCommitted() {
    Sink sink = new Sink();
    AtomicBoolean healthy = new AtomicBoolean(true);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    OutputGate<String> gate = new OutputGate<>(sink, healthy::get, failure::set);
    List<String> out = new ArrayList<>();
    gate.write("w1");
    gate.output(() -> out.add("x"));
    healthy.set(false);
    sink.complete(0);
    assertTrue(out.isEmpty());
    assertTrue(gate.broken());
    assertEquals("paused", failure.get().getMessage());
  }

  @Test
  void drainedCompletesOnceEverythingWentOut() {
    Sink sink = new Sink();
    OutputGate<String> gate = new OutputGate<>(sink, () -> true, e -> {});
    assertTrue(gate.drained().succeeded());
    gate.write("w1");
    gate.output(() -> {});
    Future<Void> drained = gate.drained();
    assertFalse(drained.isComplete());
    sink.complete(0);
    assertTrue(drained.succeeded());
  }
}
