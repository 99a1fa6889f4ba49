package durablerooms.cluster;

import durablerooms.state.EventSlice;
import durablerooms.state.Member;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The one event-bus codec for {@link Wire} records: zero-copy on the same node, compact binary across nodes. */
public final class WireCodec implements MessageCodec<Wire, Wire> {
  // 3 to 6, 14 and 15 were chat's own commands and reads, before chat became a room type: not reused
  private static final byte JOIN = 1, LEAVE = 2, DELIVERY = 7, PURGE = 8,
      REPLICATE = 9, FENCED = 10, COLLECT = 11, HELD = 12, DROP_REPLICA = 13,
      CUSTOM = 16, WAKE = 17, CALL = 18, PURGE_NODE = 19,
      REPLICATE_CHANGES = 20, HELD_CHANGES = 21, READ_EVENTS = 22, EVENTS = 23, CALL_ONCE = 24;
  /**
   * The count of a replica write's or a replica's chat records, which chat's own engine replicated:
   * always none now, but still in the form, which nodes of earlier versions read.
   */
  private static final int NO_RECORDS = 0;

  /** Registers the codec and selects it for every Wire record. */
  public static void register(EventBus bus) {
    WireCodec codec = new WireCodec();
    bus.registerCodec(codec);
    bus.codecSelector(body -> body instanceof Wire ? codec.name() : null);
  }

  @Override
  public void encodeToWire(Buffer b, Wire w) {
    if (w instanceof Wire.Join j) {
      b.appendByte(JOIN);
      str(b, j.room()); str(b, j.member().id()); str(b, j.member().user()); str(b, j.member().node());
      str(b, j.member().query()); str(b, j.member().attachment());
      str(b, j.clientKey()); b.appendLong(j.since());
    } else if (w instanceof Wire.Leave l) {
      b.appendByte(LEAVE);
      str(b, l.room()); str(b, l.connId());
    } else if (w instanceof Wire.Custom c) {
      b.appendByte(CUSTOM);
      str(b, c.room()); str(b, c.connId()); str(b, c.clientKey()); str(b, c.message().encode()); str(b, c.id());
    } else if (w instanceof Wire.Wake wake) {
      b.appendByte(WAKE);
      str(b, wake.room());
    } else if (w instanceof Wire.Call call) {
      // a tag of its own for a call with an idempotency key: CALL keeps the form that nodes of
      // earlier versions read
      b.appendByte(call.id() == null ? CALL : CALL_ONCE);
      str(b, call.room()); str(b, call.json());
      if (call.id() != null) {
        str(b, call.id());
      }
    } else if (w instanceof Wire.Delivery d) {
      b.appendByte(DELIVERY);
      str(b, d.room()); str(b, d.target()); str(b, d.exclude()); str(b, d.frame());
      b.appendByte(d.kind()).appendLong(d.seq());
    } else if (w instanceof Wire.Purge p && p.node() == null) {
      b.appendByte(PURGE);
      str(b, p.room());
    } else if (w instanceof Wire.Purge p) {
      // a tag of its own: PURGE keeps the form that nodes of earlier versions read
      b.appendByte(PURGE_NODE);
      str(b, p.room()); str(b, p.node());
    } else if (w instanceof Wire.Replicate rep) {
      // a tag of its own for a batch with commits of rooms of users' types: REPLICATE keeps the
      // form that nodes of earlier versions read
      boolean changes = rep.writes().stream().anyMatch(rw -> !rw.changes().isEmpty() || rw.stored() != 0);
      b.appendByte(changes ? REPLICATE_CHANGES : REPLICATE).appendInt(rep.writes().size());
      for (Wire.ReplicaWrite rw : rep.writes()) {
        str(b, rw.room()); b.appendLong(rw.epoch());
        b.appendInt(NO_RECORDS);
        if (changes) {
          changes(b, rw.changes()); b.appendLong(rw.stored());
        }
      }
    } else if (w instanceof Wire.Fenced f) {
      b.appendByte(FENCED).appendInt(f.rooms().size());
      f.rooms().forEach(room -> str(b, room));
    } else if (w instanceof Wire.Collect c) {
      b.appendByte(COLLECT);
      str(b, c.room()); b.appendLong(c.epoch());
    } else if (w instanceof Wire.Held h) {
      b.appendByte(h.changes().isEmpty() ? HELD : HELD_CHANGES).appendLong(h.epoch()).appendInt(NO_RECORDS);
      if (!h.changes().isEmpty()) {
        changes(b, h.changes());
      }
    } else if (w instanceof Wire.DropReplica d) {
      b.appendByte(DROP_REPLICA);
      str(b, d.room()); b.appendLong(d.epoch());
    } else if (w instanceof Wire.ReadEvents e) {
      b.appendByte(READ_EVENTS);
      str(b, e.room()); b.appendLong(e.since()).appendInt(e.limit());
    } else if (w instanceof Wire.Events e) {
      EventSlice slice = e.slice();
      b.appendByte(EVENTS).appendLong(slice.seq()).appendByte((byte) (slice.gap() ? 1 : 0)).appendInt(slice.events().size());
      slice.events().forEach(entry -> {
        b.appendLong(entry.seq());
        str(b, entry.json());
      });
    } else {
      throw new IllegalArgumentException("not a wire record: " + w);
    }
  }

