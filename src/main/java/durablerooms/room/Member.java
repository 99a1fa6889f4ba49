package durablerooms.room;

import java.io.Serializable;

/** One connection's membership of a room: its connection id, display name and gateway node. */
public record Member(String id, String user, String node) implements Serializable {

  public Member withUser(String newUser) {
    return new Member(id, newUser, node);
  }
}
