package durablerooms.cluster;

import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Notices when this whole process was paused (SIGSTOP, a long GC, a suspended VM): during a pause
 * longer than the cluster's failure timeout the others may have taken its rooms over, so on
 * resume nothing may be ACKed or broadcast until the node has found its place in the cluster again.
 * A thread ticks every 100 ms; a tick that comes late is a pause. Rooms ask {@link #fresh()} before
 * releasing any output, which is false from the first instant after a pause, before this thread
 * has even run again.
 */
public final class PauseWatchdog {
  private static final long TICK_MS = 100;

  private final long pauseNanos;
  private final IntSupplier clusterSize;
  private final Runnable onPause;
  private volatile long lastTick = System.nanoTime();
  private volatile boolean suspect;
  private volatile int sizeBeforePause;
  private volatile long resumedAt;
  private final Thread thread;

  /**
   * @param pauseMs     a gap between ticks longer than this is a pause
   * @param clusterSize the number of nodes this node sees now
   * @param onPause     called (on the watchdog thread) when a pause is detected
   */
  public PauseWatchdog(long pauseMs, IntSupplier clusterSize, Runnable onPause) {
    this.pauseNanos = TimeUnit.MILLISECONDS.toNanos(pauseMs);
    this.clusterSize = clusterSize;
    this.onPause = onPause;
    this.sizeBeforePause = clusterSize.getAsInt();
    this.thread = new Thread(this::run, "durable-rooms-pause-watchdog");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  public void stop() {
    thread.interrupt();
  }

  /** True while no pause is suspected: outputs may be released. */
  public boolean fresh() {
    return !suspect && System.nanoTime() - lastTick < pauseNanos;
  }

  public boolean suspect() {
    return suspect;
  }

  /**
   * Whether a suspected node can serve again: after the failure timeout has passed since it
   * resumed, once it sees at least as many nodes as before the pause (it was merged back), or
   * was alone before, or sees others after {@code giveUpMs}.
   */
  public boolean mayRecover(long settleMs, long giveUpMs) {
    long since = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedAt);
    int size = clusterSize.getAsInt();
    return since >= settleMs && (size >= sizeBeforePause || sizeBeforePause <= 1 || (size >= 2 && since >= giveUpMs));
  }

  public void recovered() {
    suspect = false;
  }

  private void run() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        Thread.sleep(TICK_MS);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      if (now - lastTick > pauseNanos) {
        suspect = true; // before lastTick moves: a reader sees a stale tick or the suspicion
        resumedAt = now;
        lastTick = now;
        onPause.run();
      } else {
        lastTick = now;
        if (!suspect) {
          sizeBeforePause = clusterSize.getAsInt();
        }
      }
    }
  }
}
