package durablerooms.room;

/** A frame of a room's ordered log: its seq and its text as it was delivered (what a replay or a HISTORY sends again). */
public record Logged(long seq, String frame) {}
