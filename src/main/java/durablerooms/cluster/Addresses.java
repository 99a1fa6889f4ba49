package durablerooms.cluster;

/** Every event-bus address and Hazelcast structure name, built in one place. */
public final class Addresses {
  public static final String OWNERS_MAP = "rooms.owners";
  public static final String MEMBERS_MAP = "rooms.members";

  private Addresses() {}

  /** The node-level inbox of room commands; one consumer per node, registered at start. */
  public static String roomInbox(String nodeId) {
    return "rooms.node." + nodeId + ".rooms";
  }

  /** Where a node answers with its id, HTTP address and load (for /api/nodes). */
  public static String nodeInfo(String nodeId) {
    return "rooms.node." + nodeId + ".info";
  }

  /** The node-level delivery address: frames for the node's local sockets. */
  public static String delivery(String nodeId) {
    return "rooms.node." + nodeId + ".deliver";
  }

  /** Where a node holds the replicas of other nodes' rooms (see Replicas). */
  public static String replicas(String nodeId) {
    return "rooms.node." + nodeId + ".replicas";
  }

  /** Where a node answers for the written history of the rooms active on it (for other nodes' HTTP API). */
  public static String roomHistory(String nodeId) {
    return "rooms.node." + nodeId + ".history";
  }
}
