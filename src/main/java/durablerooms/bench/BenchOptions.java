package durablerooms.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The load generator's settings: defaults, then the scenario's preset, then the options given on
 * the command line. Pure: parsing and validation only.
 */
public record BenchOptions(
    List<URI> urls,
    Protocol protocol,
    Scenario scenario,
    int rooms,
    int members,
    double rate,
    List<Double> ladder,
    int size,
    double durationSec,
    double warmupSec,
    double drainSec,
    double connectRate,
    boolean json,
    List<Long> pids,
    int threads,
    boolean ack,
    String roomPrefix,
    double maxP99Ms,
    double wakeRate,
    double hibernateTimeoutSec,
    double settleSec,
    int turnSeconds,
    int hookPort,
    String hookSecret,
    int messages,
    int idleConnections,
    int awakeRooms,
    String roomType) {

  /** The same options against the nodes {@code nodes}. */
  public BenchOptions withUrls(List<URI> nodes) {
    return new BenchOptions(nodes, protocol, scenario, rooms, members, rate, ladder, size, durationSec, warmupSec,
        drainSec, connectRate, json, pids, threads, ack, roomPrefix, maxP99Ms, wakeRate, hibernateTimeoutSec, settleSec,
        turnSeconds, hookPort, hookSecret, messages, idleConnections, awakeRooms, roomType);
  }

  /** The same options with {@code seconds} of --drain. */
  public BenchOptions withDrain(double seconds) {
    return new BenchOptions(urls, protocol, scenario, rooms, members, rate, ladder, size, durationSec, warmupSec,
        seconds, connectRate, json, pids, threads, ack, roomPrefix, maxP99Ms, wakeRate, hibernateTimeoutSec, settleSec,
        turnSeconds, hookPort, hookSecret, messages, idleConnections, awakeRooms, roomType);
  }

  /** The same options for rooms named {@code prefix}-N. */
  public BenchOptions withRoomPrefix(String prefix) {
    return new BenchOptions(urls, protocol, scenario, rooms, members, rate, ladder, size, durationSec, warmupSec,
        drainSec, connectRate, json, pids, threads, ack, prefix, maxP99Ms, wakeRate, hibernateTimeoutSec, settleSec,
        turnSeconds, hookPort, hookSecret, messages, idleConnections, awakeRooms, roomType);
  }

  /**
   * The path of a member's room: chat's ({@code /chat/{room}}), or with {@code --type} the room of
   * that type ({@code /rooms/{type}/{room}}), which must take chat's {@code {"message"}} frames and
   * send chat's MESSAGE frames, as the example type {@code relay} does.
   */
  public String roomPath(int room) {
    return (roomType.isEmpty() ? "/chat/" : "/rooms/" + roomType + "/") + roomName(room);
  }

  /** Which frame makes a member "joined": SYSTEM for the seed protocol, PRESENCE for Durable Rooms. */
  public enum Protocol { AUTO, SEED, ROOMS }

  /**
   * The scenarios of docs/benchmarks.md, found by name ({@code --scenario}), each with its preset of
   * the options: those given on the command line win. What each one runs is in {@link Scenarios}.
   */
  public enum Scenario {
    NONE(Map.of()),
    FANOUT(Map.of("rooms", "50", "members", "20", "ladder", "2,5,10,15,20,25,30,35,40,50", "warmup", "3")),
    BIGROOM(Map.of("rooms", "1", "members", "500", "rate", "0.5", "duration", "20", "warmup", "5")),
    IDLE(Map.of("rooms", "100", "members", "100", "rate", "0", "connect-rate", "1000")),
    COLD(Map.of("rooms", "200", "members", "1", "rate", "0", "connect-rate", "50")),
    WAKE(Map.of("rooms", "200", "members", "2", "rate", "0", "connect-rate", "200")),
    FRESH(Map.of("rooms", "50", "members", "20", "rate", "2", "duration", "10", "warmup", "80", "connect-rate", "1000")),
    ALARMS(Map.of("rooms", "200", "members", "2", "rate", "0", "connect-rate", "50")),
    WEBHOOKS(Map.of("rooms", "2000", "members", "1", "rate", "0", "connect-rate", "200")),
    CAPACITY(Map.of("rooms", "100000", "members", "1", "rate", "0", "connect-rate", "500", "duration", "20",
        "hibernate-timeout", "300"));

    private final Map<String, String> preset;

    Scenario(Map<String, String> preset) {
      this.preset = preset;
    }

    /** The scenario's options, by their names on the command line. */
    public Map<String, String> preset() {
      return preset;
    }
  }

  public static final int MAX_CLIENTS = 100_000;
  private static final Set<String> FLAGS = Set.of("json", "ack");
  private static final Set<String> KEYS = Set.of("url", "protocol", "scenario", "rooms", "members", "rate",
      "ladder", "size", "duration", "warmup", "drain", "connect-rate", "json", "pid", "threads", "ack",
      "room-prefix", "max-p99", "wake-rate", "hibernate-timeout", "settle", "turn-seconds", "hook-port", "hook-secret",
      "messages", "idle-connections", "awake", "type");
  private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

  /** Thrown for a bad command line; the message says what to fix. */
  public static final class UsageException extends Exception {
    public UsageException(String message) {
      super(message);
    }
  }

  public static final String USAGE = String.join("\n",
      "usage: ./run.sh bench [--scenario fanout|bigroom|idle|cold|wake|fresh|alarms|webhooks|capacity] [options]",
      "  --url ws://127.0.0.1:8080[,ws://127.0.0.1:8081...]  nodes (wss:// for a node with TLS); clients are spread over them",
      "  --protocol auto|seed|rooms   joined = after SYSTEM (seed) or PRESENCE (rooms); auto asks GET /health",
      "  --rooms N --members N        clients = rooms x members",
      "  --rate R                     messages/s per member (open loop, evenly spaced, random phase)",
      "  --ladder R1,R2,...           rates to climb (fanout): highest with p99 < --max-p99 and no loss",
      "  --size BYTES                 message text size (>= 32)",
      "  --duration S --warmup S      measured seconds and unmeasured warm-up seconds (per ladder step)",
      "  --drain S                    seconds to wait for late deliveries after a step",
      "  --connect-rate N             new connections per second",
      "  --ack                        send with ids and record ACK latency (rooms protocol)",
      "  --pid PID[,PID...]           server pids (several: a local cluster, summed): their CPU per step, RSS per connection (idle)",
      "  --threads N                  generator event loops (default: cores)",
      "  --wake-rate N                rooms woken per second (wake)",
      "  --hibernate-timeout S        how long to wait for rooms to hibernate (wake), or for /ready (fresh)",
      "  --settle S                   seconds before reading RSS (idle)",
      "  --turn-seconds S             the games' turn time: when their alarms fire (alarms)",
      "  --hook-port P                port of this generator's webhook receiver on 127.0.0.1 (webhooks)",
      "  --hook-secret S              the node's ROOMS_WEBHOOK_SECRET: check each webhook's signature (webhooks)",
      "  --messages N                 messages each room is made with (capacity)",
      "  --idle-connections N         members that join the first rooms and stay silent (capacity)",
      "  --awake N                    rooms woken and kept awake at the end (capacity)",
      "  --room-prefix P              room name prefix (default: bench-<random>)",
      "  --type T                     members join rooms of the type T (/rooms/T/...), which speaks chat's frames (e.g. relay)",
      "  --json                       print one JSON line with the results on stdout");

  public static BenchOptions parse(String[] args) throws UsageException {
    Map<String, String> given = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new UsageException("unexpected argument: " + a);
      }
      String key = a.substring(2);
      String value = null;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      }
      if (!KEYS.contains(key)) {
        throw new UsageException("unknown option --" + key);
      }
      if (value == null) {
        if (FLAGS.contains(key)) {
          value = "true";
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new UsageException("--" + key + " needs a value");
        }
      }
      given.put(key, value);
    }
    Scenario scenario = enumValue(Scenario.class, given.getOrDefault("scenario", "none"), "scenario");
    Map<String, String> v = new LinkedHashMap<>(defaults());
    v.putAll(scenario.preset());
    v.putAll(given);
    return build(scenario, v);
  }

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("url", "ws://127.0.0.1:8080");
    d.put("protocol", "auto");
    d.put("rooms", "10");
    d.put("members", "10");
    d.put("rate", "1");
    d.put("ladder", "");
    d.put("size", "64");
    d.put("duration", "10");
    d.put("warmup", "2");
    d.put("drain", "5");
    d.put("connect-rate", "500");
    d.put("json", "false");
    d.put("pid", "");
    d.put("threads", String.valueOf(Runtime.getRuntime().availableProcessors()));
    d.put("ack", "false");
    d.put("room-prefix", "");
    d.put("max-p99", "100");
    d.put("wake-rate", "20");
    d.put("hibernate-timeout", "120");
    d.put("settle", "5");
    d.put("turn-seconds", "5");
    d.put("hook-port", "8099");
    d.put("hook-secret", "");
    d.put("messages", "3");
    d.put("idle-connections", "10000");
    d.put("awake", "1000");
    d.put("type", "");
    return d;
  }

  private static BenchOptions build(Scenario scenario, Map<String, String> v) throws UsageException {
    List<URI> urls = urls(v.get("url"));
    Protocol protocol = enumValue(Protocol.class, v.get("protocol"), "protocol");
    int rooms = intIn(v, "rooms", 1, MAX_CLIENTS);
    int members = intIn(v, "members", 1, MAX_CLIENTS);
    if ((long) rooms * members > MAX_CLIENTS) {
      throw new UsageException("rooms x members must be at most " + MAX_CLIENTS);
    }
    List<Double> ladder = new ArrayList<>();
    for (String part : v.get("ladder").split(",")) {
      if (!part.isBlank()) {
        ladder.add(number(part.trim(), "ladder", 0.001, 10_000));
      }
    }
    String prefix = v.get("room-prefix");
    if (prefix.isEmpty()) {
      prefix = "bench-" + Long.toString(System.nanoTime() & 0xffffffL, 36);
    }
    if (!prefix.matches("[A-Za-z0-9_.-]{1,40}")) {
      throw new UsageException("--room-prefix: 1 to 40 of A-Z a-z 0-9 _ . -");
    }
    String type = v.get("type");
    if (!type.isEmpty() && !type.matches("[a-z][a-z0-9-]{0,31}")) {
      throw new UsageException("--type: a room type's name, [a-z][a-z0-9-]{0,31}");
    }
    return new BenchOptions(urls, protocol, scenario, rooms, members,
        number(v.get("rate"), "rate", 0, 10_000), List.copyOf(ladder),
        intIn(v, "size", 32, 60_000),
        number(v.get("duration"), "duration", 0, 3600),
        number(v.get("warmup"), "warmup", 0, 600),
        number(v.get("drain"), "drain", 0, 120),
        number(v.get("connect-rate"), "connect-rate", 1, 100_000),
        bool(v, "json"),
        pids(v.get("pid")),
        intIn(v, "threads", 1, 64),
        bool(v, "ack"),
        prefix,
        number(v.get("max-p99"), "max-p99", 0.1, 60_000),
        number(v.get("wake-rate"), "wake-rate", 0.1, 10_000),
        number(v.get("hibernate-timeout"), "hibernate-timeout", 1, 3600),
        number(v.get("settle"), "settle", 0, 600),
        intIn(v, "turn-seconds", 1, 3600),
        intIn(v, "hook-port", 1, 65535),
        v.get("hook-secret"),
        intIn(v, "messages", 0, 1000),
        intIn(v, "idle-connections", 0, MAX_CLIENTS),
        intIn(v, "awake", 0, MAX_CLIENTS),
        type);
  }

  /** Whether a node URL of {@link #urls} is reached over TLS. */
  static boolean tls(URI url) {
    return "wss".equals(url.getScheme());
  }

  /**
   * Parses the comma-separated node URLs on a loopback host only: ws://, http:// (or no scheme)
   * become ws://host:port, wss:// and https:// (a node with ROOMS_TLS_CERT) become wss://host:port.
   */
  static List<URI> urls(String raw) throws UsageException {
    List<URI> out = new ArrayList<>();
    for (String part : raw.split(",")) {
      String s = part.trim();
      if (s.isEmpty()) {
        continue;
      }
      if (!s.contains("://")) {
        s = "ws://" + s;
      }
      URI u;
      try {
        u = URI.create(s);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--url " + part + ": " + e.getMessage());
      }
      String scheme = u.getScheme().toLowerCase(Locale.ROOT);
      if (!Set.of("ws", "http", "wss", "https").contains(scheme)) {
        throw new UsageException("--url " + part + ": use ws://, wss://, http:// or https://");
      }
      boolean tls = scheme.equals("wss") || scheme.equals("https");
      if (u.getHost() == null || !LOOPBACK.contains(u.getHost().toLowerCase(Locale.ROOT))) {
        throw new UsageException("--url " + part + ": only loopback targets (127.0.0.1, localhost)");
      }
      int port = u.getPort() >= 0 ? u.getPort() : tls ? 443 : 80;
      out.add(URI.create((tls ? "wss://" : "ws://") + u.getHost() + ":" + port));
    }
    if (out.isEmpty()) {
      throw new UsageException("--url: at least one node URL");
    }
    return List.copyOf(out);
  }

  public int clients() {
    return rooms * members;
  }

  public String roomName(int room) {
    return roomPrefix + "-" + room;
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String raw, String key) throws UsageException {
    try {
      return Enum.valueOf(type, raw.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException("--" + key + " " + raw + ": expected one of "
          + String.join("|", java.util.Arrays.stream(type.getEnumConstants())
              .map(c -> c.name().toLowerCase(Locale.ROOT)).toList()));
    }
  }

  private static boolean bool(Map<String, String> v, String key) throws UsageException {
    String s = v.get(key);
    if ("true".equals(s) || "false".equals(s)) {
      return Boolean.parseBoolean(s);
    }
    throw new UsageException("--" + key + " " + s + ": true or false");
  }

  private static double number(String s, String key, double min, double max) throws UsageException {
    try {
      double d = Double.parseDouble(s);
      if (d >= min && d <= max) {
        return d;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new UsageException("--" + key + " " + s + ": a number between " + min + " and " + max);
  }

  private static int intIn(Map<String, String> v, String key, int min, int max) throws UsageException {
    return (int) longIn(v, key, min, max);
  }

  /** The comma-separated server pids (none when empty). */
  static List<Long> pids(String raw) throws UsageException {
    List<Long> out = new ArrayList<>();
    for (String part : raw.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      try {
        long pid = Long.parseLong(part.trim());
        if (pid > 0) {
          out.add(pid);
          continue;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      throw new UsageException("--pid " + raw + ": process ids separated by commas");
    }
    return List.copyOf(out);
  }

  private static long longIn(Map<String, String> v, String key, long min, long max) throws UsageException {
    String s = v.get(key);
    try {
      long n = Long.parseLong(s.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new UsageException("--" + key + " " + s + ": a whole number between " + min + " and " + max);
  }
}
