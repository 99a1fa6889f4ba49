package durablerooms.config;

import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every setting of a node, with its unit and default; read from conf/config.json and overridden
 * by ROOMS_* environment variables.
 */
public record ServerConfig(
    String httpHost,
    int httpPort,
    String clusterName,
    String clusterHost,
    String clusterConfig,
    int clusterPort,
    long idleTimeoutMs,
    int historyLimit,
    long requestTimeoutMs,
    int gatewayInstances,
    String durability,
    String dataDir,
    String storeUrl,
    String storeUser,
    String storePassword) {

  /** One documented setting: its environment variable, its key in config.json and its default. */
  public record Setting(String env, String key, String defaultValue, String meaning) {}

  public static final List<Setting> SETTINGS = List.of(
      new Setting("ROOMS_HTTP_HOST", "httpHost", "127.0.0.1", "interface the HTTP/WebSocket server binds to"),
      new Setting("ROOMS_HTTP_PORT", "httpPort", "8080", "HTTP/WebSocket port"),
      new Setting("ROOMS_CLUSTER_NAME", "clusterName", "durable-rooms", "Hazelcast cluster name; nodes with the same name join"),
      new Setting("ROOMS_CLUSTER_HOST", "clusterHost", "127.0.0.1", "interface of the clustered event bus"),
      new Setting("ROOMS_CLUSTER_CONFIG", "clusterConfig", "conf/cluster.xml", "Hazelcast XML (falls back to the copy in the jar)"),
      new Setting("ROOMS_CLUSTER_PORT", "clusterPort", "5701", "first Hazelcast port; the next free one up to +19 is taken"),
      new Setting("ROOMS_IDLE_TIMEOUT_MS", "idleTimeoutMs", "30000", "ms without events before a room hibernates"),
      new Setting("ROOMS_HISTORY_LIMIT", "historyLimit", "1000", "messages kept per room"),
      new Setting("ROOMS_REQUEST_TIMEOUT_MS", "requestTimeoutMs", "5000", "ms a gateway waits for a room to answer"),
      new Setting("ROOMS_GATEWAY_INSTANCES", "gatewayInstances", "0", "gateway verticles; 0 = one per core"),
      new Setting("ROOMS_DURABILITY", "durability", "memory",
          "memory: ACK once in the memory of two nodes (on disk in a one-node cluster); disk: ACK once on disk"),
      new Setting("ROOMS_DATA_DIR", "dataDir", "./data", "folder of the embedded store (H2)"),
      new Setting("ROOMS_STORE_URL", "storeUrl", "", "JDBC URL of a shared store (e.g. PostgreSQL); empty = embedded H2 in ROOMS_DATA_DIR"),
      new Setting("ROOMS_STORE_USER", "storeUser", "", "user for ROOMS_STORE_URL"),
      new Setting("ROOMS_STORE_PASSWORD", "storePassword", "", "password for ROOMS_STORE_URL"));

  /** Reads conf/config.json (if present) and the environment. */
  public static ServerConfig load(Path configFile, Map<String, String> env) {
    JsonObject file = new JsonObject();
    if (Files.isReadable(configFile)) {
      try {
        file = new JsonObject(Files.readString(configFile));
      } catch (Exception e) {
        throw new ConfigException(configFile + ": not valid JSON (" + e.getMessage() + ")");
      }
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Setting s : SETTINGS) {
      Object fromFile = file.getValue(s.key());
      String v = env.getOrDefault(s.env(), fromFile == null ? s.defaultValue() : String.valueOf(fromFile));
      values.put(s.env(), v);
    }
    return fromValues(values);
  }

  /** Defaults with the given settings (by environment variable name) applied: no file is read. */
  public static ServerConfig of(Map<String, String> settings) {
    return load(Path.of("/nonexistent"), settings);
  }

  private static ServerConfig fromValues(Map<String, String> v) {
    ServerConfig c = new ServerConfig(
        v.get("ROOMS_HTTP_HOST"),
        intValue(v, "ROOMS_HTTP_PORT", 0, 65535),
        text(v, "ROOMS_CLUSTER_NAME"),
        text(v, "ROOMS_CLUSTER_HOST"),
        text(v, "ROOMS_CLUSTER_CONFIG"),
        intValue(v, "ROOMS_CLUSTER_PORT", 1, 65535),
        intValue(v, "ROOMS_IDLE_TIMEOUT_MS", 50, Integer.MAX_VALUE),
        intValue(v, "ROOMS_HISTORY_LIMIT", 1, 1_000_000),
        intValue(v, "ROOMS_REQUEST_TIMEOUT_MS", 100, 600_000),
        intValue(v, "ROOMS_GATEWAY_INSTANCES", 0, 256),
        oneOf(v, "ROOMS_DURABILITY", "memory", "disk"),
        text(v, "ROOMS_DATA_DIR"),
        v.get("ROOMS_STORE_URL").trim(),
        v.get("ROOMS_STORE_USER"),
        v.get("ROOMS_STORE_PASSWORD"));
    return c;
  }

  private static String text(Map<String, String> v, String key) {
    String s = v.get(key);
    if (s == null || s.isBlank()) {
      throw new ConfigException(key + ": must not be empty");
    }
    return s.trim();
  }

  private static String oneOf(Map<String, String> v, String key, String... allowed) {
    String s = v.get(key).trim().toLowerCase(java.util.Locale.ROOT);
    if (!List.of(allowed).contains(s)) {
      throw new ConfigException(key + "=" + v.get(key) + ": must be one of " + String.join(", ", allowed));
    }
    return s;
  }

  /** The JDBC URL of the room store: the configured one, or the embedded H2 file in the data folder. */
  public String effectiveStoreUrl() {
    if (!storeUrl.isEmpty()) {
      return storeUrl;
    }
    // AUTO_SERVER: the nodes of one machine share the file (the first serves it to the others);
    // WRITE_DELAY=0: a commit reaches the file at once, so a killed process loses nothing committed
    return "jdbc:h2:file:" + Path.of(dataDir, "rooms").toAbsolutePath()
        + ";AUTO_SERVER=TRUE;AUTO_RECONNECT=TRUE;WRITE_DELAY=0";
  }

  private static int intValue(Map<String, String> v, String key, int min, int max) {
    String s = v.get(key).trim();
    try {
      int n = Integer.parseInt(s);
      if (n < min || n > max) {
        throw new ConfigException(key + "=" + s + ": must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key + "=" + s + ": not a whole number");
    }
  }

  public int effectiveGatewayInstances() {
    return gatewayInstances > 0 ? gatewayInstances : Math.max(1, Runtime.getRuntime().availableProcessors());
  }
}
