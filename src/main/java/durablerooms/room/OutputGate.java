package durablerooms.room;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The output gate of one room, as in Durable Objects: what a handler sends goes out only once the
 * writes queued before it have committed, so no client ever sees an effect that a crash then
 * erases. Writes queued while one batch is in flight go as the next batch (group commit: one write
 * per batch, not per handler; under load the batches grow by themselves). Outputs are released in
 * the order they were queued. A failed write breaks the gate for good: nothing queued goes out, and
 * the room is dropped to activate afresh from what was committed. Used on one event loop only.
 *
 * @param <W> what one handler writes
 */
public final class OutputGate<W> {
  /** Writes a batch; the future completes once it is durable. */
  public interface Sink<W> {
    Future<Void> write(List<W> batch);
  }

  private record Pending<W>(long ticket, W write) {}

  private record Output(long ticket, Runnable release, Promise<Void> done) {}

  private final Sink<W> sink;
  private final BooleanSupplier mayRelease;
  private final Consumer<Throwable> onFailure;
  private final ArrayDeque<Pending<W>> writes = new ArrayDeque<>();
  private final ArrayDeque<Output> outbox = new ArrayDeque<>();
  private long issued;
  private long committed;
  private boolean writing;
  private boolean broken;
  /** Set while nothing may go out yet, whatever has committed (see {@link #holdUntil}). */
  private boolean held;
  private Promise<Void> drained;

  /**
   * @param mayRelease false when nothing may go out even though committed (the process was paused,
   *                   and the room may have moved meanwhile): the gate then breaks
   * @param onFailure  told once, when a write fails or release is refused
   */
  public OutputGate(Sink<W> sink, BooleanSupplier mayRelease, Consumer<Throwable> onFailure) {
    this.sink = sink;
    this.mayRelease = mayRelease;
    this.onFailure = onFailure;
  }

  /** Queues a write; outputs queued from now on wait for it. */
  public void write(W w) {
    if (broken) {
      return;
    }
    writes.addLast(new Pending<>(++issued, w));
    flush();
  }

  /** Queues an output, run once every write queued before it has committed; the future says when it ran. */
  public Future<Void> output(Runnable release) {
    if (broken) {
      return Future.failedFuture(RoomFailure.unavailable("room is moving"));
    }
    Promise<Void> done = Promise.promise();
    outbox.addLast(new Output(issued, release, done));
    releaseCommitted();
    return done.future();
  }

  /**
   * Lets nothing out until {@code confirmed} has completed (on this gate's loop), while writes go on;
   * if it fails, the gate breaks as if a write had. For what a room starts from that is confirmed
   * after it has started running.
   */
  public void holdUntil(Future<?> confirmed) {
    held = true;
    confirmed.onComplete(ar -> {
      held = false;
      if (ar.failed()) {
        fail(ar.cause());
      } else {
        releaseCommitted();
      }
    });
  }

  /** Whether a write failed: the gate takes nothing more. */
  public boolean broken() {
    return broken;
  }

  /**
   * Completes once no write is in flight or queued and every output has gone out, or the gate broke
   * and no write is in flight any more (a room that stops then knows no write of it is still
   * under way).
   */
  public Future<Void> drained() {
    if (isDrained()) {
      return Future.succeededFuture();
    }
    if (drained == null) {
      drained = Promise.promise();
    }
    return drained.future();
  }

  private void flush() {
    if (writing || writes.isEmpty() || broken) {
      return;
    }
    List<W> batch = new ArrayList<>(writes.size());
    long last = 0;
    while (!writes.isEmpty()) {
      Pending<W> p = writes.removeFirst();
      batch.add(p.write());
      last = p.ticket();
    }
    long ticket = last;
    writing = true;
    Future<Void> write;
    try {
      write = sink.write(batch);
    } catch (RuntimeException e) {
      write = Future.failedFuture(e);
    }
    write.onComplete(ar -> {
      writing = false;
      if (ar.failed()) {
        fail(ar.cause());
        signalDrained(); // the gate may have broken while this write was in flight
        return;
      }
      committed = ticket;
      releaseCommitted();
      flush();
    });
  }

  private void releaseCommitted() {
    if (broken || held) {
      return;
    }
    if (!outbox.isEmpty() && outbox.peekFirst().ticket() <= committed && !mayRelease.getAsBoolean()) {
      fail(new IllegalStateException("paused"));
      return;
    }
    while (!outbox.isEmpty() && outbox.peekFirst().ticket() <= committed) {
      Output o = outbox.removeFirst();
      o.release().run();
      o.done().complete();
    }
    signalDrained();
  }

  private boolean isDrained() {
    return !writing && (broken || (writes.isEmpty() && outbox.isEmpty() && !held));
  }

  private void signalDrained() {
    if (drained != null && isDrained()) {
      drained.tryComplete();
    }
  }

  private void fail(Throwable cause) {
    if (broken) {
      return;
    }
    broken = true;
    writes.clear();
    Output o;
    while ((o = outbox.pollFirst()) != null) {
      o.done().fail(RoomFailure.unavailable("room is moving"));
    }
    signalDrained();
    onFailure.accept(cause);
  }
}
