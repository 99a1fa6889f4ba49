package durablerooms.cluster;

import com.hazelcast.aggregation.Aggregator;
import durablerooms.state.Lease;

import java.util.Map;

/**
 * Counts the rooms whose lease is held (active on some node), on each member for its own
 * partitions: only a number crosses the network.
 */
public final class HeldLeases implements Aggregator<Map.Entry<String, Lease>, Long> {
  private static final long serialVersionUID = 1L;
  private long held;

  @Override
  public void accumulate(Map.Entry<String, Lease> entry) {
    if (entry.getValue() != null && entry.getValue().held()) {
      held++;
    }
  }

  @Override
  public void combine(Aggregator aggregator) {
    held += ((HeldLeases) aggregator).held;
  }

  @Override
  public Long aggregate() {
    return held;
  }
}
