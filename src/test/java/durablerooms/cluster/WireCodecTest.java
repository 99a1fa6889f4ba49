package durablerooms.cluster;

import durablerooms.state.Member;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class WireCodecTest {
  private final WireCodec codec = new WireCodec();

  @Test
  void everyRecordSurvivesTheWire() {
    List<Wire> all = List.of(
        new Wire.Join("room", new Member("c1", "änn 🎉", "node-1"), "c:dev", 41),
        new Wire.Join("room", new Member("c1", "ann", "node-1"), "c1", -1),
        new Wire.Leave("room", "c1"),
        new Wire.Delivery("room", null, "c1", "{\"type\":\"MESSAGE\"}", Wire.Delivery.MESSAGE, 12),
        new Wire.Delivery("room", "c2", null, "{}", Wire.Delivery.ADMIT, 3),
        new Wire.Purge("room"),
        new Wire.Purge("room", "node-2"),
        new Wire.Replicate(List.of(new Wire.ReplicaWrite("room", 3, List.of(), 0),
            new Wire.ReplicaWrite("other", 1, List.of(), 0))),
        new Wire.Fenced(List.of("room", "other")),
        new Wire.Collect("room", 4),
        new Wire.Held(0, List.of()),
        new Wire.Replicate(List.of(new Wire.ReplicaWrite("ledger/r", 2,
            List.of(new Wire.HeldChange(2, 7, "{\"values\":{}}"), new Wire.HeldChange(2, 8, "{}")), 6),
            new Wire.ReplicaWrite("room", 3, List.of(), 0))),
        new Wire.Held(2, List.of(new Wire.HeldChange(1, 4, "{}"))),
        new Wire.DropReplica("room", 3),
        new Wire.ReadEvents("ledger/r", 5, 100),
        new Wire.Events(new durablerooms.state.EventSlice(9, List.of(new durablerooms.state.EventSlice.Entry(8, "{\"n\":\"ä\"}"),
            new durablerooms.state.EventSlice.Entry(9, "{}")), true)),
        new Wire.Events(new durablerooms.state.EventSlice(0, List.of(), false)),
        new Wire.Join("ledger/r", new Member("c1", "ann", "node-1", "{\"name\":\"ann\"}", "{\"seat\":2}"), "c:dev", 0),
        new Wire.Custom("ledger/r", "c1", "c:dev", new io.vertx.core.json.JsonObject().put("op", "move").put("cell", 4), "m-1"),
        new Wire.Custom("ledger/r", "c1", "c1", new io.vertx.core.json.JsonObject(), null),
        new Wire.Wake("ledger/r"),
        new Wire.Call("ledger/r", "{\"n\":5}"),
        new Wire.Call("ledger/r", "{}", "call-7"),
        new Wire.Delivery("ledger/r", "c2", null, "kicked", Wire.Delivery.CLOSE, 4001));
    for (Wire w : all) {
      Buffer b = Buffer.buffer().appendString("prefix");
      codec.encodeToWire(b, w);
      assertEquals(w, codec.decodeFromWire(6, b));
    }
  }

  /** A string as the codec writes it: its UTF-8 length, then its bytes. */
  private static void str(Buffer b, String s) {
    byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  @Test
  void aReplicaWriteAndAReplicaOfAnEarlierVersionDecodeWithoutTheirChatRecords() {
    Buffer write = Buffer.buffer().appendByte((byte) 9).appendInt(1); // REPLICATE, one room
    str(write, "room");
    write.appendLong(3).appendInt(1).appendLong(8).appendLong(1700000000000L); // one chat record
    for (String field : List.of("änn", "c1", "hi 🎉", "m-1", "c:dev/m-1")) {
      str(write, field);
    }
    assertEquals(new Wire.Replicate(List.of(new Wire.ReplicaWrite("room", 3, List.of(), 0))),
        codec.decodeFromWire(0, write));
    Buffer held = Buffer.buffer().appendByte((byte) 12).appendLong(3).appendInt(1).appendLong(8).appendLong(1); // HELD
    for (int i = 0; i < 5; i++) {
      held.appendInt(-1); // absent fields
    }
    assertEquals(new Wire.Held(3, List.of()), codec.decodeFromWire(0, held));
  }

  @Test
  void localDeliverySharesTheInstance() {
    Wire w = new Wire.Leave("r", "c");
    assertSame(w, codec.transform(w));
  }
}
