package durablerooms.storage;

import java.io.Serializable;

/** A room's activation lease: the owning node (null while the room hibernates) and the epoch of the activation. */
public record Lease(String owner, long epoch) implements Serializable {

  public boolean held() {
    return owner != null;
  }
}
