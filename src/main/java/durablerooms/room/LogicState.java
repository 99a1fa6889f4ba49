package durablerooms.room;

import durablerooms.protocol.Protocol;
import durablerooms.state.EventSlice;
import durablerooms.state.Member;
import durablerooms.state.MemberSet;
import durablerooms.state.MessageTtl;
import durablerooms.storage.LogicArchive;
import io.vertx.core.json.Json;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The committed state of one active room of a user's type, as its handlers see it: storage values
 * (decoded, with their size), the next seq, the retained events, the ACKs of recent client frames
 * and the members. Owned by the room's event loop; no Vert.x, no I/O.
 */
final class LogicState {
  /** The limits a room's logic writes within. */
  record Limits(int historyLimit, long storageMaxBytes, int maxValueBytes, int maxAttachmentBytes, int maxKeyChars,
                MessageTtl ttl) {
    Limits(int historyLimit, long storageMaxBytes, int maxValueBytes, int maxAttachmentBytes, int maxKeyChars) {
      this(historyLimit, storageMaxBytes, maxValueBytes, maxAttachmentBytes, maxKeyChars, MessageTtl.OFF);
    }

    static Limits of(int historyLimit, long storageMaxBytes, MessageTtl ttl) {
      return new Limits(historyLimit, storageMaxBytes, 128 * 1024, 16 * 1024, 1024, ttl);
    }
  }

  private final String key;
  private final long epoch;
  private final Limits limits;
  private final TreeMap<String, Object> values = new TreeMap<>();
  private final Map<String, Integer> sizes = new HashMap<>();
  private long bytes;
  private long seq;
  /** The retained events, oldest first: the last ROOMS_HISTORY_LIMIT, none older than ROOMS_MESSAGE_TTL. */
  private final ArrayDeque<LogicArchive.Event> events = new ArrayDeque<>();
  private final LinkedHashMap<String, LogicArchive.Ack> acks;
  private final Roster roster;
  /** Alarms by name: their time in ms since the epoch. */
  private final TreeMap<String, Long> alarms;

  LogicState(String key, LogicArchive.Loaded loaded, MemberSet memberSet, Limits limits) {
    this.key = key;
    this.epoch = loaded.epoch();
    this.limits = limits;
    this.seq = loaded.seq();
    loaded.values().forEach((k, text) -> {
      values.put(k, Json.decodeValue(text));
      int size = size(k, text);
      sizes.put(k, size);
      bytes += size;
    });
    events.addAll(loaded.events());
    this.acks = new LinkedHashMap<>(loaded.acks());
    this.alarms = new TreeMap<>(loaded.alarms());
    this.roster = new Roster(memberSet.members());
  }

  /**
   * The room as the store holds it once it has every commit of this activation, whose last one
   * left the store's mark at {@code applied}: values as JSON text again, the events the store
   * retains (the last ROOMS_HISTORY_LIMIT seqs) and no seqs reserved (a clean stop gave them back).
   * Null when a value does not encode back to the size it was counted at, so that a room woken
   * from it never counts its storage otherwise than one read from the store.
   */
  LogicArchive.Loaded asStored(LogicArchive.Mark applied) {
    TreeMap<String, String> texts = new TreeMap<>();
    for (Map.Entry<String, Object> v : values.entrySet()) {
      String text = Json.encode(v.getValue());
      if (size(v.getKey(), text) != sizes.get(v.getKey())) {
        return null;
      }
      texts.put(v.getKey(), text);
    }
    List<LogicArchive.Event> retained = new ArrayList<>(events.size());
    for (LogicArchive.Event e : events) {
      if (e.seq() > seq - limits.historyLimit()) {
        retained.add(e);
      }
    }
    return new LogicArchive.Loaded(epoch, seq, texts, retained, new LinkedHashMap<>(acks), new TreeMap<>(alarms),
        applied, 0);
  }

