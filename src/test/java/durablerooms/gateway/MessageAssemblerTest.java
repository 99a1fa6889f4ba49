package durablerooms.gateway;

import durablerooms.protocol.CloseCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MessageAssemblerTest {
  private final List<String> events = new ArrayList<>();
  private final MessageAssembler assembler = new MessageAssembler(10, new MessageAssembler.Sink() {
    @Override
    public void text(String message) {
      events.add("text:" + message);
    }

    @Override
    public void binary() {
      events.add("binary");
    }

    @Override
    public void violation(CloseCode code, String reason) {
      events.add("close:" + code.code());
    }
  });

  private static Buffer bytes(String s) {
    return Buffer.buffer(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void wholeAndFragmentedMessagesComeOutWhole() {
    assembler.frame(WebSocketFrame.textFrame("hello", true));
    assembler.frame(WebSocketFrame.textFrame("he", false));
    assembler.frame(WebSocketFrame.continuationFrame(bytes("ll"), false));
    assembler.frame(WebSocketFrame.pingFrame(bytes("p"))); // control frames may come in between
    assembler.frame(WebSocketFrame.continuationFrame(bytes("o!"), true));
    assembler.frame(WebSocketFrame.binaryFrame(bytes("bin"), false));
    assembler.frame(WebSocketFrame.continuationFrame(bytes("ary"), true));
    assertEquals(List.of("text:hello", "text:hello!", "binary"), events);
  }

  /** A text frame with any bytes (the public factory only takes a String). */
  private static WebSocketFrame rawText(byte[] payload, boolean fin) {
    return new WebSocketFrameImpl(WebSocketFrameType.TEXT, payload, fin);
  }

  @Test
  void aCharacterSplitAcrossFramesIsDecodedWhole() {
    byte[] e = "é".getBytes(StandardCharsets.UTF_8);
    assembler.frame(rawText(new byte[] {'a', e[0]}, false));
    assembler.frame(WebSocketFrame.continuationFrame(Buffer.buffer(new byte[] {e[1]}), true));
    assertEquals(List.of("text:aé"), events);
  }

  @Test
  void moreThanTheLimitAcrossFramesIsTooLarge() {
    assembler.frame(WebSocketFrame.textFrame("123456", false));
    assembler.frame(WebSocketFrame.continuationFrame(bytes("78901"), true));
    assertEquals(List.of("close:1009"), events);
    assembler.frame(WebSocketFrame.textFrame("ok", true));
    assertEquals(List.of("close:1009"), events, "nothing after a violation");
  }

  @Test
  void exactlyTheLimitPasses() {
    assembler.frame(WebSocketFrame.textFrame("1234567890", true));
    assertEquals(List.of("text:1234567890"), events);
  }

  @Test
  void invalidUtf8IsInvalidData() {
    assembler.frame(rawText(new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, true));
    assertEquals(List.of("close:1007"), events);
  }

  @Test
  void continuationWithoutAStartIsAProtocolError() {
    assembler.frame(WebSocketFrame.continuationFrame(bytes("x"), true));
    assertEquals(List.of("close:1002"), events);
  }
}
