package durablerooms.state;

import java.io.Serializable;

/**
 * A room's activation lease: the owning node (null while the room sleeps), the number of the
 * activation, whether the last activation ended cleanly (hibernated with every output sent), and
 * the id of the claim that took it with whether that claim was a takeover (so that a retried
 * claim gets the same answer).
 */
public record Lease(String owner, long epoch, boolean clean, String claim, boolean takeover) implements Serializable {

  public static final Lease NONE = new Lease(null, 0, true, null, false);

  public boolean held() {
    return owner != null;
  }
}
