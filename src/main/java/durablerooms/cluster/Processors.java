package durablerooms.cluster;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import durablerooms.state.ChatRecord;
import durablerooms.state.HistorySlice;
import durablerooms.state.Lease;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.state.RoomState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The atomic steps on the room maps, run by Hazelcast on the partition that owns the room (and
 * replayed on its backup): claim and release of the lease, fencing, appends and member changes.
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

  /**
   * Starts activation {@code id}: raises the state's epoch by one (the fencing token of the new
   * activation: writes with an older one are refused from now on) and returns a copy. The cluster's
   * copy of the state wins. Without one (the room slept, or the cluster restarted) it returns null
   * and changes nothing unless {@code storeRead}: the caller then reads the room from the archive
   * and comes again with it as {@code stored} (null: a new room). Reading only then keeps a takeover
   * (state in memory) independent of the archive. Applying the same id again (Hazelcast retries an
   * operation during a partition migration) changes nothing.
   */
  public record ActivateState(String id, boolean storeRead, RoomState stored)
      implements EntryProcessor<String, RoomState, RoomState> {
    @Override
    public RoomState process(Map.Entry<String, RoomState> entry) {
      RoomState state = entry.getValue();
      if (state == null) {
        if (!storeRead) {
          return null;
        }
        state = stored != null ? stored.copy() : RoomState.empty();
      }
      state.activate(id);
      entry.setValue(state);
      return state.copy();
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
   * Appends chat records if the writer's epoch is still current; false means fenced. {@code gap}:
   * the records are the room's retained tail, and those between the state's seq and theirs fell
   * out of retention (a copy written behind, after more than the limit came).
   */
  public record Append(long epoch, List<ChatRecord> records, boolean gap, int limit)
      implements EntryProcessor<String, RoomState, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, RoomState> entry) {
      RoomState state = entry.getValue();
      if (state == null || state.epoch() != epoch) {
        return false;
      }
      state.append(records, gap, limit);
      entry.setValue(state);
      return true;
    }
  }

  /**
   * Drops the room's state from the cluster's memory (read again from the archive on wake) if this
   * activation still owns it: a stale owner cannot throw away what a newer one holds.
   */
  public record EvictIfCurrent(long epoch) implements EntryProcessor<String, RoomState, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, RoomState> entry) {
      RoomState state = entry.getValue();
      if (state == null || state.epoch() != epoch) {
        return false;
      }
      entry.setValue(null);
      return true;
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

  /** The seq of a room and up to {@code limit} retained messages after {@code since}; null when asleep or unknown. */
  public record ReadHistory(long since, int limit) implements EntryProcessor<String, RoomState, HistorySlice>, ReadOnly {
    @Override
    public HistorySlice process(Map.Entry<String, RoomState> entry) {
      RoomState state = entry.getValue();
      if (state == null) {
        return null;
      }
      return HistorySlice.after(state, since, limit);
    }

    @Override
    public EntryProcessor<String, RoomState, HistorySlice> getBackupProcessor() {
      return null;
    }
  }
}
