package durablerooms.bench;

import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

import static durablerooms.bench.LoadGenerator.SEC;
import static durablerooms.bench.LoadGenerator.pause;
import static durablerooms.bench.Measurements.MAX_LATENCY_MICROS;

/**
 * One measured step: the fleet sends by a plan through a warm-up and the measured window, then
 * waits for late deliveries (--drain), with a progress line each second; the servers' CPU (--pid)
 * and the generator's are sampled over the window.
 */
final class StepRunner {
  private final BenchOptions opts;
  private final PrintStream log;
  private final Fleet fleet;
  private final Measurements m;
  private final Histogram scratch = new Histogram(MAX_LATENCY_MICROS, 3);

  StepRunner(BenchOptions opts, PrintStream log, Fleet fleet) {
    this.opts = opts;
    this.log = log;
    this.fleet = fleet;
    this.m = fleet.measurements();
  }

  StepResult run(String label, double rate, double warmupSec, double durationSec, Plan plan) {
    m.reset();
    long start = System.nanoTime() + SEC / 5;
    long mStart = start + Math.round(warmupSec * SEC);
    long mEnd = mStart + Math.max(1, Math.round(durationSec * SEC));
    m.window(mStart, mEnd);
    long planned = fleet.plan(plan, start, mEnd, rate);
    // CPU is sampled from the start of the measured window (after the warm-up)
    LockSupport.parkNanos(Math.max(0, mStart - System.nanoTime()));
    long cpu0 = ProcStats.serverCpuNanos(opts.pids());
    long gen0 = ProcStats.generatorCpuNanos();
    Histogram hist = new Histogram(MAX_LATENCY_MICROS, 3);
    Histogram ackHist = new Histogram(MAX_LATENCY_MICROS, 3);
    long lastDelivered = 0;
    long lastTick = System.nanoTime();
    long drainUntil = mEnd + Math.round(opts.drainSec() * SEC);
    while (true) {
      pause(1.0);
      long now = System.nanoTime();
      collect(hist, ackHist);
      long d = m.delivered.sum();
      log.printf(Locale.ROOT, "  [%s %s/s] %s conns %d/%d  sent %d  delivered/s %,.0f  p99 %.2f ms  lost-so-far %d  "
              + "errors %d%n", label, StepResult.fmt(rate),
          now < mStart ? "warmup" : now < mEnd ? String.format(Locale.ROOT, "%4.0fs", (now - mStart) / 1e9) : "drain",
          m.joined.sum() - fleet.closedCount(), fleet.size(), m.sent.sum(),
          (d - lastDelivered) * 1e9 / (now - lastTick),
          hist.getTotalCount() == 0 ? 0 : hist.getValueAtPercentile(99) / 1000.0,
          now < mEnd ? 0 : Math.max(0, m.expected.sum() - d), m.errors.sum());
      lastDelivered = d;
      lastTick = now;
      boolean allSent = m.issued.sum() >= planned;
      if (now >= mEnd && allSent && m.delivered.sum() >= m.expected.sum()) {
        break;
      }
      if (now >= drainUntil) {
        break;
      }
    }
    fleet.stopSending();
    collect(hist, ackHist);
    double seconds = (mEnd - mStart) / 1e9;
    long cpu1 = ProcStats.serverCpuNanos(opts.pids());
    double serverCpu = cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) * 100.0 / (System.nanoTime() - mStart + 1);
    double genCpu = (ProcStats.generatorCpuNanos() - gen0) * 100.0 / (System.nanoTime() - mStart + 1);
    return new StepResult(label, rate, seconds, m.sent.sum(), m.expected.sum(), m.delivered.sum(),
        m.duplicates.sum(), m.outOfOrder.sum(), m.misrouted.sum(), m.errors.sum(), m.errorCodes(), hist, ackHist,
        serverCpu, cpu0 < 0 || cpu1 < 0 ? -1 : (cpu1 - cpu0) / 1e9, genCpu, ProcStats.load1());
  }

  /** Adds what the recorders took since the last call to the step's histograms. */
  private void collect(Histogram hist, Histogram ackHist) {
    m.latency.getIntervalHistogramInto(scratch);
    hist.add(scratch);
    m.acks.getIntervalHistogramInto(scratch);
    ackHist.add(scratch);
  }
}
