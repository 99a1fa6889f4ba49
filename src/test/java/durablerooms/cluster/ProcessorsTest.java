package durablerooms.cluster;

import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The processors as Hazelcast sends them to another node (Java serialization): what arrives does what was sent. */
class ProcessorsTest {
  private final SerializationService serialization = new DefaultSerializationServiceBuilder().build();

  private <T> T overTheWire(Object o) {
    Data data = serialization.toData(o);
    return serialization.toObject(data);
  }

  @Test
  void aMemberChangeArrivesWithEveryMemberAndAppliesThem() {
    Member ann = new Member("c1", "änn 👋", "node-1", "{\"name\":\"ann\"}", "{\"seat\":2}");
    Member bob = new Member("c2", "bob", "node-2");
    Processors.ChangeMembers sent = new Processors.ChangeMembers(7, List.of(
        new Processors.MemberChange(ann, false), new Processors.MemberChange(bob, false),
        new Processors.MemberChange(bob, true)));
    Processors.ChangeMembers arrived = overTheWire(sent);

    MemberSet set = new MemberSet(7, new LinkedHashMap<>());
    Map.Entry<String, MemberSet> entry = new AbstractMap.SimpleEntry<>("r", set);
    assertTrue(arrived.process(entry));
    assertEquals(List.of(ann), List.copyOf(set.members().values()));

    MemberSet newer = new MemberSet(8, new LinkedHashMap<>());
    Processors.ChangeMembers stale = overTheWire(sent);
    assertFalse(stale.process(new AbstractMap.SimpleEntry<>("r", newer)), "a fenced change changes nothing");
    assertTrue(newer.members().isEmpty());
  }

  @Test
  void aMemberSetArrivesWithItsMembersInJoinOrder() {
    LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    members.put("c2", new Member("c2", "bob", "node-2"));
    members.put("c1", new Member("c1", "ann", "node-1"));
    MemberSet arrived = overTheWire(new MemberSet(3, members));
    assertEquals(3, arrived.epoch());
    assertEquals(List.copyOf(members.values()), List.copyOf(arrived.members().values()));
  }
}
