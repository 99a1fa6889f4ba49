package durablerooms.bench;

import java.util.Random;

/** Which messages each client sends in a step. */
interface Plan {
  /**
   * The client's schedule for a step that starts sending at {@code start} and stops at {@code end}
   * (nanos on the generator's clock); null if it sends nothing.
   */
  Schedule of(BenchClient c, long start, long end, double rate);

  /** Every member at {@code rate}, each with a random phase. */
  static Plan everyoneAtRate(Random random) {
    return (c, start, end, rate) -> {
      if (rate <= 0) {
        return null;
      }
      return Schedule.atRate(start, rate, (long) (random.nextDouble() * LoadGenerator.SEC / rate), end);
    };
  }
}
