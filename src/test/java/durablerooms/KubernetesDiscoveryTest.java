package durablerooms;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.KubernetesConfig;
import durablerooms.config.ServerConfig;
import durablerooms.support.TestNodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ROOMS_CLUSTER_DISCOVERY=kubernetes as far as it runs without Kubernetes: the join that the
 * settings build, and two nodes that find each other by a DNS lookup of {@code localhost} (one
 * address, 127.0.0.1, as a headless service with one ready pod resolves), not by a member list.
 */
@Tag("cluster")
class KubernetesDiscoveryTest {
  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stopNodes() {
    nodes.forEach(TestNodes::stop);
  }

  @Test
  @DisplayName("kubernetes discovery is Hazelcast's DNS lookup of the service on the cluster port, with every other join off")
  void theSettingsBuildADnsLookupJoin() {
    Config hz = Node.hazelcastConfig(ServerConfig.of(Map.of("ROOMS_CLUSTER_DISCOVERY", "kubernetes",
        "ROOMS_KUBERNETES_SERVICE_DNS", "rooms-cluster.rooms.svc.cluster.local", "ROOMS_CLUSTER_PORT", "5701",
        "ROOMS_CLUSTER_HOST", "10.1.2.3")));
    JoinConfig join = hz.getNetworkConfig().getJoin();
    KubernetesConfig k8s = join.getKubernetesConfig();
    assertTrue(k8s.isEnabled());
    assertEquals("rooms-cluster.rooms.svc.cluster.local", k8s.getProperty("service-dns"));
    assertEquals("5701", k8s.getProperty("service-port"));
    assertFalse(join.getTcpIpConfig().isEnabled(), "no member list beside it: Hazelcast refuses two joins");
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    assertEquals("10.1.2.3", hz.getProperty("hazelcast.local.localAddress"), "the pod's IP, from ROOMS_CLUSTER_HOST");
  }

  @Test
  @DisplayName("the member list replaces the cluster file's, and the cluster file's join is kept without one")
  void theMemberListReplacesTheFilesOne() {
    JoinConfig listed = Node.hazelcastConfig(ServerConfig.of(Map.of("ROOMS_CLUSTER_MEMBERS", "10.0.0.5,10.0.0.6:5702")))
        .getNetworkConfig().getJoin();
    assertTrue(listed.getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.5", "10.0.0.6:5702"), listed.getTcpIpConfig().getMembers());
    assertFalse(listed.getKubernetesConfig().isEnabled());
    JoinConfig file = Node.hazelcastConfig(ServerConfig.of(Map.of())).getNetworkConfig().getJoin();
    assertEquals(List.of("127.0.0.1"), file.getTcpIpConfig().getMembers(), "conf/cluster.xml's");
  }

  @Test
  @DisplayName("two nodes with kubernetes discovery and a service name that resolves to 127.0.0.1 form one cluster")
  void twoNodesFindEachOtherByDns() {
    String cluster = "k8s-" + UUID.randomUUID();
    int clusterPort = TestNodes.clusterPort();
    Map<String, String> k8s = Map.of("ROOMS_CLUSTER_DISCOVERY", "kubernetes", "ROOMS_KUBERNETES_SERVICE_DNS", "localhost");
    for (int i = 0; i < 2; i++) {
      // the second takes the next port on 127.0.0.1 and finds the first at the looked-up address on the cluster port
      nodes.add(TestNodes.start(ServerConfig.of(TestNodes.settings(cluster, clusterPort, k8s))));
    }
    TestNodes.eventually(30_000, "two nodes in one cluster", () -> nodes.stream().allMatch(n -> n.clusterSize() == 2));
    assertTrue(nodes.get(0).hazelcast().getConfig().getNetworkConfig().getJoin().getKubernetesConfig().isEnabled());
  }
}
