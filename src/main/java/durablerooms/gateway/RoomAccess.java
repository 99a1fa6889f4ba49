package durablerooms.gateway;

import durablerooms.config.ServerConfig;
import durablerooms.protocol.Protocol;
import durablerooms.protocol.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Private rooms: which rooms need a token (ROOMS_PRIVATE_ROOMS, matched against the whole name),
 * and the HS256 tokens signed with ROOMS_JWT_SECRET that let one user into them. A token's claims:
 * {@code room} (an exact room name) or {@code roomPattern} (a regular expression matched against
 * the whole name), {@code name} (the display name, which the user cannot change), {@code sub}
 * (optional: who the user is; the name stands for it when absent) and {@code exp} (required).
 */
public final class RoomAccess {
  private static final String ALGORITHM = "HS256";
  /** A message of the JWT library that quotes nothing: words and punctuation, no quotes or digits. */
  private static final Pattern LIBRARY_TEXT = Pattern.compile("[A-Za-z .,:;-]{1,100}");

  /**
   * What a valid token grants: a display name in the rooms its claims cover, for {@code subject},
   * until {@code expiresAt} (seconds since the epoch).
   */
  public record Grant(String name, String subject, String room, Pattern roomPattern, long expiresAt) {
    public boolean covers(String name) {
      return name.equals(room) || (roomPattern != null && roomPattern.matcher(name).matches());
    }
  }

  private final Pattern privateRooms;
  private final JWTAuth jwt;

  private RoomAccess(Pattern privateRooms, JWTAuth jwt) {
    this.privateRooms = privateRooms;
    this.jwt = jwt;
  }

  public static RoomAccess create(Vertx vertx, ServerConfig config) {
    Pattern rooms = config.privateRooms().isEmpty() ? null : Pattern.compile(config.privateRooms());
    JWTAuth jwt = config.jwtSecret().isEmpty() ? null : JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(ALGORITHM).setBuffer(config.jwtSecret())));
    return new RoomAccess(rooms, jwt);
  }

  public boolean isPrivate(String room) {
    return privateRooms != null && privateRooms.matcher(room).matches();
  }

  /** Whether any room is private: when not, the HTTP API need not look at tokens. */
  public boolean anyPrivate() {
    return privateRooms != null;
  }

  /**
   * Verifies a token (signature, expiry, claims); fails when it is absent or not valid. The
   * failure's message says why, for the server log only.
   */
  public Future<Grant> verify(String token) {
    if (token == null || token.isEmpty()) {
      return Future.failedFuture("no token");
    }
    if (jwt == null) {
      return Future.failedFuture("no ROOMS_JWT_SECRET set");
    }
    return jwt.authenticate(new TokenCredentials(token)).recover(RoomAccess::refused).compose(user -> {
      JsonObject claims = user.attributes().getJsonObject("accessToken");
      if (claims == null || !(claims.getValue("exp") instanceof Number)) {
        return Future.failedFuture("token has no exp");
      }
      String room = claims.getValue("room") instanceof String r && !r.isEmpty() ? r : null;
      String pattern = claims.getValue("roomPattern") instanceof String p && !p.isEmpty() ? p : null;
      if (room == null && pattern == null) {
        return Future.failedFuture("token has neither room nor roomPattern");
      }
      String name;
      try {
        name = Protocol.displayName(claims.getValue("name"));
      } catch (ProtocolException e) {
        return Future.failedFuture("token name: " + e.getMessage());
      }
      Pattern compiled = null;
      if (pattern != null) {
        try {
          compiled = Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
          return Future.failedFuture("token roomPattern is not a regular expression");
        }
      }
      String subject = claims.getValue("sub") instanceof String sub && !sub.isEmpty() ? sub : name;
      return Future.succeededFuture(new Grant(name, subject, room, compiled, claims.getLong("exp")));
    });
  }

  /**
   * The JWT library's refusal, reworded for the log: its message is kept only when it is one of its
   * fixed texts ("Invalid JWT token: token expired."), since a parser's message quotes the part of
   * the token it could not read.
   */
  private static <T> Future<T> refused(Throwable err) {
    String why = err.getMessage();
    return Future.failedFuture(why != null && LIBRARY_TEXT.matcher(why).matches() ? why
        : "not a readable token (" + err.getClass().getSimpleName() + ")");
  }

  /** A token for the room named {@code room} under {@code name}, valid for {@code ttlSeconds}. */
  public String mint(String room, String name, long ttlSeconds) {
    return mint(new JsonObject().put("room", room).put("name", name), ttlSeconds);
  }

  /** A token for every room whose whole name matches {@code pattern}, under {@code name}. */
  public String mintPattern(String pattern, String name, long ttlSeconds) {
    return mint(new JsonObject().put("roomPattern", pattern).put("name", name), ttlSeconds);
  }

  private String mint(JsonObject claims, long ttlSeconds) {
    if (jwt == null) {
      throw new IllegalStateException("ROOMS_JWT_SECRET is not set");
    }
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm(ALGORITHM).setExpiresInSeconds((int) ttlSeconds));
  }
}
