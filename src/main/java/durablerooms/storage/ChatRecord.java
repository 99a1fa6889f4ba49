package durablerooms.storage;

import java.io.Serializable;

/**
 * One stored chat message. {@code dedupeKey} is the sender's client identity plus its message
 * id (null for messages without id): the room keeps it so a retry is recognised.
 */
public record ChatRecord(long seq, long ts, String user, String memberId, String text, String id,
                         String dedupeKey) implements Serializable {}
