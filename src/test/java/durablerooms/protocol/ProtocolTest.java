package durablerooms.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProtocolTest {
  private final Protocol protocol = new Protocol(10);

  private ErrorCode errorOf(String text) {
    return assertThrows(ProtocolException.class, () -> protocol.decode(text)).code();
  }

  @Test
  void theSeedsFrameIsAChatMessageWithoutId() throws Exception {
    assertEquals(new ClientFrame.Chat("hi", null), protocol.decode("{\"message\":\"hi\"}"));
  }

  @Test
  void everyClientFrameDecodes() throws Exception {
    assertEquals(new ClientFrame.Chat("hi", "c1"), protocol.decode("{\"type\":\"message\",\"message\":\"hi\",\"id\":\"c1\"}"));
    assertEquals(new ClientFrame.Rename("alice"), protocol.decode("{\"type\":\"name\",\"name\":\"  alice \"}"));
    assertEquals(new ClientFrame.Typing(), protocol.decode("{\"type\":\"typing\"}"));
    assertEquals(new ClientFrame.Ping(), protocol.decode("{\"type\":\"ping\"}"));
    assertEquals(new ClientFrame.HistoryRequest(5, 2), protocol.decode("{\"type\":\"history\",\"before\":5,\"limit\":2}"));
    assertEquals(new ClientFrame.HistoryRequest(0, Protocol.DEFAULT_HISTORY_PAGE), protocol.decode("{\"type\":\"history\"}"));
  }

  @Test
  void malformedJsonIsBadJson() {
    assertEquals(ErrorCode.BAD_JSON, errorOf("{nope"));
    assertEquals(ErrorCode.BAD_JSON, errorOf("[1,2]"));
    assertEquals(ErrorCode.BAD_JSON, errorOf(""));
  }

  @Test
  void wrongShapesAreBadRequests() {
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"type\":\"nope\"}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"type\":7}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"message\":{\"a\":1}}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"message\":\"   \"}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"type\":\"message\",\"message\":\"x\",\"id\":5}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"type\":\"name\",\"name\":\"a\\u0007b\"}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"type\":\"name\",\"name\":\"" + "x".repeat(65) + "\"}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"type\":\"history\",\"limit\":100000}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"type\":\"history\",\"before\":\"x\"}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{}"));
  }

  @Test
  void aMessageOverTheLimitIsTooLarge() {
    assertEquals(ErrorCode.TOO_LARGE, errorOf("{\"message\":\"" + "x".repeat(11) + "\"}"));
  }

  @Test
  void aRefusedChatMessageNamesItsId() {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> protocol.decode("{\"type\":\"message\",\"message\":\"" + "x".repeat(11) + "\",\"id\":\"m7\"}"));
    assertEquals(ErrorCode.TOO_LARGE, e.code());
    assertEquals("m7", e.id());
  }

  @Test
  void chatTextKeepsLineBreaksButNotOtherControlsOrBrokenSurrogates() throws Exception {
    assertEquals(new ClientFrame.Chat("a\nb\tc", null), protocol.decode("{\"message\":\"a\\nb\\tc\"}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"message\":\"a\\u0000b\"}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"message\":\"\\u001b[2J\"}"));
    assertEquals(ErrorCode.BAD_REQUEST, errorOf("{\"message\":\"\\ud800\"}"));
    assertEquals(new ClientFrame.Chat("😀", null), protocol.decode("{\"message\":\"\\ud83d\\ude00\"}"));
  }

  @Test
  void displayNamesAreNormalisedAndCannotHideCharacters() throws Exception {
    assertEquals("Zoë Smith", Protocol.displayName("  Zoe\u0308 \t  Smith "), "NFC, one space, trimmed");
    assertEquals("👩‍💻", Protocol.displayName("👩\u200D💻"), "the emoji joiner stays");
    for (String bad : new String[] {"\u202Eadmin", "ad\u200Bmin", "a\u0000", "\ud800x", "\u2028", " ", ""}) {
      ProtocolException e = assertThrows(ProtocolException.class, () -> Protocol.displayName(bad), bad);
      assertEquals(ErrorCode.BAD_REQUEST, e.code());
    }
  }

  @Test
  void roomNamesFollowTheDesign() {
    assertTrue(Protocol.validRoomName("general"));
    assertTrue(Protocol.validRoomName("a.b-c_D9"));
    assertFalse(Protocol.validRoomName(""));
    assertFalse(Protocol.validRoomName("x".repeat(65)));
    assertFalse(Protocol.validRoomName("with space"));
    assertFalse(Protocol.validRoomName("ümlaut"));
  }
}
