package durablerooms.support;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A scrape of GET /metrics, checked line by line against the Prometheus text exposition format
 * (0.0.4): each line is a HELP or TYPE comment, another comment, or a sample
 * {@code name{label="value",...} value [timestamp]}.
 */
public final class PrometheusText {
  private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
  private static final String VALUE = "(?:[-+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN)";
  private static final Pattern SAMPLE = Pattern.compile(
      "(" + NAME + ")(\\{(?:" + LABEL + "(?:," + LABEL + ")*,?)?\\})? (" + VALUE + ")(?: -?[0-9]+)?");
  private static final Pattern HELP = Pattern.compile("# HELP " + NAME + " .*|# HELP " + NAME);
  private static final Pattern TYPE = Pattern.compile("# TYPE " + NAME + " (?:counter|gauge|histogram|summary|untyped)");

  /** Sample values by series: {@code name} or {@code name{labels}} exactly as exposed. */
  public final Map<String, Double> samples = new HashMap<>();
  public final List<String> lines;

  private PrometheusText(List<String> lines) {
    this.lines = lines;
  }

  /** Parses a scrape; fails on the first line that is not in the exposition format. */
  public static PrometheusText parse(String body) {
    assertTrue(body.endsWith("\n"), "a scrape ends with a line feed");
    PrometheusText text = new PrometheusText(body.lines().toList());
    int n = 0;
    for (String line : text.lines) {
      n++;
      if (line.startsWith("# HELP") ? HELP.matcher(line).matches()
          : line.startsWith("# TYPE") ? TYPE.matcher(line).matches()
          : line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) {
        fail("line " + n + " is not in the Prometheus text format: " + line);
      }
      String series = m.group(1) + (m.group(2) == null ? "" : m.group(2));
      text.samples.put(series, Double.parseDouble(m.group(3).replace("Inf", "Infinity")));
    }
    return text;
  }

  /** The value of a series (0 when absent): {@code value("rooms_errors_total{code=\"bad_json\"}")}. */
  public double value(String series) {
    return samples.getOrDefault(series, 0.0);
  }

  public boolean has(String name) {
    return samples.keySet().stream().anyMatch(s -> s.equals(name) || s.startsWith(name + "{"));
  }
}
