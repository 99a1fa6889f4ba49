package durablerooms.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Server-to-client WebSocket text frames, encoded whole (header and payload) into one direct
 * buffer. A server's frames are not masked, so a broadcast's bytes are the same for every
 * recipient: each socket writes a duplicate of one buffer, and Netty's WebSocket encoder (which
 * would allocate and copy per socket) passes an encoded buffer through untouched.
 */
final class TextFrames {
  private static final int FIN_TEXT = 0x81;

  private TextFrames() {}

  /** One unfragmented text frame holding {@code utf8}; the caller owns (and releases) the buffer. */
  static ByteBuf encode(byte[] utf8) {
    int n = utf8.length;
    int header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    ByteBuf frame = ByteBufAllocator.DEFAULT.directBuffer(header + n);
    frame.writeByte(FIN_TEXT);
    if (n < 126) {
      frame.writeByte(n);
    } else if (n <= 0xFFFF) {
      frame.writeByte(126);
      frame.writeShort(n);
    } else {
      frame.writeByte(127);
      frame.writeLong(n);
    }
    frame.writeBytes(utf8);
    return frame;
  }
}