  /** What a key and its value (JSON text) count against the room's storage. */
  static int size(String key, String json) {
    return key.length() + json.length();
  }

  String key() {
    return key;
  }

  long epoch() {
    return epoch;
  }

  Limits limits() {
    return limits;
  }

  long seq() {
    return seq;
  }

  long bytes() {
    return bytes;
  }

  /** The committed value of {@code k} (not a copy), or null. */
  Object value(String k) {
    return values.get(k);
  }

  int sizeOf(String k) {
    return sizes.getOrDefault(k, 0);
  }

  /** The committed entries whose key starts with {@code prefix}, in key order (a view). */
  Map<String, Object> valuesWithPrefix(String prefix) {
    if (prefix.isEmpty()) {
      return values;
    }
    return values.subMap(prefix, true, prefix + Character.MAX_VALUE, false);
  }

  /** Applies a committed handler's values (null: deleted; with their JSON text size) and events. */
  void apply(Map<String, Object> written, Map<String, Integer> writtenSizes, List<LogicArchive.Event> published) {
    written.forEach((k, v) -> {
      bytes -= sizes.getOrDefault(k, 0);
      if (v == null) {
        values.remove(k);
        sizes.remove(k);
      } else {
        values.put(k, v);
        int size = writtenSizes.get(k);
        sizes.put(k, size);
        bytes += size;
      }
    });
    for (LogicArchive.Event e : published) {
      if (e.seq() != seq + 1) {
        throw new IllegalStateException("seq " + e.seq() + " does not follow " + seq);
      }
      seq = e.seq();
      events.addLast(e);
      while (events.size() > limits.historyLimit()) {
        events.removeFirst();
      }
    }
  }

  /** Applies a committed handler's alarm changes (null: cancelled). */
  void applyAlarms(Map<String, Long> changes) {
    changes.forEach((name, due) -> {
      if (due == null) {
        alarms.remove(name);
      } else {
        alarms.put(name, due);
      }
    });
  }

  /** The alarms by name (a read-only view). */
  Map<String, Long> alarms() {
    return java.util.Collections.unmodifiableMap(alarms);
  }

  /** The time of the earliest alarm, or -1 without one. */
  long nextAlarm() {
    return alarms.values().stream().mapToLong(Long::longValue).min().orElse(-1);
  }

  /** Alarms due at {@code now} or before, the earliest first. */
  List<Map.Entry<String, Long>> dueAlarms(long now) {
    return alarms.entrySet().stream().filter(e -> e.getValue() <= now)
        .sorted(Map.Entry.comparingByValue()).map(e -> Map.entry(e.getKey(), e.getValue())).toList();
  }

  /** Remembers a frame's ACK (the oldest forgotten past the retention). */
  void ack(LogicArchive.Ack ack) {
    acks.remove(ack.key());
    acks.put(ack.key(), ack);
    Iterator<String> oldest = acks.keySet().iterator();
    while (acks.size() > limits.historyLimit()) {
      oldest.next();
      oldest.remove();
    }
  }

  /** The ACK a frame with this ACK key was answered with, or null when it was not seen. */
  LogicArchive.Ack acked(String ackKey) {
    return acks.get(ackKey);
  }

  /**
   * Drops the events older than ROOMS_MESSAGE_TTL; before every read of the log, so that an expired
   * event is never served (the store deletes them on its own: LogicArchive.expire).
   */
  private void expire() {
    if (limits.ttl().on()) {
      long notBefore = limits.ttl().notBefore();
      while (!events.isEmpty() && events.peekFirst().ts() < notBefore) {
        events.removeFirst();
      }
    }
  }

  /** The newest retained events with a seq below {@code end}, at most {@code limit}, newest first. */
  List<Logged> eventsBefore(long end, int limit) {
    expire();
    List<Logged> out = new ArrayList<>(Math.min(limit, events.size()));
    for (Iterator<LogicArchive.Event> it = events.descendingIterator(); it.hasNext() && out.size() < limit; ) {
      LogicArchive.Event e = it.next();
      if (e.seq() < end) {
        out.add(new Logged(e.seq(), e.body()));
      }
    }
    return out;
  }

