package durablerooms.storage;

import java.io.Serializable;

/**
 * A room's activation lease: the owning node (null while the room sleeps), the number of the
 * activation, and whether the last activation ended cleanly (hibernated with every output sent).
 */
public record Lease(String owner, long epoch, boolean clean) implements Serializable {

  public static final Lease NONE = new Lease(null, 0, true);

  public boolean held() {
    return owner != null;
  }
}
