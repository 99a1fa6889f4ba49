package durablerooms.room;

import durablerooms.state.Member;

import java.util.Map;

/** Who is in a room, as its deliveries need it: a member by connection id, and how many are on each node. */
public interface Roster {
  /** The member with connection id {@code id}, or null. */
  Member member(String id);

  /** How many members the room has on each node, by node id. */
  Map<String, Integer> membersPerNode();
}
