package durablerooms.room;

import durablerooms.state.Member;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who is in a room, whatever its type: its members by connection id in the order they joined, and
 * how many each node holds (the targets of a broadcast, one event-bus message per node). Owned by
 * the room's event loop.
 */
public final class Roster {
  private final LinkedHashMap<String, Member> members = new LinkedHashMap<>();
  private final Map<String, Integer> perNode = new HashMap<>();
  private final Map<String, Integer> perNodeView = Collections.unmodifiableMap(perNode);

  /** A roster of {@code members} (as the room's member set holds them). */
  public Roster(Map<String, Member> members) {
    members.values().forEach(this::join);
  }

  /** The member with connection id {@code id}, or null. */
  public Member member(String id) {
    return members.get(id);
  }

  public Collection<Member> members() {
    return members.values();
  }

  public int size() {
    return members.size();
  }

  /** Adds a member, or replaces the one with its connection id (a join again, a rename). */
  public Member join(Member m) {
    Member before = members.put(m.id(), m);
    if (before != null) {
      uncount(before);
    }
    perNode.merge(m.node(), 1, Integer::sum);
    return m;
  }

  /** Renames a member; null if it is not one. */
  public Member rename(String id, String user) {
    Member m = members.get(id);
    return m == null ? null : join(m.withUser(user));
  }

  /** Removes a member; null if it was not one. */
  public Member leave(String id) {
    Member m = members.remove(id);
    if (m != null) {
      uncount(m);
    }
    return m;
  }

  private void uncount(Member m) {
    perNode.computeIfPresent(m.node(), (node, n) -> n == 1 ? null : n - 1);
  }

  /** The members whose node is not in {@code liveNodes}, or is in {@code departed}. */
  public List<Member> notOn(Set<String> liveNodes, Set<String> departed) {
    return members.values().stream().filter(m -> !liveNodes.contains(m.node()) || departed.contains(m.node())).toList();
  }

  /** How many members the room has on each node, by node id (a read-only view). */
  public Map<String, Integer> membersPerNode() {
    return perNodeView;
  }
}
