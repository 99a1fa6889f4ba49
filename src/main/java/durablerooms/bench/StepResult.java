package durablerooms.bench;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.Map;

/** The figures of one measured step (one rate of a ladder, or a whole run). */
public record StepResult(
    String label,
    double rate,
    double seconds,
    long sent,
    long expected,
    long delivered,
    long duplicates,
    long outOfOrder,
    long misrouted,
    long errors,
    Map<String, Long> errorCodes,
    Histogram latencyMicros,
    Histogram ackMicros,
    double serverCpuPct,
    double serverCpuSec,
    double generatorCpuPct,
    double load1) {

  public long lost() {
    return Math.max(0, expected - delivered);
  }

  public double deliveredPerSec() {
    return seconds > 0 ? delivered / seconds : 0;
  }

  public double ms(double percentile) {
    return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getValueAtPercentile(percentile) / 1000.0;
  }

  public double maxMs() {
    return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getMaxValue() / 1000.0;
  }

  /** No loss, no duplicate, no error, nothing misrouted, and the p99 under the bound. */
  public boolean passes(double maxP99Ms) {
    return expected > 0 && lost() == 0 && duplicates == 0 && misrouted == 0 && errors == 0 && ms(99) < maxP99Ms;
  }

  public JsonObject json() {
    JsonObject o = new JsonObject()
        .put("label", label)
        .put("rate", rate)
        .put("seconds", round(seconds))
        .put("sent", sent)
        .put("expected", expected)
        .put("delivered", delivered)
        .put("lost", lost())
        .put("duplicates", duplicates)
        .put("outOfOrder", outOfOrder)
        .put("misrouted", misrouted)
        .put("errors", errors)
        .put("deliveredPerSec", Math.round(deliveredPerSec()))
        .put("p50Ms", round(ms(50)))
        .put("p90Ms", round(ms(90)))
        .put("p99Ms", round(ms(99)))
        .put("p999Ms", round(ms(99.9)))
        .put("maxMs", round(maxMs()));
    if (ackMicros.getTotalCount() > 0) {
      o.put("acks", ackMicros.getTotalCount())
          .put("ackP50Ms", round(ackMicros.getValueAtPercentile(50) / 1000.0))
          .put("ackP99Ms", round(ackMicros.getValueAtPercentile(99) / 1000.0));
    }
    if (!errorCodes.isEmpty()) {
      o.put("errorCodes", new JsonObject(Map.copyOf(errorCodes)));
    }
    if (serverCpuPct >= 0) {
      o.put("serverCpuPct", round(serverCpuPct));
      if (delivered > 0) {
        o.put("serverCpuUsPerDelivery", round(serverCpuSec * 1e6 / delivered));
      }
    }
    return o.put("generatorCpuPct", round(generatorCpuPct)).put("load1", load1);
  }

  public String human() {
    return String.format(Locale.ROOT,
        "%s: rate %s/s per member, %.1f s: sent %d, expected %d, delivered %d (%,.0f/s), lost %d, dup %d, "
            + "out-of-order %d, misrouted %d, errors %d%s%n"
            + "  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%s%n"
            + "  cpu: server %s, generator %.0f%%; load1 %.2f, cpu pressure %s",
        label, fmt(rate), seconds, sent, expected, delivered, deliveredPerSec(), lost(), duplicates,
        outOfOrder, misrouted, errors, errorCodes.isEmpty() ? "" : " " + errorCodes,
        ms(50), ms(90), ms(99), ms(99.9), maxMs(),
        ackMicros.getTotalCount() == 0 ? "" : String.format(Locale.ROOT, "%n  ack ms: p50 %.2f  p99 %.2f",
            ackMicros.getValueAtPercentile(50) / 1000.0, ackMicros.getValueAtPercentile(99) / 1000.0),
        serverCpuPct < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f%% (%.2f us per delivery)", serverCpuPct,
            delivered == 0 ? 0 : serverCpuSec * 1e6 / delivered),
        generatorCpuPct, load1, ProcStats.cpuPressure());
  }

  static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }

  static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }
}
