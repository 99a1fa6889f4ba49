package durablerooms;

import durablerooms.support.BrowserNode;
import durablerooms.support.ChatPage;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard page (dashboard.html) in headless Chromium, on a node with an API key: figures
 * pushed by HTTP calls from the test appear on an open page as they come, and a page opened later
 * shows every figure at once.
 */
@Tag("browser")
class BrowserDashboardTest {
  private static final String API_KEY = "browser-dash-key-0123456789";
  @RegisterExtension
  static final BrowserNode BROWSERS = BrowserNode.with(Map.of("ROOMS_API_KEY", API_KEY), "alice", "bob");
  private final ChatPage alice = BROWSERS.page("alice");
  private final ChatPage bob = BROWSERS.page("bob");
  private final String origin = BROWSERS.origin();

  /** The figures a page shows, by name, as "name=value" in the order of its tiles. */
  @SuppressWarnings("unchecked")
  private static List<String> tiles(ChatPage p) {
    return (List<String>) p.js("return [...document.querySelectorAll('#tiles .tile')]"
        + ".map(t => t.querySelector('.figure-name').textContent + '=' + t.dataset.value)");
  }

  private static void push(String room, String figure, Object value) {
    try {
      var r = DashboardTest.push(BROWSERS.node().httpPort(), API_KEY, room,
          "{\"figure\":\"" + figure + "\",\"value\":" + value + "}");
      assertEquals(200, r.statusCode(), r.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @DisplayName("figures pushed by HTTP calls appear on an open page, one tile each, as they come; a page opened later "
      + "shows them all; the page shows the curl command for its dashboard")
  void pushedFiguresAppearLive() {
    String room = "d-" + UUID.randomUUID().toString().substring(0, 8);
    alice.open(origin, "/#/dash/" + room, "alice").waitLive(); // the landing page's address for a dashboard
    assertTrue((Boolean) alice.js("return location.pathname.endsWith('/dashboard.html')"));
    alice.waitUntil("an empty dashboard says how to push", () -> (Boolean) alice.js(
        "return !document.getElementById('no-figures').hidden"));
    String curl = (String) alice.js("return document.getElementById('curl').textContent");
    assertTrue(curl.contains("Authorization: Bearer $ROOMS_API_KEY") && curl.contains(origin + "/api/rooms/dashboard/" + room),
        curl);

    push(room, "orders", 42);
    alice.waitUntil("the figure appears", () -> tiles(alice).equals(List.of("orders=42")));
    push(room, "latency_ms", 12.5);
    push(room, "orders", 43);
    alice.waitUntil("the figures update live", () -> tiles(alice).equals(List.of("latency_ms=12.5", "orders=43")));
    assertEquals("43", alice.js("return document.querySelector('[data-figure=orders] .figure-value').textContent"));
    assertTrue((Boolean) alice.js("return document.getElementById('no-figures').hidden"));
    screenshots(alice, "dashboard");

    bob.open(origin, "/dashboard.html#/" + room, "bob").waitLive();
    bob.waitUntil("a page opened later shows every figure", () -> tiles(bob).equals(List.of("latency_ms=12.5", "orders=43")));
    push(room, "signups", -3);
    for (ChatPage p : new ChatPage[] {alice, bob}) {
      p.waitUntil(p.label + " gets the new figure", () -> tiles(p).equals(List.of("latency_ms=12.5", "orders=43", "signups=-3")));
    }
  }

  private static void screenshots(ChatPage p, String name) {
    try {
      p.viewport(1280, 800, false);
      p.screenshot(name + "-desktop");
      p.colorScheme("dark");
      p.screenshot(name + "-desktop-dark");
      p.colorScheme("light");
      p.viewport(375, 740, true);
      p.waitUntil("the phone layout applies", () -> (Long) p.js("return window.innerWidth") == 375L);
      p.screenshot(name + "-phone");
      assertTrue((Long) p.js("return document.documentElement.scrollWidth") <= 375, "nothing wider than the phone");
    } finally {
      p.colorScheme("light");
      p.desktopViewport();
    }
  }
}
