package durablerooms.state;

import java.io.Serializable;

/**
 * One connection's membership of a room: its connection id, display name and gateway node; in a
 * room of a user's type also its connect URL's query parameters and its attachment (JSON objects
 * as text, null when empty), kept with the membership so that they outlive the room's activation.
 */
public record Member(String id, String user, String node, String query, String attachment) implements Serializable {

  public Member(String id, String user, String node) {
    this(id, user, node, null, null);
  }

  public Member withUser(String newUser) {
    return new Member(id, newUser, node, query, attachment);
  }

  public Member withAttachment(String newAttachment) {
    return new Member(id, user, node, query, newAttachment);
  }
}
