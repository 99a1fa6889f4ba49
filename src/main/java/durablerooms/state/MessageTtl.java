package durablerooms.state;

import java.util.function.LongSupplier;

/**
 * ROOMS_MESSAGE_TTL: how old a chat message may be and still be served. Older ones are dropped
 * from a room's history: never sent again (resume, history pages, the HTTP API), removed from the
 * room's memory, and deleted from the store. Off (0) by default: history is then bounded by
 * ROOMS_HISTORY_LIMIT alone.
 */
public record MessageTtl(long millis, LongSupplier clock) {
  public static final MessageTtl OFF = new MessageTtl(0, System::currentTimeMillis);

  public static MessageTtl of(long millis) {
    return millis <= 0 ? OFF : new MessageTtl(millis, System::currentTimeMillis);
  }

  public boolean on() {
    return millis > 0;
  }

  /** A message sent before this time (ms since the epoch) has expired; {@code Long.MIN_VALUE} when off. */
  public long notBefore() {
    return on() ? clock.getAsLong() - millis : Long.MIN_VALUE;
  }
}
