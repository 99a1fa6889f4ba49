package durablerooms.state;


import java.io.Serializable;
import java.util.LinkedHashMap;

/** Who is in one room, in join order, with the epoch of the activation that last wrote it. */
public final class MemberSet implements Serializable {
  private static final long serialVersionUID = 1L;

  private long epoch;
  private final LinkedHashMap<String, Member> members;

  public MemberSet(long epoch, LinkedHashMap<String, Member> members) {
    this.epoch = epoch;
    this.members = members;
  }

  public static MemberSet empty() {
    return new MemberSet(0, new LinkedHashMap<>());
  }

  public long epoch() {
    return epoch;
  }

  public void fence(long newEpoch) {
    epoch = Math.max(epoch, newEpoch);
  }

  public LinkedHashMap<String, Member> members() {
    return members;
  }

  public MemberSet copy() {
    return new MemberSet(epoch, new LinkedHashMap<>(members));
  }
}
