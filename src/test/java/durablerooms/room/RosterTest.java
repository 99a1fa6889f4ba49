package durablerooms.room;

import durablerooms.state.Member;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A room's members and the count per node that every broadcast reads. */
class RosterTest {
  @Test
  void joinsLeavesAndRenamesKeepTheCountPerNode() {
    Map<String, Member> stored = new LinkedHashMap<>();
    stored.put("c1", new Member("c1", "ann", "n1"));
    stored.put("c2", new Member("c2", "bob", "n2"));
    Roster roster = new Roster(stored);
    assertEquals(Map.of("n1", 1, "n2", 1), roster.membersPerNode());

    roster.join(new Member("c3", "cy", "n1"));
    roster.join(roster.member("c1").withUser("anne")); // a rename: the same connection, counted once
    assertEquals(Map.of("n1", 2, "n2", 1), roster.membersPerNode());
    assertEquals("anne", roster.member("c1").user());
    assertEquals(List.of("c1", "c2", "c3"), roster.members().stream().map(Member::id).toList(), "in the order they joined");

    assertEquals("bob", roster.leave("c2").user());
    assertNull(roster.leave("c2"), "not a member any more");
    assertEquals(Map.of("n1", 2), roster.membersPerNode(), "a node with none left is no broadcast target");
    assertEquals(2, roster.size());
    assertThrows(UnsupportedOperationException.class, () -> roster.membersPerNode().clear());
  }

  @Test
  void membersOfNodesThatLeftAreFound() {
    Roster roster = new Roster(Map.of());
    roster.join(new Member("a", "a", "n1"));
    roster.join(new Member("b", "b", "n2"));
    roster.join(new Member("c", "c", "n3"));
    assertEquals(List.of("b", "c"), roster.notOn(Set.of("n1", "n3"), Set.of("n3")).stream().map(Member::id).toList(),
        "n2 is not live; n3 is, in this node's view, but was named as gone");
  }
}
