package durablerooms.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PayloadTest {
  @Test
  void theTextHasTheRequestedSizeAndStartsWithTheMarker() {
    String text = Payload.text(42, 7, 123456, 64);
    assertEquals(64, text.length());
    assertTrue(text.startsWith("~42~7~123456~x"));
  }

  @Test
  void aLongMarkerIsNotCutToTheSize() {
    assertEquals("~1~2~3~", Payload.text(1, 2, 3, 4));
  }

  @Test
  void clientFramesAreTheSeedFormOrCarryAnId() {
    assertEquals("hi", new JsonObject(Payload.frame("hi", null)).getString("message"));
    assertEquals(1, new JsonObject(Payload.frame("hi", null)).size());
    JsonObject withId = new JsonObject(Payload.frame("hi", "3-99"));
    assertEquals("message", withId.getString("type"));
    assertEquals("3-99", withId.getString("id"));
  }

  @Test
  void framesAreToldApartByTheirType() {
    assertEquals(Payload.Kind.SYSTEM, kind("{\"type\":\"SYSTEM\",\"message\":\"Welcome to the chat room!\"}"));
    assertEquals(Payload.Kind.PRESENCE, kind("{\"type\":\"PRESENCE\",\"members\":[],\"seq\":0}"));
    assertEquals(Payload.Kind.MESSAGE, kind("{\"type\":\"MESSAGE\",\"user\":\"a\",\"message\":\"x\"}"));
    assertEquals(Payload.Kind.ACK, kind("{\"type\":\"ACK\",\"id\":\"1\",\"seq\":2,\"ts\":3}"));
    assertEquals(Payload.Kind.ERROR, kind("{\"type\":\"ERROR\",\"code\":\"bad_json\"}"));
    assertEquals(Payload.Kind.OTHER, kind("{\"type\":\"PONG\"}"));
    assertEquals(Payload.Kind.OTHER, kind("{\"type\":\"MESSAGES\",\"x\":1}"));
    assertEquals(Payload.Kind.OTHER, kind("{\"message\":\"x\",\"type\":\"MESSAGE\"}"));
    assertEquals(Payload.Kind.OTHER, kind(""));
  }

  @Test
  void theMarkerIsReadFromBothServersMessageFrames() {
    String text = Payload.text(12, 34, 5678, 64);
    String rooms = new JsonObject().put("type", "MESSAGE").put("user", "b12").put("message", text)
        .put("seq", 99).put("ts", 1).encode();
    String seed = new JsonObject().put("type", "MESSAGE").put("user", "Anonymous").put("message", text).encode();
    for (String frame : new String[] {rooms, seed}) {
      Payload.Marker m = new Payload.Marker();
      assertTrue(Payload.marker(Buffer.buffer(frame), m), frame);
      assertEquals(12, m.sender);
      assertEquals(34, m.seq);
      assertEquals(5678, m.micros);
    }
  }

  @Test
  void aMessageWithoutACompleteMarkerIsNotOurs() {
    Payload.Marker m = new Payload.Marker();
    assertFalse(Payload.marker(Buffer.buffer("{\"type\":\"MESSAGE\",\"message\":\"hello\"}"), m));
    assertFalse(Payload.marker(Buffer.buffer("{\"type\":\"MESSAGE\",\"message\":\"~1~2\"}"), m));
    assertFalse(Payload.marker(Buffer.buffer("{\"type\":\"MESSAGE\",\"message\":\"~a~2~3~\"}"), m));
  }

  private static Payload.Kind kind(String s) {
    return Payload.kind(Buffer.buffer(s));
  }
}
