package durablerooms.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP sockets a process listens on, read from Linux's /proc: every one of them, whoever opened
 * it (Hazelcast, the event bus, the HTTP server, or a port nobody meant to open), which asking each
 * component for its address would not show.
 */
public final class ListeningSockets {
  private static final String LISTEN = "0A";

  private ListeningSockets() {}

  /** Whether this machine shows processes' sockets in /proc (Linux, and the right to read the process's fds). */
  public static boolean readable(long pid) {
    return Files.isReadable(Path.of("/proc/net/tcp")) && Files.isReadable(Path.of("/proc", String.valueOf(pid), "fd"));
  }

  /** The local addresses of the sockets that process {@code pid} listens on. */
  public static List<InetSocketAddress> of(long pid) {
    Set<String> inodes = socketInodes(pid);
    List<InetSocketAddress> found = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of(table));
      } catch (IOException noIpv6) {
        continue;
      }
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals(LISTEN) && inodes.contains(f[9])) {
          found.add(address(f[1]));
        }
      }
    }
    return found;
  }

  private static Set<String> socketInodes(long pid) {
    Set<String> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException closedMeanwhile) {
          // the fd closed between the listing and the read
        }
      }
    } catch (IOException e) {
      throw new AssertionError("cannot read the sockets of process " + pid + ": " + e, e);
    }
    return inodes;
  }

  /**
   * {@code 0200007F:1F90} (IPv4) or 32 hex digits (IPv6) and a port: the address is in 32-bit words
   * of the machine's byte order (little-endian on x86 and ARM), the port big-endian.
   */
  private static InetSocketAddress address(String hex) {
    String[] parts = hex.split(":");
    String a = parts[0];
    byte[] bytes = new byte[a.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int i = 0; i < 4; i++) {
        int at = (word * 4 + (3 - i)) * 2;
        bytes[word * 4 + i] = (byte) Integer.parseInt(a.substring(at, at + 2), 16);
      }
    }
    try {
      // an IPv4-mapped IPv6 address (a Java socket on a dual stack) comes back as the IPv4 one
      return new InetSocketAddress(InetAddress.getByAddress(bytes), Integer.parseInt(parts[1], 16));
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
