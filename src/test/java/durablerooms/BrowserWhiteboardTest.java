package durablerooms;

import durablerooms.support.BrowserNode;
import durablerooms.support.ChatPage;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whiteboard page (whiteboard.html) in headless Chromium: two browsers draw and see each
 * other's strokes and cursor; a third comes later and gets every stroke; a clear empties every
 * board. The browsers are driven through {@link ChatPage}'s general helpers.
 */
@Tag("browser")
class BrowserWhiteboardTest {
  @RegisterExtension
  static final BrowserNode BROWSERS = BrowserNode.with(Map.of(), "alice", "bob", "carol");
  private final ChatPage alice = BROWSERS.page("alice");
  private final ChatPage bob = BROWSERS.page("bob");
  private final ChatPage carol = BROWSERS.page("carol");
  private final String origin = BROWSERS.origin();

  /** The strokes of the room a page shows, and its own still on their way. */
  private static long strokes(ChatPage p) {
    return Long.parseLong((String) p.js("return document.getElementById('canvas').dataset.strokes || '0'"));
  }

  private static boolean nonePending(ChatPage p) {
    return "0".equals(p.js("return document.getElementById('canvas').dataset.pending || '0'"));
  }

  /** How many pixels of the canvas are painted (the board itself is transparent). */
  private static long painted(ChatPage p) {
    return (Long) p.js("const c = document.getElementById('canvas');"
        + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        + "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n;");
  }

  /** Drags the mouse across the canvas, from (x, y) pixels off its centre, in a few steps. */
  private static void draw(ChatPage p, int x, int y) {
    WebElement canvas = p.driver.findElement(By.id("canvas"));
    new Actions(p.driver).moveToElement(canvas, x, y).clickAndHold()
        .moveByOffset(40, 10).moveByOffset(40, 20).moveByOffset(40, -10).release().perform();
  }

  @SuppressWarnings("unchecked")
  private static List<String> people(ChatPage p) {
    return (List<String>) p.js("return [...document.querySelectorAll('#people .name')].map(e => e.textContent)");
  }

  private static String swatch(ChatPage p, int i) {
    return (String) p.js("return getComputedStyle(document.querySelectorAll('#people .swatch')[arguments[0]])"
        + ".backgroundColor", i);
  }

  @Test
  @DisplayName("two browsers draw and each sees the other's strokes and cursor, each person in a colour; a third comes "
      + "later and gets every stroke; a clear empties every board")
  void drawTogetherThenALateComerGetsTheBoard() {
    String room = "b-" + UUID.randomUUID().toString().substring(0, 8);
    alice.open(origin, "/whiteboard.html#/" + room, "alice").waitLive();
    bob.open(origin, "/#/board/" + room, "bob").waitLive(); // the landing page's address for a board
    alice.waitUntil("alice sees bob", () -> people(alice).equals(List.of("alice", "bob")));
    bob.waitUntil("bob has the list", () -> people(bob).equals(List.of("alice", "bob")));
    assertNotEquals(swatch(alice, 0), swatch(alice, 1), "a colour per person");

    draw(alice, -300, -100);
    alice.waitUntil("alice's stroke is in the room", () -> strokes(alice) == 1 && nonePending(alice));
    bob.waitUntil("bob gets alice's stroke", () -> strokes(bob) == 1);
    draw(bob, -100, 50);
    alice.waitUntil("alice gets bob's stroke", () -> strokes(alice) == 2);
    bob.waitUntil("bob's stroke is in the room", () -> strokes(bob) == 2 && nonePending(bob));
    assertTrue(painted(alice) > 100, "alice's canvas shows the strokes");
    bob.driver.findElement(By.cssSelector("input[name='width'][value='10']")).click();
    draw(bob, 150, -200);
    alice.waitUntil("alice gets bob's thick stroke", () -> strokes(alice) == 3);

    new Actions(bob.driver).moveToElement(bob.driver.findElement(By.id("canvas")), 120, 80).perform();
    alice.waitUntil("alice sees bob's cursor, named", () -> "bob".equals(alice.js(
        "const c = document.querySelector('#cursors .cursor .cursor-name'); return c && c.textContent")));
    new Actions(alice.driver).moveToElement(alice.driver.findElement(By.id("canvas")), -50, 20).perform();
    bob.waitUntil("bob sees alice's cursor, named", () -> "alice".equals(bob.js(
        "const c = document.querySelector('#cursors .cursor .cursor-name'); return c && c.textContent")));
    screenshots(alice, "whiteboard");

    String evil = "<img src=x onerror=alert(1)>";
    carol.open(origin, "/whiteboard.html#/" + room, evil).waitLive();
    carol.waitUntil("carol gets every stroke drawn before she came", () -> strokes(carol) == 3);
    assertTrue(painted(carol) > 100, "and her canvas shows them");
    alice.waitUntil("alice sees carol's name as text", () -> people(alice).contains(evil));
    assertEquals(0L, alice.js("return document.querySelectorAll('#people img, #cursors img').length"));

    bob.driver.findElement(By.id("clear-button")).click();
    for (ChatPage p : new ChatPage[] {alice, bob, carol}) {
      p.waitUntil(p.label + "'s board is cleared", () -> strokes(p) == 0 && painted(p) == 0);
    }
    assertEquals("bob cleared the board.", carol.js("return document.getElementById('notice').textContent"));
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
