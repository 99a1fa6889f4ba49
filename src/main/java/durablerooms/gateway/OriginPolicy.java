package durablerooms.gateway;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which browser Origins may open a WebSocket (ROOMS_ALLOWED_ORIGINS), against cross-site
 * WebSocket hijacking. A request without Origin does not come from a browser page and passes.
 * Entries: {@code self} (same host and port as the request's Host), {@code localhost}
 * (http(s) on localhost, 127.0.0.1 or [::1], any port), {@code *} (any), or an origin such as
 * {@code https://chat.example.com} where {@code *} matches any run of host or port characters.
 */
final class OriginPolicy {
  private static final Pattern HOST_CHARS = Pattern.compile("[a-z0-9.:\\[\\]-]*");
  private final boolean any;
  private final boolean self;
  private final boolean localhost;
  private final List<Pattern> origins = new ArrayList<>();

  private OriginPolicy(String setting) {
    boolean a = false;
    boolean s = false;
    boolean l = false;
    for (String raw : setting.split(",")) {
      String e = raw.trim().toLowerCase(Locale.ROOT);
      if (e.isEmpty()) {
        continue;
      }
      switch (e) {
        case "*" -> a = true;
        case "self" -> s = true;
        case "localhost" -> l = true;
        default -> origins.add(glob(stripSlash(e)));
      }
    }
    any = a;
    self = s;
    localhost = l;
  }

  static OriginPolicy parse(String setting) {
    return new OriginPolicy(setting);
  }

  private static Pattern glob(String origin) {
    StringBuilder re = new StringBuilder();
    for (String part : origin.split("\\*", -1)) {
      if (re.length() > 0) {
        re.append(HOST_CHARS.pattern());
      }
      re.append(Pattern.quote(part));
    }
    return Pattern.compile(re.toString());
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** Whether a WebSocket upgrade with this Origin header (null: none) and Host header may proceed. */
  boolean allows(String origin, String host) {
    if (origin == null || any) {
      return true;
    }
    String o = stripSlash(origin.trim().toLowerCase(Locale.ROOT));
    for (Pattern p : origins) {
      if (p.matcher(o).matches()) {
        return true;
      }
    }
    URI uri;
    try {
      uri = new URI(o);
    } catch (Exception e) {
      return false; // "null" (sandboxed pages, file:) and junk
    }
    String scheme = uri.getScheme();
    String h = uri.getHost();
    if (h == null || !("http".equals(scheme) || "https".equals(scheme)) || uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
      return false;
    }
    if (localhost && (h.equals("localhost") || h.equals("127.0.0.1") || h.equals("[::1]"))) {
      return true;
    }
    if (self && host != null) {
      int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
      return sameAuthority(h, port, host.trim().toLowerCase(Locale.ROOT), defaultPort(scheme));
    }
    return false;
  }

  private static int defaultPort(String scheme) {
    return "https".equals(scheme) ? 443 : 80;
  }

  /** Host header {@code host[:port]} (port absent: the origin scheme's default) against the origin's host and port. */
  private static boolean sameAuthority(String originHost, int originPort, String hostHeader, int defaultPort) {
    String h = hostHeader;
    int port = defaultPort;
    int colon = h.lastIndexOf(':');
    if (colon >= 0 && colon > h.lastIndexOf(']')) {
      try {
        port = Integer.parseInt(h.substring(colon + 1));
      } catch (NumberFormatException e) {
        return false;
      }
      h = h.substring(0, colon);
    }
    return h.equals(originHost) && port == originPort;
  }
}
