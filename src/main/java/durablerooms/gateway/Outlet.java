package durablerooms.gateway;

import durablerooms.cluster.Wire;
import durablerooms.protocol.SeedFrames;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The sockets of one gateway event loop, and per room those admitted to its broadcasts (they got
 * their PRESENCE). Every gateway loop of a node receives each of the node's deliveries (a publish)
 * and writes it to its own sockets, so socket writes happen on the socket's own loop, in parallel
 * over the loops, and in the order the room sent them. Touched on its event loop only.
 */
final class Outlet {
  /** The sockets' maximum frame size: a longer frame is sent in fragments. */
  private final int maxFrameBytes;
  private final Map<String, Connection> byId = new HashMap<>();
  private final Map<String, List<Connection>> admitted = new HashMap<>();

  Outlet(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  void add(Connection c) {
    byId.put(c.id(), c);
  }

  void remove(Connection c) {
    byId.remove(c.id());
    List<Connection> members = admitted.get(c.room());
    if (members != null && members.remove(c) && members.isEmpty()) {
      admitted.remove(c.room());
    }
  }

  /** This loop's open sockets. */
  Collection<Connection> connections() {
    return byId.values();
  }

  /**
   * Writes a delivered frame to this loop's sockets it is for and returns how many it was written
   * to. A chat message is written to a socket only if its seq is past what the socket has: replays
   * after a failover never show a message twice.
   */
  int deliver(Wire.Delivery d) {
    if (d.target() != null) {
      Connection c = byId.get(d.target());
      if (c == null) {
        return 0; // another loop's socket, or gone
      }
      if (d.kind() == Wire.Delivery.CLOSE) {
        c.closeWith((short) d.seq(), d.frame());
        return 0;
      }
      if (d.kind() == Wire.Delivery.ADMIT) {
        c.lastSeq = d.seq();
        admitted.computeIfAbsent(c.room(), r -> new ArrayList<>()).add(c);
      } else if (d.kind() == Wire.Delivery.ACK) {
        c.lastSeq = Math.max(c.lastSeq, d.seq());
      } else if (d.kind() == Wire.Delivery.MESSAGE && !advance(c, d.seq())) {
        return 0;
      }
      c.write(d.frame());
      return 1;
    }
    List<Connection> members = admitted.get(d.room());
    if (members == null) {
      return 0;
    }
    boolean message = d.kind() == Wire.Delivery.MESSAGE;
    // seed-protocol sockets get the frame's seed form, made once per delivery when one is met
    String seedFrame = null;
    boolean seedMade = false;
    byte[] utf8 = d.frame().getBytes(StandardCharsets.UTF_8);
    // encoded once for all recipients, WebSocket header included (a longer one goes in fragments)
    ByteBuf frame = utf8.length <= maxFrameBytes ? TextFrames.encode(utf8) : null;
    int written = 0;
    try {
      for (int i = 0, n = members.size(); i < n; i++) {
        Connection c = members.get(i);
        if (message && !advance(c, d.seq())) {
          continue;
        }
        if (!c.id().equals(d.exclude())) {
          if (c.seed()) {
            if (!seedMade) {
              seedFrame = SeedFrames.translate(d.frame());
              seedMade = true;
            }
            if (seedFrame == null) {
              continue;
            }
            if (seedFrame != d.frame()) { // a SYSTEM line made for seed clients
              c.write(seedFrame);
              written++;
              continue;
            }
          }
          if (frame != null) {
            c.writeFrame(frame);
          } else {
            c.writeEncoded(utf8);
          }
          written++;
        }
      }
    } finally {
      if (frame != null) {
        frame.release();
      }
    }
    return written;
  }

  private static boolean advance(Connection c, long seq) {
    if (seq <= c.lastSeq) {
      return false;
    }
    c.lastSeq = seq;
    return true;
  }
}
