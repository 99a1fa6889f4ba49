package durablerooms.gateway;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginPolicyTest {
  private final OriginPolicy defaults = OriginPolicy.parse("self,localhost");

  @Test
  void noOriginIsNotABrowserAndPasses() {
    assertTrue(defaults.allows(null, "chat.example.com"));
  }

  @Test
  void theServersOwnOriginPasses() {
    assertTrue(defaults.allows("https://chat.example.com", "chat.example.com"));
    assertTrue(defaults.allows("https://chat.example.com", "chat.example.com:443"));
    assertTrue(defaults.allows("http://10.0.0.5:8080", "10.0.0.5:8080"));
    assertTrue(defaults.allows("HTTP://Chat.Example.com", "chat.example.COM"));
    assertFalse(defaults.allows("http://10.0.0.5:8081", "10.0.0.5:8080"), "another port is another origin");
    assertFalse(defaults.allows("https://chat.example.com", "chat.example.com:80"));
    assertFalse(defaults.allows("https://evil.example", "chat.example.com"));
  }

  @Test
  void localhostPassesOnAnyPort() {
    assertTrue(defaults.allows("http://localhost:5173", "chat.example.com"));
    assertTrue(defaults.allows("https://127.0.0.1:9999", "chat.example.com"));
    assertTrue(defaults.allows("http://[::1]:3000", "chat.example.com"));
    assertFalse(defaults.allows("http://localhost.evil.example", "chat.example.com"));
    assertFalse(defaults.allows("http://127.0.0.1.evil.example:80", "chat.example.com"));
  }

  @Test
  void junkAndNullOriginsAreForeign() {
    assertFalse(defaults.allows("null", "chat.example.com"));
    assertFalse(defaults.allows("file://", "chat.example.com"));
    assertFalse(defaults.allows("not a url", "chat.example.com"));
    assertFalse(defaults.allows("ws://chat.example.com", "chat.example.com"));
  }

  @Test
  void listedOriginsAndWildcards() {
    OriginPolicy p = OriginPolicy.parse("https://app.example.com, https://*.partner.example");
    assertTrue(p.allows("https://app.example.com", "api.example.com"));
    assertTrue(p.allows("https://app.example.com/", "api.example.com"));
    assertTrue(p.allows("https://eu.partner.example", "api.example.com"));
    assertFalse(p.allows("https://evilpartner.example", "api.example.com"));
    assertFalse(p.allows("http://app.example.com", "api.example.com"), "the scheme counts");
    assertFalse(p.allows("http://localhost:3000", "api.example.com"), "localhost only when listed");
    assertFalse(p.allows("https://api.example.com", "api.example.com"), "self only when listed");
    assertTrue(OriginPolicy.parse("*").allows("https://anything.example", "x"));
  }
}