  @Override
  public Wire decodeFromWire(int pos, Buffer b) {
    Reader r = new Reader(b, pos);
    byte tag = r.b();
    switch (tag) {
      case JOIN:
        return new Wire.Join(r.s(), new Member(r.s(), r.s(), r.s(), r.s(), r.s()), r.s(), r.l());
      case LEAVE:
        return new Wire.Leave(r.s(), r.s());
      case CUSTOM:
        return new Wire.Custom(r.s(), r.s(), r.s(), new io.vertx.core.json.JsonObject(r.s()), r.s());
      case WAKE:
        return new Wire.Wake(r.s());
      case CALL:
        return new Wire.Call(r.s(), r.s());
      case CALL_ONCE:
        return new Wire.Call(r.s(), r.s(), r.s());
      case DELIVERY:
        return new Wire.Delivery(r.s(), r.s(), r.s(), r.s(), r.b(), r.l());
      case PURGE:
        return new Wire.Purge(r.s());
      case PURGE_NODE:
        return new Wire.Purge(r.s(), r.s());
      case REPLICATE:
      case REPLICATE_CHANGES: {
        int n = r.i();
        List<Wire.ReplicaWrite> writes = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
          String room = r.s();
          long epoch = r.l();
          r.skipRecords();
          writes.add(tag == REPLICATE ? new Wire.ReplicaWrite(room, epoch, List.of(), 0)
              : new Wire.ReplicaWrite(room, epoch, r.changes(), r.l()));
        }
        return new Wire.Replicate(writes);
      }
      case FENCED: {
        int n = r.i();
        List<String> rooms = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
          rooms.add(r.s());
        }
        return new Wire.Fenced(rooms);
      }
      case COLLECT:
        return new Wire.Collect(r.s(), r.l());
      case HELD:
      case HELD_CHANGES: {
        long epoch = r.l();
        r.skipRecords();
        return new Wire.Held(epoch, tag == HELD ? List.of() : r.changes());
      }
      case DROP_REPLICA:
        return new Wire.DropReplica(r.s(), r.l());
      case READ_EVENTS:
        return new Wire.ReadEvents(r.s(), r.l(), r.i());
      case EVENTS:
        return new Wire.Events(r.events());
      default:
        throw new IllegalArgumentException("unknown wire tag " + tag);
    }
  }

  @Override
  public Wire transform(Wire w) {
    return w; // records are immutable: local delivery shares the instance
  }

  @Override
  public String name() {
    return "durable-rooms-wire";
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  private static void str(Buffer b, String s) {
    if (s == null) {
      b.appendInt(-1);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  private static void changes(Buffer b, List<Wire.HeldChange> changes) {
    b.appendInt(changes.size());
    for (Wire.HeldChange c : changes) {
      b.appendLong(c.epoch()).appendLong(c.n());
      str(b, c.change());
    }
  }

  /** Sequential reads from a buffer; argument evaluation order in Java is left to right. */
  private static final class Reader {
    private final Buffer b;
    private int pos;

    Reader(Buffer b, int pos) {
      this.b = b;
      this.pos = pos;
    }

    byte b() {
      return b.getByte(pos++);
    }

    int i() {
      int v = b.getInt(pos);
      pos += 4;
      return v;
    }

    long l() {
      long v = b.getLong(pos);
      pos += 8;
      return v;
    }

    /** Reads past a list of chat records (seq, time and five strings each), which only nodes of earlier versions send. */
    void skipRecords() {
      int n = i();
      for (int k = 0; k < n; k++) {
        l(); l(); s(); s(); s(); s(); s();
      }
    }

    EventSlice events() {
      long seq = l();
      boolean gap = b() == 1;
      int n = i();
      List<EventSlice.Entry> out = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        out.add(new EventSlice.Entry(l(), s()));
      }
      return new EventSlice(seq, out, gap);
    }

    List<Wire.HeldChange> changes() {
      int n = i();
      List<Wire.HeldChange> out = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        out.add(new Wire.HeldChange(l(), l(), s()));
      }
      return out;
    }

    String s() {
      int len = i();
      if (len < 0) {
        return null;
      }
      String v = b.getString(pos, pos + len, "UTF-8");
      pos += len;
      return v;
    }
  }
}
