package durablerooms;

import durablerooms.config.ConfigException;
import durablerooms.config.ServerConfig;
import durablerooms.gateway.RoomAccess;
import durablerooms.protocol.Protocol;
import durablerooms.protocol.ProtocolException;
import io.vertx.core.Vertx;

import java.nio.file.Path;

/**
 * Prints a private-room token for testing: {@code ./run.sh token [--pattern] ROOM NAME [TTL_SECONDS]}
 * (with --pattern, ROOM is a regular expression of room names), signed with ROOMS_JWT_SECRET from
 * conf/config.json or the environment, like a node would read it.
 */
public final class TokenTool {
  private static final long DEFAULT_TTL_SECONDS = 3600;

  private TokenTool() {}

  public static void main(String[] args) {
    boolean pattern = args.length > 0 && args[0].equals("--pattern");
    if (pattern) {
      args = java.util.Arrays.copyOfRange(args, 1, args.length);
    }
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: ./run.sh token [--pattern] ROOM NAME [TTL_SECONDS]"
          + "  (ROOM: a room name; with --pattern, a regular expression of room names)");
      System.exit(2);
      return;
    }
    Vertx vertx = null;
    try {
      ServerConfig config = ServerConfig.load(Path.of("conf/config.json"), System.getenv());
      if (config.jwtSecret().isEmpty()) {
        throw new ConfigException("ROOMS_JWT_SECRET is not set");
      }
      String name = Protocol.displayName(args[1]);
      long ttl = args.length == 3 ? Long.parseLong(args[2]) : DEFAULT_TTL_SECONDS;
      if (ttl < 1 || ttl > Integer.MAX_VALUE) {
        throw new ConfigException("TTL_SECONDS must be between 1 and " + Integer.MAX_VALUE);
      }
      vertx = Vertx.vertx();
      RoomAccess access = RoomAccess.create(vertx, config);
      System.out.println(pattern ? access.mintPattern(args[0], name, ttl) : access.mint(args[0], name, ttl));
    } catch (ConfigException | ProtocolException | NumberFormatException e) {
      System.err.println("durable-rooms token: " + e.getMessage());
      System.exit(2);
    } finally {
      if (vertx != null) {
        vertx.close();
      }
    }
  }
}
