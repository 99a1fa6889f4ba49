package durablerooms;

import durablerooms.support.BrowserNode;
import durablerooms.support.ChatPage;
import durablerooms.support.TestNodes;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page when its node goes away and comes back, and when the server tells it not to come back. */
@Tag("browser")
class BrowserReconnectTest {
  @RegisterExtension
  static final BrowserNode BROWSERS = BrowserNode.with(Map.of(), "alice").withoutConsoleChecks();
  private final ChatPage alice = BROWSERS.page("alice");
  private final String origin = BROWSERS.origin();

  @BeforeAll
  static void recordSockets() {
    BROWSERS.page("alice").recordSockets();
  }

  private static String freshRoom() {
    return "r-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  @DisplayName("while its node is down the page waits at most 5 s between tries, and is live again within 6 s of "
      + "the node serving again")
  void backoffIsCappedAtFiveSeconds() {
    alice.open(origin, "/#/room/" + freshRoom(), "alice").waitLive();
    alice.js("window.__waits = []; const wait = document.getElementById('status-wait');"
        + "new MutationObserver(() => window.__waits.push(wait.textContent))"
        + ".observe(wait, {childList: true, characterData: true, subtree: true});");
    long before = alice.socketsOpened();
    BROWSERS.stopNode();
    // seven tries: with a backoff doubling from 0.5 s, the wait after them is past 5 s unless capped
    TestNodes.eventually(60_000, "the page has tried seven times", () -> alice.socketsOpened() >= before + 7);
    BROWSERS.startNode();
    long ready = System.nanoTime();
    TestNodes.eventually(6_000, "the page is live again", () -> "live".equals(alice.state()));
    long tookMs = (System.nanoTime() - ready) / 1_000_000;
    @SuppressWarnings("unchecked")
    List<String> waits = (List<String>) alice.js("return window.__waits");
    int longest = waits.stream().filter(w -> w.startsWith(" in "))
        .mapToInt(w -> Integer.parseInt(w.replaceAll("\\D", ""))).max().orElse(0);
    assertTrue(longest <= 5, "the longest wait shown was " + longest + " s: " + waits);
    assertTrue(tookMs <= 6_000, "live " + tookMs + " ms after the node was ready");
  }

  @Test
  @DisplayName("closed with 1008 (its error budget spent), the page stays disconnected, says why, and reconnects "
      + "only when the user asks")
  void noReconnectAfterPolicyClose() {
    alice.open(origin, "/#/room/" + freshRoom(), "alice").waitLive();
    long opened = alice.socketsOpened();
    alice.js("const ws = window.__sockets[window.__sockets.length - 1];"
        + "for (let i = 0; i < 40; i++) ws.send('not json');");
    alice.waitUntil("the page says it was disconnected", () -> "closed".equals(alice.state()));
    assertEquals("Disconnected: too many errors (1008)", alice.statusText());

    alice.js("window.dispatchEvent(new Event('online')); document.dispatchEvent(new Event('visibilitychange'));");
    assertEquals("closed", alice.state(), "the network coming back or the page shown again does not reconnect");
    assertEquals(opened, alice.socketsOpened(), "no new socket");

    WebElement again = alice.driver.findElement(By.id("retry-button"));
    assertTrue(again.isDisplayed());
    assertEquals("Try again", again.getText());
    again.click();
    alice.waitLive();
    assertEquals(opened + 1, alice.socketsOpened());
  }
}
