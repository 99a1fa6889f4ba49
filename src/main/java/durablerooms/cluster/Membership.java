package durablerooms.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The live nodes of the cluster (their Vert.x node ids), kept current from Hazelcast's membership
 * events so that the hot path reads a field; and who is the oldest member (the one that sweeps up
 * after a node died).
 */
public final class Membership implements MembershipListener {
  private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
  /** The member attribute in which vertx-hazelcast stores the Vert.x node id. */
  private static final String VERTX_NODE_ID = "__vertx.nodeId";

  private final HazelcastInstance hz;
  private final Context context;
  private final Consumer<String> onNodeLeft;
  private final Runnable onNodeJoined;
  private volatile Set<String> live;

  /**
   * {@code onNodeLeft} runs on {@code context} with the id of each node that left; {@code onNodeJoined}
   * runs on Hazelcast's event thread when a node joined.
   */
  public Membership(HazelcastInstance hz, Context context, Consumer<String> onNodeLeft, Runnable onNodeJoined) {
    this.hz = hz;
    this.context = context;
    this.onNodeLeft = onNodeLeft;
    this.onNodeJoined = onNodeJoined;
    hz.getCluster().addMembershipListener(this);
    refresh();
  }

  public Set<String> live() {
    return live;
  }

  /** Whether this node is the oldest member of the cluster. */
  public boolean oldest() {
    return hz.getCluster().getMembers().iterator().next().localMember();
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    refresh();
    LOG.info("node {} joined the cluster ({}); cluster of {}", event.getMember().getAttribute(VERTX_NODE_ID),
        event.getMember().getAddress(), live.size());
    onNodeJoined.run();
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    refresh();
    String node = event.getMember().getAttribute(VERTX_NODE_ID);
    LOG.info("node {} left the cluster ({}); cluster of {}", node, event.getMember().getAddress(), live.size());
    if (node != null) {
      context.runOnContext(v -> onNodeLeft.accept(node));
    }
  }

  private void refresh() {
    Set<String> ids = new HashSet<>();
    for (Member m : hz.getCluster().getMembers()) {
      String id = m.getAttribute(VERTX_NODE_ID);
      if (id != null) {
        ids.add(id);
      }
    }
    live = Set.copyOf(ids);
  }
}
