package durablerooms.gateway;

import durablerooms.protocol.CloseCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reassembles one socket's data frames into messages, never holding more than the frame limit
 * (ROOMS_MAX_FRAME_BYTES) and decoding text as strict UTF-8. Vert.x's own aggregation would drop
 * an oversized message without closing the socket and decode invalid UTF-8 leniently, so the
 * gateway reads frames and uses this instead.
 */
final class MessageAssembler {

  /** What the frames amount to so far. */
  interface Sink {
    void text(String message);

    void binary();

    /** The client broke a limit or the protocol: close with {@code code}. */
    void violation(CloseCode code, String reason);
  }

  private enum Kind { NONE, TEXT, BINARY }

  private final int maxBytes;
  private final Sink sink;
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private Kind kind = Kind.NONE;
  private Buffer parts;
  private long size;
  private boolean failed;

  MessageAssembler(int maxBytes, Sink sink) {
    this.maxBytes = maxBytes;
    this.sink = sink;
  }

  /** Takes one frame; control frames (ping, pong, close) are not part of a message and are ignored. */
  void frame(WebSocketFrame frame) {
    if (failed || !(frame.isText() || frame.isBinary() || frame.isContinuation())) {
      return;
    }
    if (frame.isContinuation() == (kind == Kind.NONE)) {
      fail(CloseCode.PROTOCOL_ERROR, frame.isContinuation() ? "continuation without a message" : "new message inside a fragmented one");
      return;
    }
    Buffer data = frame.binaryData();
    size += data.length();
    if (size > maxBytes) {
      fail(CloseCode.TOO_LARGE, "message larger than " + maxBytes + " bytes");
      return;
    }
    if (kind == Kind.NONE) {
      kind = frame.isText() ? Kind.TEXT : Kind.BINARY;
    }
    if (kind == Kind.TEXT) {
      if (parts == null && frame.isFinal()) {
        finish(data); // the common case: one frame, no copy
        return;
      }
      parts = parts == null ? Buffer.buffer((int) size).appendBuffer(data) : parts.appendBuffer(data);
    }
    if (frame.isFinal()) {
      finish(parts);
    }
  }

  private void finish(Buffer data) {
    Kind k = kind;
    kind = Kind.NONE;
    parts = null;
    size = 0;
    if (k == Kind.BINARY) {
      sink.binary();
      return;
    }
    String text;
    try {
      text = utf8.reset().decode(ByteBuffer.wrap(data.getBytes())).toString();
    } catch (CharacterCodingException e) {
      fail(CloseCode.INVALID_DATA, "text is not valid UTF-8");
      return;
    }
    sink.text(text);
  }

  private void fail(CloseCode code, String reason) {
    failed = true;
    parts = null;
    sink.violation(code, reason);
  }
}
