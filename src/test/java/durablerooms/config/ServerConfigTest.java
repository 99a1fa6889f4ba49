package durablerooms.config;

import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerConfigTest {
  @Test
  void defaultsAreTheDocumentedOnes() {
    ServerConfig c = ServerConfig.of(Map.of());
    assertEquals(8080, c.httpPort());
    assertEquals("durable-rooms", c.clusterName());
    assertEquals(30000, c.idleTimeoutMs());
    assertEquals(1000, c.historyLimit());
  }

  @Test
  void theLimitsHaveTheDocumentedDefaults() {
    ServerConfig c = ServerConfig.of(Map.of());
    assertEquals(64 * 1024, c.maxFrameBytes());
    assertEquals(4000, c.maxMessageChars());
    assertEquals(20, c.ratePerSec());
    assertEquals(40, c.rateBurst());
    assertEquals(20, c.errorBudget());
    assertEquals(1, c.errorRefillPerSec());
    assertEquals(1000, c.maxConnectionsPerIp());
    assertEquals(10000, c.maxMembers());
    assertEquals(1024 * 1024, c.maxQueuedBytes());
    assertEquals(25000, c.pingIntervalMs());
    assertEquals(10000, c.pingTimeoutMs());
    assertEquals(10000, c.handshakeTimeoutMs());
    assertEquals(100, c.maxHttpConnectionsPerIp());
    assertEquals(15000, c.httpRequestDeadlineMs());
    assertEquals(256 * 1024, c.maxPageBytes());
    assertEquals(10, c.apiRatePerSec());
    assertEquals(50, c.apiBurst());
    assertEquals("self,localhost", c.allowedOrigins());
    assertEquals("", c.privateRooms());
    assertEquals("", c.jwtSecret());
  }

  @Test
  void theHttpLimitsAreValidated() {
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_MAX_HTTP_CONNECTIONS_PER_IP", "0")));
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_HTTP_REQUEST_DEADLINE_MS", "10")));
    assertEquals(2000, ServerConfig.of(Map.of("ROOMS_HTTP_REQUEST_DEADLINE_MS", "2000")).httpRequestDeadlineMs());
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_MAX_PAGE_BYTES", "100")));
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_API_RATE_PER_SEC", "0")));
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_API_BURST", "none")));
  }

  @Test
  void aChatMessageLimitIsOneThatARoomEventHolds() {
    assertEquals(60_000, ServerConfig.of(Map.of("ROOMS_MAX_MESSAGE_CHARS", "60000")).maxMessageChars());
    ConfigException e = assertThrows(ConfigException.class,
        () -> ServerConfig.of(Map.of("ROOMS_MAX_MESSAGE_CHARS", "60001")));
    assertTrue(e.getMessage().contains("ROOMS_MAX_MESSAGE_CHARS"), e.getMessage());
  }

  @Test
  void gatewaysNeverOutnumberTheEventLoops() {
    int cores = Runtime.getRuntime().availableProcessors();
    ServerConfig defaults = ServerConfig.of(Map.of());
    assertEquals(cores, defaults.effectiveEventLoops(), "one per core, not Vert.x's two");
    assertEquals(cores, defaults.effectiveGatewayInstances());
    ServerConfig moreLoops = ServerConfig.of(Map.of("ROOMS_EVENT_LOOPS", String.valueOf(2 * cores)));
    assertEquals(cores, moreLoops.effectiveGatewayInstances(), "still one gateway per core");
    ServerConfig oneLoop = ServerConfig.of(Map.of("ROOMS_EVENT_LOOPS", "1"));
    assertEquals(1, oneLoop.effectiveEventLoops());
    assertEquals(1, oneLoop.effectiveGatewayInstances());
    assertEquals(3, ServerConfig.of(Map.of("ROOMS_EVENT_LOOPS", "1", "ROOMS_GATEWAY_INSTANCES", "3"))
        .effectiveGatewayInstances(), "an explicit count is taken as set");
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_EVENT_LOOPS", "-1")));
  }

  @Test
  void everySettingThatHelpListsIsInTheOperationsGuide() throws Exception {
    String guide = Files.readString(Path.of("docs", "operations.md"));
    for (ServerConfig.Setting s : ServerConfig.SETTINGS) {
      assertTrue(guide.contains("`" + s.env() + "`"), s.env() + " is documented in docs/operations.md");
      assertTrue(guide.contains("`" + s.key() + "`"), s.key() + " (config.json) is documented in docs/operations.md");
    }
  }

  @Test
  void privateRoomsNeedAStrongSecret() {
    ConfigException none = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_PRIVATE_ROOMS", "vip-.*")));
    assertTrue(none.getMessage().contains("ROOMS_JWT_SECRET"), none.getMessage());
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_JWT_SECRET", "short")));
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_PRIVATE_ROOMS", "vip-(")));
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_ALLOWED_ORIGINS", "evil.example")));
    ServerConfig ok = ServerConfig.of(Map.of("ROOMS_PRIVATE_ROOMS", "vip-.*", "ROOMS_JWT_SECRET", "x".repeat(32)));
    assertEquals("vip-.*", ok.privateRooms());
  }

  @Test
  void theEnvironmentOverridesTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"httpPort\": 9000, \"idleTimeoutMs\": 1234}");
    ServerConfig c = ServerConfig.load(file, Map.of("ROOMS_HTTP_PORT", "9100"));
    assertEquals(9100, c.httpPort());
    assertEquals(1234, c.idleTimeoutMs());
  }

  @Test
  void aBadValueNamesItsKey() {
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_HTTP_PORT", "eighty")));
    assertTrue(e.getMessage().startsWith("ROOMS_HTTP_PORT=eighty"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_IDLE_TIMEOUT_MS", "-5")));
    assertTrue(e.getMessage().contains("ROOMS_IDLE_TIMEOUT_MS"), e.getMessage());
  }

  @Test
  void aBadValueInTheFileNamesTheFileAndTheKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"idleTimeoutMs\": \"soon\"}");
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.load(file, Map.of()));
    assertEquals(file + ": idleTimeoutMs=soon: not a whole number", e.getMessage());
    // the variable wins over the file, so the bad file value is never read
    assertEquals(900, ServerConfig.load(file, Map.of("ROOMS_IDLE_TIMEOUT_MS", "900")).idleTimeoutMs());
  }

  @Test
  void anUnknownKeyInTheFileIsAnError(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"httpport\": 9000}");
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.load(file, Map.of()));
    assertTrue(e.getMessage().contains("unknown key \"httpport\""), e.getMessage());
  }

  @Test
  void aNamedFileMustExistTheDefaultOneNeedNot(@TempDir Path dir) {
    Path missing = dir.resolve("missing.json");
    assertEquals(8080, ServerConfig.load(missing, false, Map.of()).httpPort());
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.load(missing, true, Map.of()));
    assertEquals(missing + ": no such file", e.getMessage());
  }

  @Test
  void theLogFormatIsTextOrJson() {
    assertEquals("text", ServerConfig.of(Map.of()).logFormat());
    assertEquals("json", ServerConfig.of(Map.of("ROOMS_LOG_FORMAT", "JSON")).logFormat());
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_LOG_FORMAT", "xml")));
    assertEquals("ROOMS_LOG_FORMAT=xml: must be one of text, json", e.getMessage());
  }

  @Test
  void theShippedConfigFileIsValid() {
    ServerConfig c = ServerConfig.load(ServerConfig.DEFAULT_FILE, true, Map.of());
    assertEquals(8080, c.httpPort());
  }

  @Test
  void anUnreadableFileIsReported(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{not json");
    assertThrows(ConfigException.class, () -> ServerConfig.load(file, Map.of()));
  }

  @Test
  void theClusterMembersAreAListOfHostsWithOptionalPorts() {
    assertEquals(java.util.List.of(), ServerConfig.of(Map.of()).clusterMembers(), "empty: the cluster file's members");
    assertEquals(java.util.List.of("10.0.0.5", "10.0.0.6:5702", "node-3.example.internal", "[fd00::7]:5701"),
        ServerConfig.of(Map.of("ROOMS_CLUSTER_MEMBERS", " 10.0.0.5, 10.0.0.6:5702,node-3.example.internal,[fd00::7]:5701"))
            .clusterMembers());
    for (String bad : java.util.List.of("10.0.0.5,,10.0.0.6", "10.0.0.5,", "10.0.0.5:0", "10.0.0.5:port",
        "10.0.0.5:70000", "http://10.0.0.5", "10.0.0.5 10.0.0.6", "[fd00::7", "[fd00::7]5701", "host/path")) {
      ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_CLUSTER_MEMBERS", bad)),
          bad);
      assertTrue(e.getMessage().startsWith("ROOMS_CLUSTER_MEMBERS"), e.getMessage());
    }
  }

  @Test
  void tlsIsOffUnlessBothFilesAreSet() {
    ServerConfig c = ServerConfig.of(Map.of());
    assertFalse(c.tls());
    assertEquals("", c.tlsCert());
    assertEquals("", c.tlsKey());
  }

  @Test
  void aTlsCertificateWithoutItsKeyNamesTheMissingOne() {
    ConfigException noKey = assertThrows(ConfigException.class,
        () -> ServerConfig.of(Map.of("ROOMS_TLS_CERT", "/etc/rooms/cert.pem")));
    assertEquals("ROOMS_TLS_CERT is set: ROOMS_TLS_KEY must be set too", noKey.getMessage());
    ConfigException noCert = assertThrows(ConfigException.class,
        () -> ServerConfig.of(Map.of("ROOMS_TLS_KEY", "/etc/rooms/key.pem")));
    assertEquals("ROOMS_TLS_KEY is set: ROOMS_TLS_CERT must be set too", noCert.getMessage());
  }

  @Test
  void aTlsKeyInTheFileWithoutACertificateNamesTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"tlsKey\": \"/etc/rooms/key.pem\"}");
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.load(file, Map.of()));
    assertEquals(file + ": tlsKey is set: ROOMS_TLS_CERT must be set too", e.getMessage());
  }

  @Test
  void aReadableCertificateAndItsKeyTurnTlsOn() {
    SelfSignedCertificate pair = SelfSignedCertificate.create("localhost");
    try {
      ServerConfig c = ServerConfig.of(Map.of("ROOMS_TLS_CERT", pair.certificatePath(),
          "ROOMS_TLS_KEY", pair.privateKeyPath()));
      assertTrue(c.tls());
      assertEquals(pair.certificatePath(), c.tlsCert());
    } finally {
      pair.delete();
    }
  }

  @Test
  void theClusterHostIsAnAddressOfThisNodeNotAWildcard() {
    assertEquals("127.0.0.1", ServerConfig.of(Map.of()).clusterHost());
    assertEquals("10.0.1.11", ServerConfig.of(Map.of("ROOMS_CLUSTER_HOST", "10.0.1.11")).clusterHost());
    assertEquals("fd00::7", ServerConfig.of(Map.of("ROOMS_CLUSTER_HOST", "[fd00::7]")).clusterHost());
    for (String bad : java.util.List.of("0.0.0.0", "::", "", "10.0.1.11:5701", "a host")) {
      ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_CLUSTER_HOST", bad)), bad);
      assertTrue(e.getMessage().startsWith("ROOMS_CLUSTER_HOST"), e.getMessage());
    }
  }

  @Test
  void kubernetesDiscoveryNeedsTheServiceNameAndNoMemberList() {
    assertEquals("tcp", ServerConfig.of(Map.of()).clusterDiscovery());
    ServerConfig k8s = ServerConfig.of(Map.of("ROOMS_CLUSTER_DISCOVERY", "kubernetes",
        "ROOMS_KUBERNETES_SERVICE_DNS", "rooms-cluster.rooms.svc.cluster.local"));
    assertEquals("rooms-cluster.rooms.svc.cluster.local", k8s.kubernetesServiceDns());
    ConfigException noName = assertThrows(ConfigException.class,
        () -> ServerConfig.of(Map.of("ROOMS_CLUSTER_DISCOVERY", "kubernetes")));
    assertTrue(noName.getMessage().contains("ROOMS_KUBERNETES_SERVICE_DNS"), noName.getMessage());
    ConfigException both = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of(
        "ROOMS_CLUSTER_DISCOVERY", "kubernetes", "ROOMS_KUBERNETES_SERVICE_DNS", "rooms-cluster",
        "ROOMS_CLUSTER_MEMBERS", "10.0.0.5")));
    assertTrue(both.getMessage().contains("ROOMS_CLUSTER_MEMBERS"), both.getMessage());
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_CLUSTER_DISCOVERY", "multicast")));
    assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_CLUSTER_DISCOVERY", "kubernetes",
        "ROOMS_KUBERNETES_SERVICE_DNS", "http://rooms-cluster")));
  }

  @Test
  void missingOrInvalidTlsFilesAreOneLineNamingTheSetting(@TempDir Path dir) throws Exception {
    SelfSignedCertificate pair = SelfSignedCertificate.create("localhost");
    SelfSignedCertificate other = SelfSignedCertificate.create("localhost");
    try {
      String cert = pair.certificatePath();
      String key = pair.privateKeyPath();
      Path missing = dir.resolve("missing.pem");
      Path junk = dir.resolve("junk.pem");
      Files.writeString(junk, "not a certificate\n");

      assertEquals("ROOMS_TLS_CERT=" + missing + ": no such file",
          tlsError(missing.toString(), key));
      assertEquals("ROOMS_TLS_KEY=" + missing + ": no such file",
          tlsError(cert, missing.toString()));
      assertEquals("ROOMS_TLS_CERT=" + dir + ": cannot be read (Is a directory)",
          tlsError(dir.toString(), key));
      assertTrue(tlsError(junk.toString(), key).startsWith("ROOMS_TLS_CERT=" + junk + ": "),
          "a file without a certificate is named");
      assertTrue(tlsError(key, key).startsWith("ROOMS_TLS_CERT=" + key + ": "),
          "a key given as the certificate is named");
      String certAsKey = tlsError(cert, cert);
      assertTrue(certAsKey.startsWith("ROOMS_TLS_KEY=" + cert + ": not an unencrypted PEM private key"), certAsKey);
      assertEquals("ROOMS_TLS_KEY=" + other.privateKeyPath() + ": is not the private key of the certificate in "
          + "ROOMS_TLS_CERT=" + cert, tlsError(cert, other.privateKeyPath()));
      Path ecKey = dir.resolve("ec-key.pem");
      java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
      Files.writeString(ecKey, "-----BEGIN PRIVATE KEY-----\n"
          + java.util.Base64.getMimeEncoder().encodeToString(ec.generateKeyPair().getPrivate().getEncoded())
          + "\n-----END PRIVATE KEY-----\n");
      assertEquals("ROOMS_TLS_KEY=" + ecKey + ": is not the private key of the certificate in ROOMS_TLS_CERT=" + cert,
          tlsError(cert, ecKey.toString()), "a key of another type");
      Path encrypted = dir.resolve("encrypted-key.pem");
      Files.writeString(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
      assertTrue(tlsError(cert, encrypted.toString()).startsWith("ROOMS_TLS_KEY=" + encrypted
          + ": not an unencrypted PEM private key"), "a key with a passphrase is refused by name");
      for (String line : new String[] {tlsError(junk.toString(), key), certAsKey}) {
        assertFalse(line.contains("\n"), "one line: " + line);
      }
    } finally {
      pair.delete();
      other.delete();
    }
  }

  private static String tlsError(String cert, String key) {
    return assertThrows(ConfigException.class,
        () -> ServerConfig.of(Map.of("ROOMS_TLS_CERT", cert, "ROOMS_TLS_KEY", key))).getMessage();
  }

  @Test
  void theMessageTtlIsADurationWithAUnitOrZero() {
    assertEquals(0, ServerConfig.of(Map.of()).messageTtlMs(), "off by default");
    assertEquals(90_000, ServerConfig.of(Map.of("ROOMS_MESSAGE_TTL", "90")).messageTtlMs(), "no unit: seconds");
    assertEquals(30 * 60_000, ServerConfig.of(Map.of("ROOMS_MESSAGE_TTL", "30m")).messageTtlMs());
    assertEquals(24 * 3_600_000, ServerConfig.of(Map.of("ROOMS_MESSAGE_TTL", "24h")).messageTtlMs());
    assertEquals(7 * 86_400_000L, ServerConfig.of(Map.of("ROOMS_MESSAGE_TTL", "7D")).messageTtlMs());
    for (String bad : java.util.List.of("-1", "1.5h", "h", "10w", "3651d", "1 h")) {
      ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of("ROOMS_MESSAGE_TTL", bad)), bad);
      assertTrue(e.getMessage().startsWith("ROOMS_MESSAGE_TTL"), e.getMessage());
    }
  }
}