  List<Logged> eventsAfter(long since) {
    expire();
    List<Logged> out = new ArrayList<>();
    for (LogicArchive.Event e : events) {
      if (e.seq() > since) {
        out.add(new Logged(e.seq(), e.body()));
      }
    }
    return out;
  }

  /**
   * The seq {@code upTo} and up to {@code limit} retained events after {@code since} and up to it,
   * as the store would give them (the HTTP API): {@code gap} when some events after {@code since}
   * are no longer retained.
   */
  EventSlice slice(long since, int limit, long upTo) {
    expire();
    List<EventSlice.Entry> out = new ArrayList<>();
    for (LogicArchive.Event e : events) {
      if (out.size() == limit || e.seq() > upTo) {
        break;
      }
      if (e.seq() > since) {
        out.add(new EventSlice.Entry(e.seq(), e.body()));
      }
    }
    boolean gap = since < upTo && limit > 0 && (out.isEmpty() || out.get(out.size() - 1).seq() - since != out.size());
    return new EventSlice(upTo, out, gap);
  }

  /**
   * The HISTORY frame for a client that has everything up to {@code since}: the newest retained
   * events after it that fit in {@link Protocol#MAX_HISTORY_FRAME_BYTES}, with {@code gap} when
   * some after it are no longer retained and {@code more} when some were left out for size. A
   * {@code since} above the room's seq names events the room does not have (it lost them, or its
   * store was replaced): the client is told to {@code reset}, with what a client without any gets,
   * rather than be given, without a word, seqs it holds for other events.
   */
  String historyFrame(long since) {
    if (since > seq) {
      return historyFrame(eventsAfter(0), true, seq + 1, seq, true);
    }
    List<Logged> after = eventsAfter(since);
    // seqs after since that no retained event holds: dropped from the retention, expired, or lost
    // with the newest commits when every node died (the room then goes on after its reservation)
    boolean gap = since < seq && after.size() != seq - since;
    return historyFrame(after, gap, since + 1, since, false);
  }

  private String historyFrame(List<Logged> after, boolean gap, long emptyFrom, long emptyTo, boolean reset) {
    List<String> kept = new ArrayList<>();
    long size = 0;
    for (int i = after.size() - 1; i >= 0; i--) {
      size += after.get(i).frame().length() + 1;
      if (!kept.isEmpty() && size > Protocol.MAX_HISTORY_FRAME_BYTES) {
        break;
      }
      kept.add(0, after.get(i).frame());
    }
    boolean more = kept.size() < after.size();
    long from = kept.isEmpty() ? emptyFrom : after.get(after.size() - kept.size()).seq();
    long to = kept.isEmpty() ? emptyTo : after.get(after.size() - 1).seq();
    return "{\"type\":\"HISTORY\",\"messages\":[" + String.join(",", kept) + "],\"from\":" + from + ",\"to\":" + to
        + ",\"gap\":" + gap + ",\"more\":" + more + (reset ? ",\"reset\":true}" : "}");
  }

  // --- members ----------------------------------------------------------------------------------

  Roster roster() {
    return roster;
  }

  Member member(String id) {
    return roster.member(id);
  }

  int memberCount() {
    return roster.size();
  }

  Collection<Member> members() {
    return roster.members();
  }

  /** Renames a member; null when it is not a member any more. */
  Member rename(String id, String name) {
    return roster.rename(id, name);
  }

  /** Replaces a member's attachment (JSON text, null: none); false when it is not a member any more. */
  Member attach(String id, String attachment) {
    Member m = roster.member(id);
    return m == null ? null : roster.join(m.withAttachment(attachment));
  }
}
