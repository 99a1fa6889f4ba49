package durablerooms.state;

/**
 * One chat message as an earlier version stored it. {@code dedupeKey} is the sender's client
 * identity plus its message id (null for messages without id): the import keeps it so a retry is
 * recognised.
 */
public record ChatRecord(long seq, long ts, String user, String memberId, String text, String id, String dedupeKey) {}
