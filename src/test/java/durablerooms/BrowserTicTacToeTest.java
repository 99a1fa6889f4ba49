package durablerooms;

import durablerooms.support.BrowserNode;
import durablerooms.support.ChatPage;

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

/**
 * The tic-tac-toe page (tictactoe.html) in headless Chromium: two browsers play a game to a win
 * through a reload of one of them and a restart of the node, then a rematch. The browsers are
 * driven through {@link ChatPage}'s general helpers (open, scripts, waits, screenshots).
 */
@Tag("browser")
class BrowserTicTacToeTest {
  @RegisterExtension
  static final BrowserNode BROWSERS = BrowserNode.with(Map.of(), "alice", "bob");
  private final ChatPage alice = BROWSERS.page("alice");
  private final ChatPage bob = BROWSERS.page("bob");
  private final String origin = BROWSERS.origin();

  private static String mark(ChatPage p, int cell) {
    return (String) p.js("return document.querySelector('.cell[data-cell=\"" + cell + "\"]').textContent");
  }

  private static String text(ChatPage p, String selector) {
    return (String) p.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : null", selector);
  }

  /** Plays a cell once the page lets its player do so, and waits until the other page shows it. */
  private static void play(ChatPage player, ChatPage other, int cell, String mark) {
    player.waitUntil("cell " + cell + " can be played", () -> (Boolean) player.js(
        "return !document.querySelector('.cell[data-cell=\"" + cell + "\"]').disabled"));
    player.driver.findElement(By.cssSelector(".cell[data-cell=\"" + cell + "\"]")).click();
    other.waitUntil(other.label + " sees " + mark + " on cell " + cell, () -> mark.equals(mark(other, cell)));
  }

  @Test
  @DisplayName("from the landing page, two browsers take the seats and play to a win; one reloads mid-game and the node "
      + "restarts, and each gets its seat and the board back; the loser starts the rematch")
  void aGameToAWinThroughAReloadAndARestart() {
    String room = "g-" + UUID.randomUUID().toString().substring(0, 8);
    alice.open(origin, "/", "alice");
    alice.waitUntil("the landing page links the examples", () -> alice.driver.findElement(By.id("tictactoe-link")).isDisplayed()
        && alice.driver.findElement(By.id("whiteboard-link")).isDisplayed());
    alice.driver.findElement(By.id("tictactoe-link")).click();
    alice.waitUntil("the game's form shows", () -> alice.driver.findElement(By.id("join-form")).isDisplayed());
    WebElement roomInput = alice.driver.findElement(By.id("room-input"));
    roomInput.clear();
    roomInput.sendKeys(room);
    alice.driver.findElement(By.id("join-button")).click();
    alice.waitLive();
    assertTrue(alice.driver.getCurrentUrl().endsWith("/tictactoe.html#/" + room), alice.driver.getCurrentUrl());
    bob.open(origin, "/#/play/" + room, "<b>bob</b>").waitLive(); // the landing page's address for a game
    assertTrue(bob.driver.getCurrentUrl().endsWith("/tictactoe.html#/" + room), bob.driver.getCurrentUrl());

    alice.driver.findElement(By.id("sit-button")).click();
    bob.waitUntil("bob sees alice as X", () -> "alice".equals(text(bob, "#player-X .player-name")));
    bob.driver.findElement(By.id("sit-button")).click();
    alice.waitUntil("alice sees bob as O, his name as text", () -> "<b>bob</b>".equals(text(alice, "#player-O .player-name")));
    assertEquals(0L, alice.js("return document.querySelectorAll('.players b').length"), "no element made from a name");
    alice.waitUntil("alice is told it is her turn", () -> "Your turn.".equals(text(alice, "#game-status")));
    assertEquals("alice's turn.", text(bob, "#game-status"));
    alice.waitUntil("alice sees her turn's clock run", () -> text(alice, "#turn-clock").matches("[1-6]?[0-9] s left for you"));

    play(alice, bob, 0, "X");
    play(bob, alice, 4, "O");
    play(alice, bob, 1, "X");

    bob.driver.navigate().refresh();
    bob.waitLive();
    bob.waitUntil("bob has his seat and the board back after the reload", () -> "<b>bob</b> (you)".equals(
        text(bob, "#player-O .player-name")) && "X".equals(mark(bob, 1)) && "O".equals(mark(bob, 4)));
    assertEquals("Your turn.", text(bob, "#game-status"));
    play(bob, alice, 7, "O");

    alice.recordStates();
    BROWSERS.stopNode();
    BROWSERS.startNode(); // same data folder, same port
    alice.waitUntil("alice's page went through reconnecting", () -> alice.recordedStates().contains("reconnecting"));
    alice.waitLive();
    bob.waitLive();
    alice.waitUntil("alice has her seat and the board after the restart", () -> "alice (you)".equals(
        text(alice, "#player-X .player-name")) && "O".equals(mark(alice, 7)));
    alice.consoleErrors(); // the connections refused while the node was down, which the console reports
    bob.consoleErrors();

    play(alice, bob, 2, "X");
    alice.waitUntil("alice is told she won", () -> "You win!".equals(text(alice, "#game-status")));
    bob.waitUntil("bob is told who won", () -> "alice wins.".equals(text(bob, "#game-status")));
    assertEquals(List.of("0", "1", "2"), bob.js("return [...document.querySelectorAll('.cell.win')].map(c => c.dataset.cell)"));
    screenshots();

    bob.driver.findElement(By.id("rematch-button")).click();
    bob.waitUntil("the rematch starts with bob", () -> "Your turn.".equals(text(bob, "#game-status")));
    alice.waitUntil("alice sees an empty board", () -> (Boolean) alice.js(
        "return [...document.querySelectorAll('.cell')].every(c => c.textContent === '')"));
  }

  private void screenshots() {
    try {
      alice.viewport(1280, 800, false);
      alice.screenshot("tictactoe-desktop");
      alice.colorScheme("dark");
      alice.screenshot("tictactoe-desktop-dark");
      alice.colorScheme("light");
      alice.viewport(375, 740, true);
      alice.waitUntil("the phone layout applies", () -> (Long) alice.js("return window.innerWidth") == 375L);
      alice.screenshot("tictactoe-phone");
      assertTrue((Long) alice.js("return document.documentElement.scrollWidth") <= 375, "nothing wider than the phone");
    } finally {
      alice.colorScheme("light");
      alice.desktopViewport();
    }
  }
}
