package durablerooms.bench;

import durablerooms.bench.BenchOptions.Scenario;
import durablerooms.bench.BenchOptions.UsageException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchOptionsTest {
  private static BenchOptions parse(String... args) throws UsageException {
    return BenchOptions.parse(args);
  }

  @Test
  void withoutOptionsItTargetsTheDefaultLocalNode() throws Exception {
    BenchOptions o = parse();
    assertEquals(List.of(URI.create("ws://127.0.0.1:8080")), o.urls());
    assertEquals(BenchOptions.Protocol.AUTO, o.protocol());
    assertEquals(Scenario.NONE, o.scenario());
    assertFalse(o.json());
    assertTrue(o.roomPrefix().startsWith("bench-"));
  }

  @Test
  void optionsAreReadInBothSpellings() throws Exception {
    BenchOptions o = parse("--rooms", "3", "--members=4", "--rate", "2.5", "--json", "--protocol", "seed");
    assertEquals(3, o.rooms());
    assertEquals(4, o.members());
    assertEquals(12, o.clients());
    assertEquals(2.5, o.rate());
    assertTrue(o.json());
    assertEquals(BenchOptions.Protocol.SEED, o.protocol());
  }

  @Test
  void membersJoinChatRoomsOrRoomsOfTheTypeGiven() throws Exception {
    assertEquals("/chat/p-3", parse("--room-prefix", "p").roomPath(3));
    assertEquals("/rooms/relay/p-3", parse("--room-prefix", "p", "--type", "relay").roomPath(3));
    assertThrows(UsageException.class, () -> parse("--type", "../admin"));
  }

  @Test
  void severalUrlsAreSplitAndNormalised() throws Exception {
    BenchOptions o = parse("--url", "ws://127.0.0.1:8081, http://localhost:8082,127.0.0.1:8083");
    assertEquals(List.of(URI.create("ws://127.0.0.1:8081"), URI.create("ws://localhost:8082"),
        URI.create("ws://127.0.0.1:8083")), o.urls());
  }

  @Test
  void tlsUrlsStayTls() throws Exception {
    BenchOptions o = parse("--url", "wss://127.0.0.1:8443,https://localhost,ws://127.0.0.1:8080");
    assertEquals(List.of(URI.create("wss://127.0.0.1:8443"), URI.create("wss://localhost:443"),
        URI.create("ws://127.0.0.1:8080")), o.urls());
    assertTrue(BenchOptions.tls(o.urls().get(0)));
    assertFalse(BenchOptions.tls(o.urls().get(2)));
  }

  @Test
  void onlyLoopbackTargetsAreAccepted() {
    assertThrows(UsageException.class, () -> parse("--url", "ws://10.0.0.5:8080"));
    assertThrows(UsageException.class, () -> parse("--url", "wss://10.0.0.5:8443"));
    assertThrows(UsageException.class, () -> parse("--url", "ftp://127.0.0.1:8080"));
    assertThrows(UsageException.class, () -> parse("--url", ""));
  }

  @Test
  void aScenarioPresetsItsShapeAndExplicitOptionsWin() throws Exception {
    BenchOptions fanout = parse("--scenario", "fanout");
    assertEquals(50, fanout.rooms());
    assertEquals(20, fanout.members());
    assertFalse(fanout.ladder().isEmpty());
    BenchOptions shorter = parse("--duration", "10", "--scenario", "fanout", "--ladder", "1,2");
    assertEquals(10, shorter.durationSec());
    assertEquals(List.of(1.0, 2.0), shorter.ladder());
    assertEquals(500, parse("--scenario", "bigroom").members());
    assertEquals(0.5, parse("--scenario", "bigroom").rate());
    assertEquals(200, parse("--scenario", "cold").rooms());
    assertEquals(1, parse("--scenario", "cold").members());
    assertEquals(2, parse("--scenario", "wake").members());
    assertEquals(0, parse("--scenario", "idle").rate());
    assertEquals(200, parse("--scenario", "alarms").rooms());
    assertEquals(5, parse("--scenario", "alarms").turnSeconds());
    assertEquals(8099, parse("--scenario", "webhooks").hookPort());
    assertEquals("s3cret", parse("--scenario", "webhooks", "--hook-secret", "s3cret").hookSecret());
    assertThrows(UsageException.class, () -> parse("--turn-seconds", "0"));
    assertThrows(UsageException.class, () -> parse("--hook-port", "70000"));
  }

  @Test
  void severalServerPidsAreSummedForALocalCluster() throws Exception {
    assertEquals(List.of(), parse().pids());
    assertEquals(List.of(41L), parse("--pid", "41").pids());
    assertEquals(List.of(41L, 42L, 43L), parse("--pid", "41, 42,43").pids());
    UsageException e = assertThrows(UsageException.class, () -> parse("--pid", "41,x"));
    assertTrue(e.getMessage().contains("--pid"));
    assertThrows(UsageException.class, () -> parse("--pid", "-3"));
  }

  @Test
  void badValuesAreRefusedWithTheOptionNamed() {
    UsageException e = assertThrows(UsageException.class, () -> parse("--rooms", "zero"));
    assertTrue(e.getMessage().contains("--rooms"));
    assertThrows(UsageException.class, () -> parse("--rooms", "0"));
    assertThrows(UsageException.class, () -> parse("--rate", "-1"));
    assertThrows(UsageException.class, () -> parse("--size", "8"));
    assertThrows(UsageException.class, () -> parse("--scenario", "storm"));
    assertThrows(UsageException.class, () -> parse("--bogus", "1"));
    assertThrows(UsageException.class, () -> parse("--rooms"));
    assertThrows(UsageException.class, () -> parse("rooms"));
    assertThrows(UsageException.class, () -> parse("--rooms", "1000", "--members", "1000"));
    assertThrows(UsageException.class, () -> parse("--room-prefix", "a/b"));
  }
}
