package durablerooms.support;

import durablerooms.protocol.Protocol;
import io.vertx.core.json.JsonObject;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A hand-made WebSocket client over a plain socket, for what a well-behaved client cannot do: send
 * raw, oversized or invalid frames, ignore pings, stop reading, or never finish its handshake.
 */
public final class RawWs implements AutoCloseable {
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CONTINUATION = 0x0;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;

  /** One frame from the server. */
  public record Frame(int opcode, boolean fin, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** The status code of a close frame (1005 when it has none). */
    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }
  }

  /** The server's answer to an upgrade request: its status, its head and, for a 101, the open socket. */
  public record Upgrade(int status, RawWs ws, String head) {
    /** A header's value, or null. */
    public String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }
  }

  public final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  public long bytesRead;

  private RawWs(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(new CountingStream(socket.getInputStream())));
    this.out = socket.getOutputStream();
  }

  /** A TCP connection from {@code localAddress} (null: any) with the given receive buffer (0: default). */
  public static Socket tcp(int port, String localAddress, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer); // before connect, so that the window is small from the start
    }
    if (localAddress != null) {
      s.bind(new InetSocketAddress(localAddress, 0));
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout((int) WsClient.TIMEOUT_MS);
    return s;
  }

  public static Upgrade upgrade(int port, String path, Map<String, String> headers) throws IOException {
    return upgrade(tcp(port, null, 0), path, headers);
  }

  /** Sends an upgrade request for {@code path} on {@code s} and reads the response head. */
  public static Upgrade upgrade(Socket s, String path, Map<String, String> headers) throws IOException {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Host", "127.0.0.1:" + s.getPort());
    h.put("Upgrade", "websocket");
    h.put("Connection", "Upgrade");
    h.put("Sec-WebSocket-Key", Base64.getEncoder().encodeToString(key));
    h.put("Sec-WebSocket-Version", "13");
    h.put("Sec-WebSocket-Protocol", Protocol.SUBPROTOCOL);
    h.putAll(headers);
    h.values().removeIf(String::isEmpty); // an empty value in {@code headers}: leave that header out
    StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
    h.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("\r\n");
    s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
    RawWs ws = new RawWs(s);
    String head = ws.readHead();
    int status = Integer.parseInt(head.split(" ", 3)[1]);
    if (status != 101) {
      s.close();
      return new Upgrade(status, null, head);
    }
    return new Upgrade(status, ws, head);
  }

  /** Connects and upgrades; fails unless the server answers 101. */
  public static RawWs open(int port, String path) throws IOException {
    return open(tcp(port, null, 0), path);
  }

  public static RawWs open(Socket s, String path) throws IOException {
    Upgrade u = upgrade(s, path, Map.of());
    if (u.ws() == null) {
      fail("upgrade of " + path + " answered " + u.status());
    }
    return u.ws();
  }

  private String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the handshake: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** Sends one masked frame, as a client must. */
  public void send(int opcode, byte[] payload, boolean fin) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
    f.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      f.write(0x80 | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length & 0xff);
    } else {
      f.write(0x80 | 127);
      long n = payload.length;
      for (int i = 7; i >= 0; i--) {
        f.write((int) (n >>> (8 * i)) & 0xff);
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    f.write(mask);
    byte[] masked = new byte[payload.length];
    for (int i = 0; i < payload.length; i++) {
      masked[i] = (byte) (payload[i] ^ mask[i & 3]);
    }
    f.write(masked);
    out.write(f.toByteArray());
    out.flush();
  }

  public void sendText(String text) throws IOException {
    send(TEXT, text.getBytes(StandardCharsets.UTF_8), true);
  }

  public void sendJson(JsonObject json) throws IOException {
    sendText(json.encode());
  }

  /** The next frame within {@code ms}; null if the server closed the TCP connection. */
  public Frame read(long ms) throws IOException {
    socket.setSoTimeout((int) ms);
    int b0;
    try {
      b0 = in.read();
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no frame within " + ms + " ms");
    } catch (IOException e) {
      return null; // reset
    }
    if (b0 < 0) {
      return null;
    }
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7f;
    if (len == 126) {
      len = in.readUnsignedShort();
    } else if (len == 127) {
      len = in.readLong();
    }
    byte[] payload = new byte[(int) len];
    in.readFully(payload);
    return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, payload);
  }

  /** The next text frame as JSON, skipping control frames. */
  public JsonObject nextJson() throws IOException {
    while (true) {
      Frame f = read(WsClient.TIMEOUT_MS);
      if (f == null) {
        fail("connection closed while waiting for a text frame");
      }
      if (f.opcode() == TEXT) {
        return new JsonObject(f.text());
      }
      if (f.opcode() == CLOSE) {
        fail("closed with " + f.closeCode() + " while waiting for a text frame");
      }
    }
  }

  /** The next text frame of {@code type}, skipping others. */
  public JsonObject nextOfType(String type) throws IOException {
    while (true) {
      JsonObject f = nextJson();
      if (type.equals(f.getString("type"))) {
        return f;
      }
    }
  }

  /**
   * Reads until the server's close frame and returns its code; -1 if the TCP connection ended
   * without one. Text frames before it are handed to {@code onText}.
   */
  public int awaitClose(long ms, java.util.function.Consumer<String> onText) throws IOException {
    long deadline = System.currentTimeMillis() + ms;
    while (true) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        fail("no close within " + ms + " ms");
      }
      Frame f = read(left);
      if (f == null) {
        return -1;
      }
      if (f.opcode() == CLOSE) {
        return f.closeCode();
      }
      if (f.opcode() == TEXT && onText != null) {
        onText.accept(f.text());
      }
    }
  }

  public int awaitClose(long ms) throws IOException {
    return awaitClose(ms, null);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** Counts the bytes read from the socket. */
  private final class CountingStream extends InputStream {
    private final InputStream in;

    CountingStream(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        bytesRead++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        bytesRead += n;
      }
      return n;
    }
  }
}
