package durablerooms.bench;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the clients of one run count, from every event loop of the generator: their connects, and
 * the messages of the current step's measured window (sent, expected, delivered, lost, latency).
 */
final class Measurements {
  static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(10);

  /** The origin of the generator's clock: a message carries its intended send time in micros since then. */
  final long base = System.nanoTime();
  /** Members joined in each room: a message sent there is expected by all but its sender. */
  final AtomicIntegerArray joinedPerRoom;

  // connection phase
  final LongAdder joined = new LongAdder();
  final LongAdder connectFailures = new LongAdder();
  private final Histogram connectMicros = new Histogram(MAX_LATENCY_MICROS, 3);

  // the measured window of the current step, in nanos on the generator's clock; receivers count
  // only messages whose intended send time lies in it
  // (in micros since base, the resolution a message carries, so sender and receiver agree at the edges)
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MIN_VALUE;
  final LongAdder issued = new LongAdder();
  final LongAdder sent = new LongAdder();
  final LongAdder expected = new LongAdder();
  final LongAdder delivered = new LongAdder();
  final LongAdder duplicates = new LongAdder();
  final LongAdder outOfOrder = new LongAdder();
  final LongAdder misrouted = new LongAdder();
  final LongAdder errors = new LongAdder();
  private final Map<String, LongAdder> errorCodes = new ConcurrentHashMap<>();
  final Recorder latency = new Recorder(MAX_LATENCY_MICROS, 3);
  final Recorder acks = new Recorder(MAX_LATENCY_MICROS, 3);

  Measurements(int rooms) {
    joinedPerRoom = new AtomicIntegerArray(rooms);
  }

  /** Clears the step's counts before a step. */
  void reset() {
    windowStart = Long.MAX_VALUE;
    windowEnd = Long.MIN_VALUE;
    for (LongAdder a : List.of(issued, sent, expected, delivered, duplicates, outOfOrder, misrouted, errors)) {
      a.reset();
    }
    errorCodes.clear();
    latency.reset();
    acks.reset();
  }

  /** Measures the messages intended from {@code start} to before {@code end} (nanos on the generator's clock). */
  void window(long start, long end) {
    windowStart = (start - base) / 1000;
    windowEnd = (end - base) / 1000;
  }

  /** Whether a message intended at {@code micros} (since base) lies in the measured window. */
  boolean measured(long micros) {
    return micros >= windowStart && micros < windowEnd;
  }

  void countError(String code) {
    errors.increment();
    errorCodes.computeIfAbsent(code, k -> new LongAdder()).increment();
  }

  /** The step's errors by code, in the codes' order. */
  Map<String, Long> errorCodes() {
    Map<String, Long> codes = new TreeMap<>();
    errorCodes.forEach((k, v) -> codes.put(k, v.sum()));
    return codes;
  }

  /** A client joined its room {@code micros} after it began to connect. */
  void connected(long micros) {
    synchronized (connectMicros) {
      connectMicros.recordValue(Math.min(micros, MAX_LATENCY_MICROS));
    }
  }

  Histogram connectHist() {
    synchronized (connectMicros) {
      return connectMicros.copy();
    }
  }

  double connectMs(double p) {
    Histogram h = connectHist();
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p) / 1000.0;
  }

  /** {@code o} with the connection phase's figures. */
  JsonObject withConnect(JsonObject o) {
    return o.put("connections", joined.sum()).put("connectFailures", connectFailures.sum())
        .put("connectP50Ms", StepResult.round(connectMs(50))).put("connectP99Ms", StepResult.round(connectMs(99)));
  }
}
