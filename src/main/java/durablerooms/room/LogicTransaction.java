package durablerooms.room;

import durablerooms.api.Connection;
import durablerooms.api.RoomContext;
import durablerooms.api.Storage;
import durablerooms.cluster.Processors.MemberChange;
import durablerooms.cluster.Wire;
import durablerooms.protocol.Protocol;
import durablerooms.protocol.ProtocolException;
import durablerooms.protocol.ServerFrames;
import durablerooms.state.Member;
import durablerooms.storage.LogicArchive;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One handler's transaction: what the logic sees through the API while it runs ({@link RoomContext},
 * {@link Storage}, {@link Connection}), with its writes, events and frames held aside until it
 * returns. {@link #commit} applies them to the room's state and hands back what must be written
 * and sent; {@link #close} discards them (the handler threw). The API objects refuse use after that.
 */
final class LogicTransaction {
  /** A frame the handler sent: to one member, or to every member but {@code except} (null: all). */
  record Frame(Member to, String except, String frame, byte kind, long seq) {}

  /** What a committed handler leaves: its write to the store (null: none), its member changes, its frames. */
  record Committed(LogicArchive.Change change, List<MemberChange> members, List<Runnable> frames) {}

  private final LogicState state;
  private final String type;
  private final Consumer<Frame> deliver;
  /** Whether webhooks are on (ROOMS_WEBHOOK_URL): without them, emitted events go nowhere. */
  private final boolean webhooks;
  private boolean open = true;
  private final List<Logged> published = new ArrayList<>();
  private final LinkedHashMap<String, String> attachments = new LinkedHashMap<>();
  /** Members renamed by the handler: their new names. */
  private final LinkedHashMap<String, String> names = new LinkedHashMap<>();
  /** Alarms set (their time, ms since the epoch) or cancelled (null), in order. */
  private final LinkedHashMap<String, Long> alarmWrites = new LinkedHashMap<>();
  private final TxAlarms alarms = new TxAlarms();
  /** Webhooks of this handler: what it emitted, and lifecycle events the platform adds. */
  private final List<durablerooms.storage.WebhookOutbox.Hook> hooks = new ArrayList<>();
  private final List<Frame> frames = new ArrayList<>();
  private final Context context = new Context();
  private final StorageOverlay storage;

  /** The handler's time (ms since the epoch): its events' and its ACK's. */
  private final long now;
  /** Whether the room's type has the platform announce renames (RoomType.announcesPresence). */
  private final boolean announce;

  LogicTransaction(LogicState state, String type, Consumer<Frame> deliver, boolean webhooks, long now,
                   boolean announce) {
    this.webhooks = webhooks;
    this.now = now;
    this.announce = announce;
    this.state = state;
    this.storage = new StorageOverlay(state, this::check);
    this.type = type;
    this.deliver = deliver;
  }

  RoomContext context() {
    return context;
  }

  /** The API's view of a member of the room. */
  Connection connection(String id) {
    return new Conn(state.member(id), true);
  }

  /** The API's view of a member that has left (its attachment as it was; what is sent to it is dropped). */
  Connection gone(Member m) {
    return new Conn(m, false);
  }

  /** The handler threw: nothing of it is kept. */
  void close() {
    open = false;
  }

  /**
   * The handler returned: its values, events and attachments are applied to the room's state; the
   * frame's ACK key (null: none) is remembered with the room's seq after it and the handler's time.
   */
  Committed commit(String ackKey) {
    open = false;
    List<LogicArchive.Event> events = new ArrayList<>(published.size());
    published.forEach(e -> events.add(new LogicArchive.Event(e.seq(), now, e.frame())));
    state.apply(storage.written(), storage.writtenSizes(), events);
    state.applyAlarms(alarmWrites);
    List<LogicArchive.Ack> acks = new ArrayList<>(1);
    if (ackKey != null) {
      LogicArchive.Ack ack = new LogicArchive.Ack(ackKey, state.seq(), now);
      state.ack(ack);
      acks.add(ack);
    }
    LinkedHashMap<String, Member> changed = new LinkedHashMap<>();
    attachments.forEach((id, json) -> {
      Member m = state.attach(id, json);
      if (m != null) {
        changed.put(id, m);
      }
    });
    names.forEach((id, name) -> {
      Member m = state.rename(id, name);
      if (m != null) {
        changed.put(id, m);
        if (announce) {
          frames.add(new Frame(null, null, ServerFrames.presenceChange("RENAME", m), Wire.Delivery.PLAIN, 0));
        }
      }
    });
    List<MemberChange> members = new ArrayList<>(changed.size());
    changed.values().forEach(m -> members.add(new MemberChange(m, false)));
    LogicArchive.Change change = storage.writtenText().isEmpty() && events.isEmpty() && acks.isEmpty() && alarmWrites.isEmpty()
        && hooks.isEmpty() ? null
        : new LogicArchive.Change(state.key(), state.epoch(), storage.writtenText(), events, acks, state.seq(), alarmWrites, hooks);
    List<Runnable> out = new ArrayList<>(frames.size());
    frames.forEach(f -> out.add(() -> deliver.accept(f)));
    return new Committed(change, members, out);
  }

  /** The changes of several handlers of one room as one commit (null when none wrote to the store). */
  static LogicArchive.Change merge(String key, long epoch, List<LogicArchive.Change> changes) {
    return LogicArchive.Change.merge(key, epoch, changes);
  }

  private void check() {
    if (!open) {
      throw new IllegalStateException("a room's context, storage and connections may only be used during the handler "
          + "they were given to");
    }
  }

  private final class Context implements RoomContext {
    @Override
    public String type() {
      return type;
    }

    @Override
    public String name() {
      return RoomTypes.nameOf(state.key());
    }

    @Override
    public Storage storage() {
      check();
      return storage;
    }

    @Override
    public long now() {
      check();
      return now;
    }

    @Override
    public void emit(JsonObject event) {
      check();
      String data = event.encode();
      if (data.length() > state.limits().maxValueBytes()) {
        throw new IllegalArgumentException("an emitted event may have at most " + state.limits().maxValueBytes()
            + " characters as JSON; this one has " + data.length());
      }
      if (webhooks) {
        hooks.add(new durablerooms.storage.WebhookOutbox.Hook(state.key(), "room.emitted", data, now));
      }
    }

    @Override
    public durablerooms.api.Alarms alarms() {
      check();
      return alarms;
    }

    @Override
    public List<Connection> connections() {
      check();
      List<Connection> out = new ArrayList<>(state.memberCount());
      state.members().forEach(m -> out.add(new Conn(m, true)));
      return Collections.unmodifiableList(out);
    }

    @Override
    public void broadcast(JsonObject frame) {
      check();
      frames.add(new Frame(null, null, frame.encode(), Wire.Delivery.PLAIN, 0));
    }

    @Override
    public void broadcast(JsonObject frame, Connection except) {
      check();
      frames.add(new Frame(null, except == null ? null : except.id(), frame.encode(), Wire.Delivery.PLAIN, 0));
    }

    @Override
    public long publish(JsonObject event) {
      return publish(event, null);
    }

    @Override
    public long publish(JsonObject event, Connection except) {
      check();
      long seq = state.seq() + published.size() + 1;
      String frame = event.copy().put("seq", seq).encode();
      if (frame.length() > state.limits().maxValueBytes()) {
        throw new IllegalArgumentException("an event may have at most " + state.limits().maxValueBytes()
            + " characters as JSON; this one has " + frame.length());
      }
      published.add(new Logged(seq, frame));
      frames.add(new Frame(null, except == null ? null : except.id(), frame, Wire.Delivery.MESSAGE, seq));
      return seq;
    }

    @Override
    public List<JsonObject> log(long before, int limit) {
      check();
      if (limit < 1) {
        throw new IllegalArgumentException("a read of the log asks for at least one event, not " + limit);
      }
      long end = before <= 0 ? Long.MAX_VALUE : before;
      List<Logged> newestFirst = new ArrayList<>();
      for (int i = published.size() - 1; i >= 0 && newestFirst.size() < limit; i--) {
        if (published.get(i).seq() < end) {
          newestFirst.add(published.get(i));
        }
      }
      newestFirst.addAll(state.eventsBefore(end, limit - newestFirst.size()));
      JsonObject[] out = new JsonObject[newestFirst.size()];
      for (int i = 0; i < out.length; i++) {
        out[out.length - 1 - i] = new JsonObject(newestFirst.get(i).frame());
      }
      return List.of(out);
    }
  }

  /** Adds a webhook of the platform (a lifecycle event) to this transaction, if webhooks are on. */
  void hook(String type, JsonObject data) {
    if (webhooks) {
      hooks.add(new durablerooms.storage.WebhookOutbox.Hook(state.key(), type, data.encode(), System.currentTimeMillis()));
    }
  }

  /** The alarm named {@code name} is being handled: removed with this transaction unless the handler sets it again. */
  void firing(String name) {
    alarmWrites.put(name, null);
  }

  private final class TxAlarms implements durablerooms.api.Alarms {
    @Override
    public void set(String name, java.time.Instant at) {
      check();
      if (name == null || name.isEmpty() || name.length() > 128) {
        throw new IllegalArgumentException("an alarm's name has 1 to 128 characters");
      }
      if (at == null) {
        throw new IllegalArgumentException("an alarm needs a time");
      }
      if (!current().containsKey(name) && current().size() >= durablerooms.api.Alarms.MAX_PER_ROOM) {
        throw new IllegalStateException("a room has at most " + durablerooms.api.Alarms.MAX_PER_ROOM + " alarms");
      }
      alarmWrites.put(name, at.toEpochMilli());
    }

    @Override
    public void cancel(String name) {
      check();
      if (name != null) {
        alarmWrites.put(name, null);
      }
    }

    @Override
    public Map<String, java.time.Instant> list() {
      check();
      TreeMap<String, java.time.Instant> out = new TreeMap<>();
      current().forEach((name, due) -> out.put(name, java.time.Instant.ofEpochMilli(due)));
      return Collections.unmodifiableMap(out);
    }

    /** The alarms as this transaction sees them. */
    private Map<String, Long> current() {
      TreeMap<String, Long> now = new TreeMap<>(state.alarms());
      alarmWrites.forEach((name, due) -> {
        if (due == null) {
          now.remove(name);
        } else {
          now.put(name, due);
        }
      });
      return now;
    }
  }

  private final class Conn implements Connection {
    private final Member member;
    private final boolean present;
    private Map<String, String> query;

    Conn(Member member, boolean present) {
      this.member = member;
      this.present = present && member != null;
    }

    @Override
    public String id() {
      return member.id();
    }

    @Override
    public Map<String, String> query() {
      if (query == null) {
        Map<String, String> q = new TreeMap<>();
        if (member.query() != null) {
          new JsonObject(member.query()).forEach(e -> q.put(e.getKey(), String.valueOf(e.getValue())));
        }
        query = Collections.unmodifiableMap(q);
      }
      return query;
    }

    @Override
    public JsonObject attachment() {
      check();
      String json = attachments.containsKey(member.id()) ? attachments.get(member.id()) : current().attachment();
      return json == null ? new JsonObject() : new JsonObject(json);
    }

    @Override
    public void setAttachment(JsonObject attachment) {
      check();
      String json = attachment == null || attachment.isEmpty() ? null : attachment.encode();
      if (json != null && json.length() > state.limits().maxAttachmentBytes()) {
        throw new IllegalArgumentException("an attachment may have at most " + state.limits().maxAttachmentBytes()
            + " characters as JSON; this one has " + json.length());
      }
      if (present) {
        attachments.put(member.id(), json);
      }
    }

    @Override
    public String name() {
      check();
      String renamed = names.get(member.id());
      return renamed != null ? renamed : current().user();
    }

    @Override
    public String rename(String name) {
      check();
      String normalised;
      try {
        normalised = Protocol.displayName(name);
      } catch (ProtocolException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
      if (present) {
        names.put(member.id(), normalised);
      }
      return normalised;
    }

    @Override
    public void send(JsonObject frame) {
      check();
      if (present) {
        frames.add(new Frame(member, null, frame.encode(), Wire.Delivery.PLAIN, 0));
      }
    }

    @Override
    public void close(int code, String reason) {
      check();
      if (code != 1000 && (code < 3000 || code > 4999)) {
        throw new IllegalArgumentException("a room closes a connection with 1000 or a code from 3000 to 4999, not " + code);
      }
      String why = reason == null ? "" : reason;
      while (why.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 123) { // a close frame's limit
        why = why.substring(0, why.length() - 1);
      }
      if (present) {
        frames.add(new Frame(member, null, why, Wire.Delivery.CLOSE, code));
      }
    }

    /** The member as the room has it now (its attachment may have changed since this view was made). */
    private Member current() {
      Member now = present ? state.member(member.id()) : null;
      return now != null ? now : member;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Connection c && c.id().equals(id());
    }

    @Override
    public int hashCode() {
      return id().hashCode();
    }

    @Override
    public String toString() {
      return "Connection[" + id() + "]";
    }
  }
}
