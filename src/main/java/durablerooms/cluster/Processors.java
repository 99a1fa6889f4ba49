package durablerooms.cluster;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import durablerooms.state.Lease;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The atomic steps on the room maps, run by Hazelcast on the partition that owns the room (and
 * replayed on its backup): claim and release of the lease, fencing and member changes.
 * Each is deterministic so that the backup reaches the same value.
 */
public final class Processors {
  private Processors() {}

  /**
   * The lease after a claim; {@code takeover} when it was taken from a holder that never released
   * it (a node that died, or an activation of this node that never completed).
   */
  public record Claim(Lease lease, boolean takeover) implements java.io.Serializable {}

  /**
   * Takes the lease for {@code node} when it is free, or held by a node that is not in
   * {@code liveNodes}, or by {@code node} itself (an activation that never completed). The caller
   * owns the room only if the resulting lease's owner is itself.
   */
  public record ClaimLease(String node, Set<String> liveNodes, String id) implements EntryProcessor<String, Lease, Claim> {
    @Override
    public Claim process(Map.Entry<String, Lease> entry) {
      Lease current = entry.getValue();
      if (current != null && id.equals(current.claim())) {
        return new Claim(current, current.takeover()); // this claim, applied again by a retry
      }
      if (current == null) {
        Lease lease = new Lease(node, 1, false, id, false);
        entry.setValue(lease);
        return new Claim(lease, false);
      }
      if (current.held() && !current.owner().equals(node) && liveNodes.contains(current.owner())) {
        return new Claim(current, false);
      }
      boolean takeover = current.held() || !current.clean();
      Lease lease = new Lease(node, current.epoch() + 1, false, id, takeover);
      entry.setValue(lease);
      return new Claim(lease, takeover);
    }
  }

  /**
   * Releases the lease if it is still exactly {@code lease}; keeps the epoch so the next one is
   * higher, and whether everything was sent ({@code clean}): if not, the next activation replays.
   */
  public record ReleaseLease(Lease lease, boolean clean) implements EntryProcessor<String, Lease, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, Lease> entry) {
      if (!lease.equals(entry.getValue())) {
        return false;
      }
      entry.setValue(new Lease(null, lease.epoch(), clean, null, false));
      return true;
    }
  }

  /** Fences the room's member set to {@code epoch} and returns a copy, or null if a newer epoch wrote it. */
  public record ActivateMembers(long epoch) implements EntryProcessor<String, MemberSet, MemberSet> {
    @Override
    public MemberSet process(Map.Entry<String, MemberSet> entry) {
      MemberSet set = entry.getValue() == null ? MemberSet.empty() : entry.getValue();
      if (set.epoch() > epoch) {
        return null;
      }
      set.fence(epoch);
      entry.setValue(set);
      return set.copy();
    }
  }

  /**
   * Removes the lease of a room that leaves nothing behind (see RoomStore.forget) if it is still
   * exactly {@code lease}; false when another claim took it meanwhile.
   */
  public record ForgetLease(Lease lease) implements EntryProcessor<String, Lease, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, Lease> entry) {
      if (!lease.equals(entry.getValue())) {
        return false;
      }
      entry.setValue(null);
      return true;
    }
  }

  /** Removes a room's member set if it is empty and {@code epoch} wrote it last: a room without members keeps no entry. */
  public record RemoveMembersIfEmpty(long epoch) implements EntryProcessor<String, MemberSet, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, MemberSet> entry) {
      MemberSet set = entry.getValue();
      if (set == null || set.epoch() != epoch || !set.members().isEmpty()) {
        return false;
      }
      entry.setValue(null);
      return true;
    }
  }

  /** The leases held now (rooms active on some node) of rooms named after {@code after}. */
  public record HeldAfter(String after) implements com.hazelcast.query.Predicate<String, Lease> {
    @Override
    public boolean apply(Map.Entry<String, Lease> entry) {
      return entry.getValue() != null && entry.getValue().held() && entry.getKey().compareTo(after) > 0;
    }
  }

  /** Orders map entries by their room name (String.compareTo, as the store's pages). */
  public record ByRoom() implements java.util.Comparator<Map.Entry<String, Lease>>, java.io.Serializable {
    @Override
    public int compare(Map.Entry<String, Lease> a, Map.Entry<String, Lease> b) {
      return a.getKey().compareTo(b.getKey());
    }
  }

  /** One change of a member set: put {@code member}, or remove it when {@code remove}. */
  public record MemberChange(Member member, boolean remove) implements java.io.Serializable {}

  /** Applies member changes in order if the writer's epoch is still current; false means fenced. */
  public record ChangeMembers(long epoch, List<MemberChange> changes)
      implements EntryProcessor<String, MemberSet, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, MemberSet> entry) {
      MemberSet set = entry.getValue();
      if (set == null || set.epoch() != epoch) {
        return false;
      }
      for (MemberChange c : changes) {
        if (c.remove()) {
          set.members().remove(c.member().id());
        } else {
          set.members().put(c.member().id(), c.member());
        }
      }
      entry.setValue(set);
      return true;
    }
  }

  /** Reads the members of a room (a copy, in join order). */
  public record ReadMembers() implements EntryProcessor<String, MemberSet, List<Member>>, ReadOnly {
    @Override
    public List<Member> process(Map.Entry<String, MemberSet> entry) {
      return entry.getValue() == null ? List.of() : new ArrayList<>(entry.getValue().members().values());
    }

    @Override
    public EntryProcessor<String, MemberSet, List<Member>> getBackupProcessor() {
      return null;
    }
  }

  /** Whether a room has members on {@code node} (null when not, so the scan returns only the rooms that do). */
  public record HasMembersOn(String node) implements EntryProcessor<String, MemberSet, Boolean>, ReadOnly {
    @Override
    public Boolean process(Map.Entry<String, MemberSet> entry) {
      MemberSet set = entry.getValue();
      if (set == null) {
        return null;
      }
      for (Member m : set.members().values()) {
        if (m.node().equals(node)) {
          return Boolean.TRUE;
        }
      }
      return null;
    }

    @Override
    public EntryProcessor<String, MemberSet, Boolean> getBackupProcessor() {
      return null;
    }
  }

  /** Counts a room's members without copying them. */
  public record CountMembers() implements EntryProcessor<String, MemberSet, Integer>, ReadOnly {
    @Override
    public Integer process(Map.Entry<String, MemberSet> entry) {
      return entry.getValue() == null ? 0 : entry.getValue().members().size();
    }

    @Override
    public EntryProcessor<String, MemberSet, Integer> getBackupProcessor() {
      return null;
    }
  }
}
