package durablerooms.state;

import java.util.List;

/**
 * A page of the log of a room of a user's type: the room's seq, the events of the page (each as it
 * was delivered: its fields plus "seq"), and whether some events after the page's start were no
 * longer retained.
 */
public record EventSlice(long seq, List<Entry> events, boolean gap) {
  /** One event: its seq and its JSON text. */
  public record Entry(long seq, String json) {}
}
