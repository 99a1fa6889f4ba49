package durablerooms.config;

import durablerooms.storage.EmbeddedStore;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Every setting of a node, with its unit and default; read from conf/config.json (or the file
 * named by {@code -conf}) and overridden by ROOMS_* environment variables. A value the node cannot
 * start with is a {@link ConfigException} that names where it came from.
 */
public record ServerConfig(
    String httpHost,
    int httpPort,
    String tlsCert,
    String tlsKey,
    String clusterName,
    String clusterHost,
    String clusterConfig,
    int clusterPort,
    List<String> clusterMembers,
    String clusterDiscovery,
    String kubernetesServiceDns,
    long idleTimeoutMs,
    int historyLimit,
    long messageTtlMs,
    long requestTimeoutMs,
    int gatewayInstances,
    int eventLoops,
    String durability,
    String dataDir,
    String storeUrl,
    String storeUser,
    String storePassword,
    String pluginsDir,
    int storageMaxBytes,

    int maxFrameBytes,
    int maxMessageChars,
    int ratePerSec,
    int rateBurst,
    int errorBudget,
    int errorRefillPerSec,
    int maxConnectionsPerIp,
    int newRoomsPerMin,
    int maxMembers,
    int maxQueuedBytes,
    long pingIntervalMs,
    long pingTimeoutMs,
    long handshakeTimeoutMs,
    int maxHttpConnectionsPerIp,
    long httpRequestDeadlineMs,
    int maxPageBytes,
    int apiRatePerSec,
    int apiBurst,
    String allowedOrigins,
    String privateRooms,
    String jwtSecret,
    String apiKey,
    String webhookUrl,
    String webhookSecret,
    int webhookMaxPending,
    String logFormat,
    int warmupSec,
    int wakeCacheMb) {

  /** The file read when no {@code -conf} is given; a node starts with the defaults without it. */
  public static final Path DEFAULT_FILE = Path.of("conf", "config.json");
  /**
   * The most ROOMS_MAX_MESSAGE_CHARS may be: a chat message is a room event, at most 128 KiB of
   * JSON, and its text at most doubles as JSON (quotes, backslashes, tabs and line breaks are
   * escaped; other control characters are refused). A longer limit would let through messages that
   * the room then fails with room_error instead of too_large.
   */
  public static final int MAX_MESSAGE_CHARS = 60_000;

  /** One documented setting: its environment variable, its key in config.json and its default. */
  public record Setting(String env, String key, String defaultValue, String meaning) {}

  public static final List<Setting> SETTINGS = List.of(
      new Setting("ROOMS_HTTP_HOST", "httpHost", "127.0.0.1", "interface the HTTP/WebSocket server binds to"),
      new Setting("ROOMS_HTTP_PORT", "httpPort", "8080", "HTTP/WebSocket port"),
      new Setting("ROOMS_TLS_CERT", "tlsCert", "",
          "PEM file of the certificate (chain) that makes the HTTP port serve https:// and wss://; empty = plain HTTP; needs ROOMS_TLS_KEY"),
      new Setting("ROOMS_TLS_KEY", "tlsKey", "", "PEM file of that certificate's private key, unencrypted; needs ROOMS_TLS_CERT"),
      new Setting("ROOMS_CLUSTER_NAME", "clusterName", "durable-rooms", "Hazelcast cluster name; nodes with the same name join"),
      new Setting("ROOMS_CLUSTER_HOST", "clusterHost", "127.0.0.1",
          "address the node's Hazelcast and clustered event bus bind to and other nodes reach it at (not a wildcard)"),
      new Setting("ROOMS_CLUSTER_CONFIG", "clusterConfig", "conf/cluster.xml", "Hazelcast XML (falls back to the copy in the jar)"),
      new Setting("ROOMS_CLUSTER_PORT", "clusterPort", "5701", "first Hazelcast port; the next free one up to +19 is taken"),
      new Setting("ROOMS_CLUSTER_MEMBERS", "clusterMembers", "",
          "other nodes to join, comma-separated host or host:port (Hazelcast's TCP-IP member list); empty = the cluster file's"),
      new Setting("ROOMS_CLUSTER_DISCOVERY", "clusterDiscovery", "tcp",
          "how nodes find each other: tcp (the member list) or kubernetes (Hazelcast's DNS lookup of a headless service)"),
      new Setting("ROOMS_KUBERNETES_SERVICE_DNS", "kubernetesServiceDns", "",
          "with ROOMS_CLUSTER_DISCOVERY=kubernetes: DNS name of the headless service of the nodes"),
      new Setting("ROOMS_IDLE_TIMEOUT_MS", "idleTimeoutMs", "30000", "ms without events before a room hibernates"),
      new Setting("ROOMS_HISTORY_LIMIT", "historyLimit", "1000", "messages kept per room"),
      new Setting("ROOMS_MESSAGE_TTL", "messageTtl", "0",
          "how long a chat message is kept: 0 = until ROOMS_HISTORY_LIMIT newer ones push it out; else e.g. 90s, 30m, 24h, 7d"),
      new Setting("ROOMS_REQUEST_TIMEOUT_MS", "requestTimeoutMs", "5000", "ms a gateway waits for a room to answer (a room waits a quarter of it for its replica)"),
      new Setting("ROOMS_GATEWAY_INSTANCES", "gatewayInstances", "0", "gateway verticles; 0 = one per core (at most one per event loop)"),
      new Setting("ROOMS_EVENT_LOOPS", "eventLoops", "0",
          "event-loop threads; 0 = one per core; fewer when several nodes share a machine"),
      new Setting("ROOMS_DURABILITY", "durability", "memory",
          "memory: ACK once in the memory of two nodes (on disk in a one-node cluster); disk: ACK once on disk"),
      new Setting("ROOMS_DATA_DIR", "dataDir", "./data", "folder of the embedded store (SQLite; shared by the nodes of a machine) and of the node's journal"),
      new Setting("ROOMS_STORE_URL", "storeUrl", "", "JDBC URL of a shared store (e.g. PostgreSQL); empty = embedded SQLite in ROOMS_DATA_DIR"),
      new Setting("ROOMS_STORE_USER", "storeUser", "", "user for ROOMS_STORE_URL"),
      new Setting("ROOMS_STORE_PASSWORD", "storePassword", "", "password for ROOMS_STORE_URL"),
      new Setting("ROOMS_PLUGINS_DIR", "pluginsDir", "plugins", "folder of room type jars loaded at start (a missing folder: none)"),
      new Setting("ROOMS_STORAGE_MAX_BYTES", "storageMaxBytes", "10485760", "bytes of keys and values one room of a room type may store; more: ERROR storage_full"),

      // limits and security (docs/security.md)
      new Setting("ROOMS_MAX_FRAME_BYTES", "maxFrameBytes", "65536", "largest WebSocket frame or message a client may send; larger: close 1009"),
      new Setting("ROOMS_MAX_MESSAGE_CHARS", "maxMessageChars", "4000", "longest chat message, at most " + MAX_MESSAGE_CHARS + "; longer: ERROR too_large"),
      new Setting("ROOMS_RATE_PER_SEC", "ratePerSec", "20", "frames per second a connection may send to its room (token bucket refill)"),
      new Setting("ROOMS_RATE_BURST", "rateBurst", "40", "burst of frames a connection may send to its room (token bucket size)"),
      new Setting("ROOMS_ERROR_BUDGET", "errorBudget", "20", "errors (invalid or rate-limited frames) a connection may make in a burst; then close 1008"),
      new Setting("ROOMS_ERROR_REFILL_PER_SEC", "errorRefillPerSec", "1", "errors per second added back to the error budget"),
      new Setting("ROOMS_MAX_CONNECTIONS_PER_IP", "maxConnectionsPerIp", "1000", "WebSocket connections per client IP on a node; more: HTTP 429"),
      new Setting("ROOMS_NEW_ROOMS_PER_MIN", "newRoomsPerMin", "60",
          "rooms never seen before that one client IP may open per minute on a node (a burst of as many); more: HTTP 429"),
      new Setting("ROOMS_MAX_MEMBERS", "maxMembers", "10000", "members per room; more: ERROR room_full, close 1013"),
      new Setting("ROOMS_MAX_QUEUED_BYTES", "maxQueuedBytes", "1048576", "unsent bytes a socket may queue; more: close 1013 (slow reader)"),
      new Setting("ROOMS_PING_INTERVAL_MS", "pingIntervalMs", "25000", "ms of client silence after which the server sends a WebSocket ping"),
      new Setting("ROOMS_PING_TIMEOUT_MS", "pingTimeoutMs", "10000", "ms a client has to answer a ping (or a close) before it is dropped"),
      new Setting("ROOMS_HANDSHAKE_TIMEOUT_MS", "handshakeTimeoutMs", "10000", "ms a new TCP connection has to send its first HTTP request"),
      new Setting("ROOMS_MAX_HTTP_CONNECTIONS_PER_IP", "maxHttpConnectionsPerIp", "100",
          "TCP connections per client IP on a node that are not WebSockets (HTTP, or before the upgrade); more: closed at once"),
      new Setting("ROOMS_HTTP_REQUEST_DEADLINE_MS", "httpRequestDeadlineMs", "15000",
          "ms an HTTP request has, from its head, to be read whole and answered; then its connection is closed"),
      new Setting("ROOMS_MAX_PAGE_BYTES", "maxPageBytes", "262144",
          "bytes of one GET /api/rooms/{room}/messages answer; a longer page stops early and says next"),
      new Setting("ROOMS_API_RATE_PER_SEC", "apiRatePerSec", "10", "requests per second a client IP may make to /api/* on a node (token bucket refill)"),
      new Setting("ROOMS_API_BURST", "apiBurst", "50", "burst of /api/* requests a client IP may make (token bucket size); more: HTTP 429"),
      new Setting("ROOMS_ALLOWED_ORIGINS", "allowedOrigins", "self,localhost", "Origins allowed to open a WebSocket (comma-separated); others: HTTP 403"),
      new Setting("ROOMS_PRIVATE_ROOMS", "privateRooms", "", "regex of private room names (whole name); empty = none"),
      new Setting("ROOMS_JWT_SECRET", "jwtSecret", "", "HS256 secret of private-room tokens (at least 32 bytes)"),
      new Setting("ROOMS_WEBHOOK_URL", "webhookUrl", "", "http(s) URL the cluster POSTs room events to (occupied, vacated, hibernated, woken, emitted); empty = none"),
      new Setting("ROOMS_WEBHOOK_SECRET", "webhookSecret", "", "HMAC-SHA256 key that signs each webhook (X-Rooms-Signature), at least 16 characters; required with ROOMS_WEBHOOK_URL"),
      new Setting("ROOMS_WEBHOOK_MAX_PENDING", "webhookMaxPending", "100000", "webhooks kept waiting while the receiver fails; past it the oldest are dropped"),
      new Setting("ROOMS_API_KEY", "apiKey", "", "bearer key of calls into rooms (POST /api/rooms/{type}/{room}), at least 16 characters; empty = calls refused (403)"),

      // operations (docs/operations.md)
      new Setting("ROOMS_LOG_FORMAT", "logFormat", "text", "text: one readable line per event; json: one JSON object per line"),
      new Setting("ROOMS_WARMUP_SEC", "warmupSec", "30",
          "most seconds of chat traffic through a private node of its own before the node starts (it stops once its speed levels off), so that it serves at its warm speed from /ready on; 0 = none"),
      new Setting("ROOMS_WAKE_CACHE_MB", "wakeCacheMb", "64",
          "MiB of the state of rooms that went to sleep on this node kept in its memory, so that they wake here without reading the store (those asleep longest go first); 0 = none"));

  /** Reads {@code configFile} if it exists (the defaults apply without it), then the environment. */
  public static ServerConfig load(Path configFile, Map<String, String> env) {
    return load(configFile, false, env);
  }

  /**
   * Reads {@code configFile} (which must exist when {@code required}: it was named with -conf) and
   * then the environment: a ROOMS_* variable wins over the file, the file over the default.
   */
  public static ServerConfig load(Path configFile, boolean required, Map<String, String> env) {
    JsonObject file = read(configFile, required);
    Set<String> known = new HashSet<>();
    SETTINGS.forEach(s -> known.add(s.key()));
    for (String key : file.fieldNames()) {
      if (!known.contains(key)) {
        throw new ConfigException(configFile + ": unknown key \"" + key + "\" (--help lists the settings)");
      }
    }
    Values v = new Values();
    for (Setting s : SETTINGS) {
      Object fromFile = file.getValue(s.key());
      if (env.containsKey(s.env())) {
        v.put(s.env(), env.get(s.env()), s.env());
      } else if (fromFile != null) {
        v.put(s.env(), String.valueOf(fromFile), configFile + ": " + s.key());
      } else {
        v.put(s.env(), s.defaultValue(), s.env());
      }
    }
    return fromValues(v);
  }

  /** The raw value of each setting and where it came from (its variable, or its key in the file), for errors. */
  private static final class Values {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> sources = new HashMap<>();

    void put(String env, String value, String source) {
      values.put(env, value);
      sources.put(env, source);
    }

    String get(String env) {
      return values.get(env);
    }

    /** Where to fix a setting: {@code ROOMS_HTTP_PORT}, or {@code conf/config.json: httpPort}. */
    String name(String env) {
      return sources.get(env);
    }

    /** A ConfigException naming the place to fix and the value: {@code ROOMS_HTTP_PORT=eighty: why}. */
    ConfigException bad(String env, String why) {
      return new ConfigException(name(env) + "=" + values.get(env).trim() + ": " + why);
    }
  }

  private static JsonObject read(Path configFile, boolean required) {
    if (!Files.exists(configFile)) {
      if (required) {
        throw new ConfigException(configFile + ": no such file");
      }
      return new JsonObject();
    }
    String text;
    try {
      text = Files.readString(configFile);
    } catch (Exception e) {
      throw new ConfigException(configFile + ": cannot be read (" + e + ")");
    }
    try {
      return new JsonObject(text);
    } catch (Exception e) {
      throw new ConfigException(configFile + ": not valid JSON (" + firstLine(e.getMessage()) + ")");
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** Every setting as the --help text lists it: variable, config.json key, default, meaning. */
  public static String describe() {
    StringBuilder out = new StringBuilder();
    out.append(String.format("  %-33s %-23s %-17s %s%n", "environment variable", "config.json key", "default", "meaning"));
    for (Setting s : SETTINGS) {
      String def = s.defaultValue().isEmpty() ? "(empty)" : s.defaultValue();
      out.append(String.format("  %-33s %-23s %-17s %s%n", s.env(), s.key(), def, s.meaning()));
    }
    return out.toString();
  }

  /** Defaults with the given settings (by environment variable name) applied: no file is read. */
  public static ServerConfig of(Map<String, String> settings) {
    return load(Path.of("/nonexistent"), settings);
  }

  private static ServerConfig fromValues(Values v) {
    ServerConfig c = new ServerConfig(
        v.get("ROOMS_HTTP_HOST"),
        intValue(v, "ROOMS_HTTP_PORT", 0, 65535),
        optional(v, "ROOMS_TLS_CERT"),
        optional(v, "ROOMS_TLS_KEY"),
        text(v, "ROOMS_CLUSTER_NAME"),
        clusterHost(v, "ROOMS_CLUSTER_HOST"),
        text(v, "ROOMS_CLUSTER_CONFIG"),
        intValue(v, "ROOMS_CLUSTER_PORT", 1, 65535),
        members(v, "ROOMS_CLUSTER_MEMBERS"),
        oneOf(v, "ROOMS_CLUSTER_DISCOVERY", "tcp", "kubernetes"),
        hostOrEmpty(v, "ROOMS_KUBERNETES_SERVICE_DNS"),
        intValue(v, "ROOMS_IDLE_TIMEOUT_MS", 50, Integer.MAX_VALUE),
        intValue(v, "ROOMS_HISTORY_LIMIT", 1, 1_000_000),
        duration(v, "ROOMS_MESSAGE_TTL"),
        intValue(v, "ROOMS_REQUEST_TIMEOUT_MS", 100, 600_000),
        intValue(v, "ROOMS_GATEWAY_INSTANCES", 0, 256),
        intValue(v, "ROOMS_EVENT_LOOPS", 0, 1024),
        oneOf(v, "ROOMS_DURABILITY", "memory", "disk"),
        text(v, "ROOMS_DATA_DIR"),
        v.get("ROOMS_STORE_URL").trim(),
        v.get("ROOMS_STORE_USER"),
        v.get("ROOMS_STORE_PASSWORD"),
        text(v, "ROOMS_PLUGINS_DIR"),
        intValue(v, "ROOMS_STORAGE_MAX_BYTES", 1024, Integer.MAX_VALUE),

        intValue(v, "ROOMS_MAX_FRAME_BYTES", 1024, 16 * 1024 * 1024),
        intValue(v, "ROOMS_MAX_MESSAGE_CHARS", 1, MAX_MESSAGE_CHARS),
        intValue(v, "ROOMS_RATE_PER_SEC", 1, 1_000_000),
        intValue(v, "ROOMS_RATE_BURST", 1, 1_000_000),
        intValue(v, "ROOMS_ERROR_BUDGET", 1, 1_000_000),
        intValue(v, "ROOMS_ERROR_REFILL_PER_SEC", 0, 1_000_000),
        intValue(v, "ROOMS_MAX_CONNECTIONS_PER_IP", 1, 10_000_000),
        intValue(v, "ROOMS_NEW_ROOMS_PER_MIN", 1, 1_000_000),
        intValue(v, "ROOMS_MAX_MEMBERS", 1, 10_000_000),
        intValue(v, "ROOMS_MAX_QUEUED_BYTES", 1024, 1024 * 1024 * 1024),
        intValue(v, "ROOMS_PING_INTERVAL_MS", 100, 3_600_000),
        intValue(v, "ROOMS_PING_TIMEOUT_MS", 100, 3_600_000),
        intValue(v, "ROOMS_HANDSHAKE_TIMEOUT_MS", 100, 3_600_000),
        intValue(v, "ROOMS_MAX_HTTP_CONNECTIONS_PER_IP", 1, 10_000_000),
        intValue(v, "ROOMS_HTTP_REQUEST_DEADLINE_MS", 100, 3_600_000),
        intValue(v, "ROOMS_MAX_PAGE_BYTES", 4096, 64 * 1024 * 1024),
        intValue(v, "ROOMS_API_RATE_PER_SEC", 1, 1_000_000),
        intValue(v, "ROOMS_API_BURST", 1, 1_000_000),
        origins(v, "ROOMS_ALLOWED_ORIGINS"),
        regex(v, "ROOMS_PRIVATE_ROOMS"),
        v.get("ROOMS_JWT_SECRET") == null ? "" : v.get("ROOMS_JWT_SECRET"),
        v.get("ROOMS_API_KEY") == null ? "" : v.get("ROOMS_API_KEY").trim(),
        v.get("ROOMS_WEBHOOK_URL") == null ? "" : v.get("ROOMS_WEBHOOK_URL").trim(),
        v.get("ROOMS_WEBHOOK_SECRET") == null ? "" : v.get("ROOMS_WEBHOOK_SECRET"),
        intValue(v, "ROOMS_WEBHOOK_MAX_PENDING", 1, 100_000_000),
        oneOf(v, "ROOMS_LOG_FORMAT", "text", "json"),
        intValue(v, "ROOMS_WARMUP_SEC", 0, 600),
        intValue(v, "ROOMS_WAKE_CACHE_MB", 0, 1024 * 1024));
    if (c.clusterDiscovery().equals("kubernetes")) {
      if (c.kubernetesServiceDns().isEmpty()) {
        throw new ConfigException(v.name("ROOMS_CLUSTER_DISCOVERY") + "=kubernetes: " + v.name("ROOMS_KUBERNETES_SERVICE_DNS")
            + " must name the headless service of the nodes (e.g. rooms-cluster.default.svc.cluster.local)");
      }
      if (!c.clusterMembers().isEmpty()) {
        throw new ConfigException(v.name("ROOMS_CLUSTER_MEMBERS") + " is set, but " + v.name("ROOMS_CLUSTER_DISCOVERY")
            + "=kubernetes finds the members by DNS: set one of the two");
      }
    }
    if (!c.privateRooms().isEmpty() && c.jwtSecret().isEmpty()) {
      throw new ConfigException(v.name("ROOMS_PRIVATE_ROOMS") + " is set: " + v.name("ROOMS_JWT_SECRET")
          + " must be set too");
    }
    // RFC 7518 3.2: an HS256 key must be at least as long as the hash (256 bits); never printed
    if (!c.jwtSecret().isEmpty() && c.jwtSecret().getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
      throw new ConfigException(v.name("ROOMS_JWT_SECRET") + ": must have at least 32 bytes");
    }
    if (!c.webhookUrl().isEmpty()) {
      if (!c.webhookUrl().startsWith("http://") && !c.webhookUrl().startsWith("https://")) {
        throw new ConfigException(v.name("ROOMS_WEBHOOK_URL") + ": must be an http:// or https:// URL");
      }
      if (c.webhookSecret().length() < 16) {
        throw new ConfigException(v.name("ROOMS_WEBHOOK_SECRET") + ": must have at least 16 characters when "
            + v.name("ROOMS_WEBHOOK_URL") + " is set");
      }
    }
    if (!c.apiKey().isEmpty() && c.apiKey().length() < 16) {
      throw new ConfigException(v.name("ROOMS_API_KEY") + ": must have at least 16 characters");
    }
    if (c.tlsCert().isEmpty() != c.tlsKey().isEmpty()) {
      String set = c.tlsCert().isEmpty() ? "ROOMS_TLS_KEY" : "ROOMS_TLS_CERT";
      String missing = c.tlsCert().isEmpty() ? "ROOMS_TLS_CERT" : "ROOMS_TLS_KEY";
      throw new ConfigException(v.name(set) + " is set: " + v.name(missing) + " must be set too");
    }
    if (c.tls()) {
      // read now, so that a bad file stops the start with its name instead of failing every handshake
      TlsFiles.check(Path.of(c.tlsCert()), v.name("ROOMS_TLS_CERT"), Path.of(c.tlsKey()), v.name("ROOMS_TLS_KEY"));
    }
    return c;
  }

  private static String text(Values v, String key) {
    String s = v.get(key);
    if (s == null || s.isBlank()) {
      throw v.bad(key, "must not be empty");
    }
    return s.trim();
  }

  /**
   * The address other nodes reach this one at: a wildcard would bind every interface, and the
   * event bus would advertise an address that no other node can connect to.
   */
  private static String clusterHost(Values v, String key) {
    String s = text(v, key);
    if (s.equals("0.0.0.0") || s.equals("::") || s.equals("[::]") || s.equals("*")) {
      throw v.bad(key, "must be this node's own address (other nodes connect to it), not a wildcard");
    }
    if (!HOST.matcher(s).matches() && !IPV6.matcher(s).matches()) {
      throw v.bad(key, "not a host name or IP address");
    }
    // an address to bind, not a URL: Hazelcast and Vert.x take an IPv6 address without brackets
    return s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
  }

  /** A host name or IPv4 address (letters, digits, dots, dashes); an IPv6 address (two colons at least), in brackets or bare. */
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252}[A-Za-z0-9_])?");
  private static final Pattern IPV6 = Pattern.compile("\\[?[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*]?");

  private static String hostOrEmpty(Values v, String key) {
    String s = v.get(key) == null ? "" : v.get(key).trim();
    if (!s.isEmpty() && !HOST.matcher(s).matches()) {
      throw v.bad(key, "not a DNS name");
    }
    return s;
  }

  /**
   * The comma-separated member list: each entry a host (Hazelcast tries the cluster port and the
   * next ones) or host:port, an IPv6 address in brackets when it has a port. A mistyped entry is
   * refused at start rather than left to time out as a member that never answers.
   */
  private static List<String> members(Values v, String key) {
    String s = v.get(key) == null ? "" : v.get(key).trim();
    if (s.isEmpty()) {
      return List.of();
    }
    List<String> members = new java.util.ArrayList<>();
    for (String entry : s.split(",", -1)) {
      String e = entry.trim();
      if (e.isEmpty()) {
        throw new ConfigException(v.name(key) + "=" + s + ": an empty entry (two commas, or one at an end)");
      }
      String host = e;
      String port = null;
      if (e.startsWith("[")) {
        int close = e.indexOf(']');
        if (close < 0) {
          throw new ConfigException(v.name(key) + ": '" + e + "' opens an IPv6 address with [ but does not close it");
        }
        host = e.substring(0, close + 1);
        if (close + 1 < e.length()) {
          if (e.charAt(close + 1) != ':') {
            throw new ConfigException(v.name(key) + ": '" + e + "' is not [ipv6] or [ipv6]:port");
          }
          port = e.substring(close + 2);
        }
      } else if (e.indexOf(':') >= 0 && e.indexOf(':') == e.lastIndexOf(':')) {
        host = e.substring(0, e.indexOf(':'));
        port = e.substring(e.indexOf(':') + 1);
      }
      boolean hostOk = host.startsWith("[") ? IPV6.matcher(host).matches()
          : HOST.matcher(host).matches() || (host.indexOf(':') >= 0 && IPV6.matcher(host).matches());
      if (!hostOk) {
        throw new ConfigException(v.name(key) + ": '" + e + "' is not a host name or IP address, with an optional :port");
      }
      if (port != null) {
        int n;
        try {
          n = Integer.parseInt(port);
        } catch (NumberFormatException nan) {
          n = -1;
        }
        if (n < 1 || n > 65535) {
          throw new ConfigException(v.name(key) + ": '" + e + "' has no port between 1 and 65535 after its ':'");
        }
      }
      members.add(e);
    }
    return List.copyOf(members);
  }

  /** A value that may be empty (trimmed). */
  private static String optional(Values v, String key) {
    return v.get(key) == null ? "" : v.get(key).trim();
  }

  private static String oneOf(Values v, String key, String... allowed) {
    String s = v.get(key).trim().toLowerCase(java.util.Locale.ROOT);
    if (!List.of(allowed).contains(s)) {
      throw v.bad(key, "must be one of " + String.join(", ", allowed));
    }
    return s;
  }

  /** A comma-separated list of "self", "localhost", "*" and origins (http(s)://host[:port], '*' as wildcard). */
  private static String origins(Values v, String key) {
    String s = text(v, key);
    for (String entry : s.split(",")) {
      String e = entry.trim();
      if (!(e.equals("self") || e.equals("localhost") || e.equals("*")
          || e.startsWith("http://") || e.startsWith("https://"))) {
        throw new ConfigException(v.name(key) + ": '" + e + "' is not self, localhost, * or an http(s):// origin");
      }
    }
    return s;
  }

  /** Whether the HTTP port serves TLS (https:// and wss://) with {@link #tlsCert()} and {@link #tlsKey()}. */
  public boolean tls() {
    return !tlsCert.isEmpty();
  }

  /** The JDBC URL of the room store: the configured one, or the embedded SQLite file in the data folder. */
  public String effectiveStoreUrl() {
    return storeUrl.isEmpty() ? EmbeddedStore.url(Path.of(dataDir)) : storeUrl;
  }

  /** An optional regular expression (empty: none). */
  private static String regex(Values v, String key) {
    String s = v.get(key) == null ? "" : v.get(key).trim();
    try {
      Pattern.compile(s);
    } catch (PatternSyntaxException e) {
      throw new ConfigException(v.name(key) + ": not a regular expression (" + e.getDescription() + ")");
    }
    return s;
  }

  /** A duration in ms from a whole number with a unit (s, m, h, d; no unit: seconds), 0 = off; at most 10 years. */
  private static long duration(Values v, String key) {
    String s = v.get(key).trim().toLowerCase(java.util.Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})([smhd]?)").matcher(s);
    if (!m.matches()) {
      throw v.bad(key, "a whole number with s, m, h or d (seconds, minutes, hours, days), or 0 for none");
    }
    long unit = switch (m.group(2)) {
      case "m" -> 60_000L;
      case "h" -> 3_600_000L;
      case "d" -> 86_400_000L;
      default -> 1_000L;
    };
    long ms = Long.parseLong(m.group(1)) * unit;
    if (ms > 3650 * 86_400_000L) {
      throw v.bad(key, "at most 3650d");
    }
    return ms;
  }

  private static int intValue(Values v, String key, int min, int max) {
    int n;
    try {
      n = Integer.parseInt(v.get(key).trim());
    } catch (NumberFormatException e) {
      throw v.bad(key, "not a whole number");
    }
    if (n < min || n > max) {
      throw v.bad(key, "must be between " + min + " and " + max);
    }
    return n;
  }

  /**
   * The event-loop threads of the node's Vert.x: as set, or one per core. Not Vert.x's two per
   * core: a node never blocks a loop, so a second loop per core only adds thread wake-ups between
   * the gateways, the rooms and the journal (one node on two cores: 10-28% more CPU per delivery
   * with four loops than with two, in paired runs; docs/architecture.md, "Event loops: one per core").
   */
  public int effectiveEventLoops() {
    return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
  }

  /**
   * The gateway verticles: as set, or one per core but never more than there are event loops
   * (a second gateway on the same loop would only split its sockets' work in two queues).
   */
  public int effectiveGatewayInstances() {
    return gatewayInstances > 0 ? gatewayInstances
        : Math.min(Runtime.getRuntime().availableProcessors(), effectiveEventLoops());
  }
}
