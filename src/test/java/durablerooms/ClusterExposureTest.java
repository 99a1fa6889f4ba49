package durablerooms;

import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import durablerooms.cluster.HeldLeases;
import durablerooms.cluster.Processors;
import durablerooms.config.ServerConfig;
import durablerooms.state.Lease;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.support.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a node with default settings exposes to the network through Hazelcast, and what it deserializes. */
class ClusterExposureTest {
  private static Node node;

  @BeforeAll
  static void startNode() {
    node = TestNodes.start(TestNodes.config(Map.of()));
  }

  @AfterAll
  static void stopNode() {
    TestNodes.stop(node);
  }

  /**
   * An address of this machine other than 127.0.0.1: a non-loopback one if there is any, else
   * 127.0.0.2 (on Linux all of 127/8 reaches this machine, but a socket bound to 127.0.0.1 alone
   * refuses it, while a wildcard bind accepts it).
   */
  private static InetAddress otherLocalAddress() throws IOException {
    for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
      if (!nif.isUp()) {
        continue;
      }
      for (InetAddress a : nif.inetAddresses().toList()) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return a;
        }
      }
    }
    return InetAddress.getByName("127.0.0.2");
  }

  private static boolean connects(InetAddress address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 2000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  @Test
  @DisplayName("the Hazelcast port accepts connections on the configured 127.0.0.1 only, not on the machine's other addresses")
  void hazelcastListensOnTheConfiguredInterfaceOnly() throws Exception {
    int port = node.hazelcast().getCluster().getLocalMember().getAddress().getPort();
    assertTrue(connects(InetAddress.getByName("127.0.0.1"), port), "the configured interface");
    InetAddress other = otherLocalAddress();
    assertFalse(connects(other, port), "Hazelcast port " + port + " reachable on " + other.getHostAddress());
  }

  private static com.hazelcast.config.Config clusterFile(Path dir, String properties) throws IOException {
    Path file = dir.resolve("cluster.xml");
    Files.writeString(file, "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\"><properties>" + properties
        + "</properties></hazelcast>");
    return Node.hazelcastConfig(ServerConfig.of(Map.of("ROOMS_CLUSTER_CONFIG", file.toString())));
  }

  @Test
  @DisplayName("a cluster file of the user's that does not choose gets the bind to its interface and the filter; one that opts out keeps its choice")
  void ownClusterFile(@TempDir Path dir) throws IOException {
    com.hazelcast.config.Config silent = clusterFile(dir, "");
    assertEquals("false", silent.getProperty("hazelcast.socket.bind.any"));
    assertNotNull(silent.getSerializationConfig().getJavaSerializationFilterConfig());
    com.hazelcast.config.Config optedOut = clusterFile(dir,
        "<property name=\"hazelcast.socket.bind.any\">true</property>");
    assertEquals("true", optedOut.getProperty("hazelcast.socket.bind.any"));
  }

  @Test
  @DisplayName("Hazelcast deserializes the rooms' own records and the JDK types they hold, and refuses any other class")
  void hazelcastDeserializesOnlyWhitelistedClasses() throws Exception {
    HazelcastInstance hz = node.hazelcast();
    JavaSerializationFilterConfig filter = hz.getConfig().getSerializationConfig().getJavaSerializationFilterConfig();
    assertNotNull(filter, "a Java deserialization filter is configured");
    assertTrue(filter.isDefaultsDisabled(), "not Hazelcast's default whitelist (every java* class)");

    SerializationService serialization = ((SerializationServiceSupport) hz).getSerializationService();
    Member ann = new Member("m1", "ann", "node-1");
    LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    members.put(ann.id(), ann);
    List<Object> stored = List.of(
        new Lease("node-1", 1, false, "claim", false),
        new MemberSet(1, members),
        new ArrayList<>(List.of(ann)),
        new Processors.Claim(new Lease("node-1", 2, false, "claim", true), true),
        new Processors.ClaimLease("node-1", Set.copyOf(Set.of("node-1", "node-2", "node-3")), "claim"),
        new Processors.ClaimLease("node-1", Set.copyOf(Set.of("node-1")), "claim"),
        new Processors.ChangeMembers(1, List.of(new Processors.MemberChange(ann, false))),
        new Processors.ChangeMembers(1, new ArrayList<>(List.of(new Processors.MemberChange(ann, false),
            new Processors.MemberChange(ann, true)))),
        new Processors.ActivateMembers(1),
        new HeldLeases(),
        new IllegalStateException("a failure on another member travels back to the caller"));
    for (Object o : stored) {
      Object back = serialization.toObject(serialization.toData(o));
      assertEquals(o.getClass(), back.getClass(), o.getClass().getName());
    }
    assertThrows(RuntimeException.class, () -> serialization.toObject(serialization.toData(new URL("http://example.invalid/"))),
        "a class outside the whitelist (java.net.URL: a DNS-lookup gadget)");
  }
}
