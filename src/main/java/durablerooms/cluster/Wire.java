package durablerooms.cluster;

import durablerooms.room.Member;

/** The typed records that travel on the event bus between gateways and rooms (one codec: WireCodec). */
public sealed interface Wire {

  /** An event for one room, sent by a gateway to the node that hosts the room. */
  sealed interface RoomCommand extends Wire {
    String room();
  }

  /** A connection joins; {@code since} is the last seq it has, or -1 for none. */
  record Join(String room, Member member, String clientKey, long since) implements RoomCommand {}

  record Leave(String room, String connId) implements RoomCommand {}

  /** A chat message; {@code id} may be null (seed form: no ACK, no dedupe). */
  record Say(String room, String connId, String clientKey, String text, String id) implements RoomCommand {}

  record Rename(String room, String connId, String name) implements RoomCommand {}

  record Typing(String room, String connId) implements RoomCommand {}

  /** Removes the members whose node has left the cluster (sent by the node that sweeps after a death). */
  record Purge(String room) implements RoomCommand {}

  /** A page of history older than {@code before} (0 = latest) for one connection. */
  record Page(String room, String connId, long before, int limit) implements RoomCommand {}

  /**
   * One encoded frame for the local sockets of a room on one node: to {@code target} alone when
   * set, else to every admitted member but {@code exclude}. {@code kind} says how the gateway
   * tracks it: ADMIT (the PRESENCE; the target receives broadcasts from then on, {@code seq} is
   * the room's seq), MESSAGE (a chat message with {@code seq}: never delivered twice to a socket),
   * ACK (to a sender; its {@code seq} counts as seen), PLAIN (anything else).
   */
  record Delivery(String room, String target, String exclude, String frame, byte kind, long seq) implements Wire {
    public static final byte PLAIN = 0, ADMIT = 1, MESSAGE = 2, ACK = 3;
  }
}
