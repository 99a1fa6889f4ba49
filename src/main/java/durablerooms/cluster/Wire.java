package durablerooms.cluster;

import durablerooms.state.EventSlice;
import durablerooms.state.Member;

import java.util.List;

/** The typed records that travel on the event bus between gateways and rooms (one codec: WireCodec). */
public sealed interface Wire {

  /** An event for one room, sent by a gateway to the node that hosts the room. */
  sealed interface RoomCommand extends Wire {
    String room();
  }

  /** A connection joins; {@code since} is the last seq it has, or -1 for none. */
  record Join(String room, Member member, String clientKey, long since) implements RoomCommand {}

  record Leave(String room, String connId) implements RoomCommand {}


  /**
   * A frame for a room of a user's type: the client's JSON object, decoded once by the gateway and
   * handed to the room's logic as it is on this node (encoded only to cross to another), and its
   * {@code id} (null: no ACK, no dedupe). The gateway does not touch the object once sent.
   */
  record Custom(String room, String connId, String clientKey, io.vertx.core.json.JsonObject message, String id)
      implements RoomCommand {}

  /** An alarm of the room is due: the room wakes (if asleep) and runs what is due (sent by the node that scans for due alarms). */
  record Wake(String room) implements RoomCommand {}

  /**
   * A call into a room from outside (HTTP): the body as JSON text, and the caller's idempotency key
   * (null: none), with which the call runs once; the reply is the handler's answer as JSON text.
   */
  record Call(String room, String json, String id) implements RoomCommand {
    public Call(String room, String json) {
      this(room, json, null);
    }
  }



  /**
   * Removes the members whose node has left the cluster: those of {@code node} (null: none named),
   * and those of any node the room's host no longer lists. The node that sweeps after a death names
   * the dead node, since its purge may reach the room before the room's host has seen the node leave.
   */
  record Purge(String room, String node) implements RoomCommand {
    /** A purge against the host's view of the cluster alone. */
    public Purge(String room) {
      this(room, null);
    }
  }


  /**
   * One encoded frame for the local sockets of a room on one node: to {@code target} alone when
   * set, else to every admitted member but {@code exclude}. {@code kind} says how the gateway
   * tracks it: ADMIT (the PRESENCE; the target receives broadcasts from then on, {@code seq} is
   * the room's seq), MESSAGE (a chat message with {@code seq}: never delivered twice to a socket),
   * ACK (to a sender; its {@code seq} counts as seen), CLOSE (closes the target: {@code frame} is
   * the reason, {@code seq} the close code), PLAIN (anything else).
   */
  record Delivery(String room, String target, String exclude, String frame, byte kind, long seq) implements Wire {
    public static final byte PLAIN = 0, ADMIT = 1, MESSAGE = 2, ACK = 3, CLOSE = 4;
  }

  /**
   * Commits of several rooms for their replicas on one node (see Replicas): for each room, the
   * writing activation's epoch and its commits. The reply is a {@link Fenced}.
   */
  record Replicate(List<ReplicaWrite> writes) implements Wire {}

  /**
   * One room's write to its replica: its commits ({@code changes}) with the number of the last of
   * its commits that the store has ({@code stored}: the replica forgets those).
   */
  record ReplicaWrite(String room, long epoch, List<HeldChange> changes, long stored) {}

  /** A commit of a room, as a replica holds it: its activation's epoch, its number, its change as JSON text. */
  record HeldChange(long epoch, long n, String change) {}

  /** The rooms of a {@link Replicate} whose replica refused the write: a newer activation exists. */
  record Fenced(List<String> rooms) implements Wire {}

  /**
   * A takeover asks every node for what its replica of {@code room} holds, and fences the replica to
   * {@code epoch} (writes of older activations are refused from then on). The reply is a {@link Held}.
   */
  record Collect(String room, long epoch) implements Wire {}

  /** A replica's commits (oldest first) and the epoch that wrote them (0 and none: the node holds no replica). */
  record Held(long epoch, List<HeldChange> changes) implements Wire {}

  /** A room went to sleep with every commit in the store: replicas of activations up to {@code epoch} are dropped. */
  record DropReplica(String room, long epoch) implements Wire {}


  /** The HTTP API of another node asks the owner of a room for its log (the store is written behind). */
  record ReadEvents(String room, long since, int limit) implements Wire {}

  /** The answer to a {@link ReadEvents}: the log as far as it is durable. */
  record Events(EventSlice slice) implements Wire {}
}
