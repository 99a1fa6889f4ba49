package durablerooms.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 by hand over a plain socket, for what java.net.http cannot do: send from a chosen
 * loopback address, use any method, announce a body and never send it, or hold a connection idle.
 */
public final class RawHttp {
  private RawHttp() {}

  /** A response: its status, its headers (names in lower case) and its body. */
  public record Response(int status, Map<String, String> headers, String body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** A connection from {@code from} (null: any loopback address). */
  public static Socket connect(int port, String from) throws IOException {
    return RawWs.tcp(port, from, 0);
  }

  /** One request on a new connection, which the server is asked to close after it. */
  public static Response get(int port, String from, String path) throws IOException {
    try (Socket s = connect(port, from)) {
      send(s, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      return read(s);
    }
  }

  public static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  /** Reads one response (a body of Content-Length bytes, or none). */
  public static Response read(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("closed before a whole response head: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ", 3)[1]);
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new EOFException("closed after " + body.length + " of " + length + " body bytes");
    }
    return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  /** Whether the server closes (or resets) the connection within {@code ms}; any byte it sends first is skipped. */
  public static boolean closedWithin(Socket s, long ms) throws IOException {
    long deadline = System.nanoTime() + ms * 1_000_000;
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return false;
      }
      s.setSoTimeout((int) left);
      try {
        if (s.getInputStream().read() < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        return false;
      } catch (IOException reset) {
        return true;
      }
    }
  }
}
