package durablerooms;

import durablerooms.support.WsClient;

import durablerooms.support.BrowserNode;
import durablerooms.support.ChatPage;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat page in headless Chromium against one real node: two people in a room, history, safety, the seed client. */
@Tag("browser")
class BrowserChatTest {
  @RegisterExtension
  static final BrowserNode BROWSERS = BrowserNode.with(Map.of(), "alice", "bob");
  private final ChatPage alice = BROWSERS.page("alice");
  private final ChatPage bob = BROWSERS.page("bob");
  private final String origin = BROWSERS.origin();

  private static String freshRoom() {
    return "r-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  @DisplayName("two pages in one room see each other's messages, presence and typing; own messages go from pending to sent")
  void twoPagesTalk() {
    String room = freshRoom();
    alice.open(origin, "/", null).joinWithForm(room, "alice");
    alice.waitLive();
    assertTrue(alice.driver.getCurrentUrl().endsWith("/#/room/" + room), "the room is in the URL, so a link invites");
    bob.open(origin, "/#/room/" + room, "bob").waitLive();

    alice.waitUntil("alice sees bob in the room", () -> alice.presence().containsAll(List.of("alice", "bob")));
    bob.waitUntil("bob sees alice in the room", () -> bob.presence().containsAll(List.of("alice", "bob")));
    alice.waitUntil("alice is told that bob joined", () -> alice.systemLines().contains("bob joined"));

    alice.send("Hi Bob, how are you?");
    bob.waitUntil("bob gets alice's message", () -> bob.count("Hi Bob, how are you?") == 1);
    assertEquals("alice", bob.messages().get(0).get("user"));
    alice.waitUntil("alice's message is acknowledged", alice::nonePending);

    bob.type("Fine, ");
    alice.waitUntil("alice sees that bob is typing", () -> alice.typing().equals("bob is typing…"));
    bob.send("thanks!");
    alice.waitUntil("alice gets bob's message", () -> alice.count("Fine, thanks!") == 1);
    alice.waitUntil("the typing line goes once the message is in", () -> alice.typing().isEmpty());
    bob.waitUntil("bob's message is acknowledged", bob::nonePending);

    assertEquals(List.of("Hi Bob, how are you?", "Fine, thanks!"), alice.texts());
    assertEquals(alice.texts(), bob.texts(), "both pages show the room's one order");
    assertEquals("Live", alice.statusText());

    alice.driver.findElement(By.id("name-input")).clear();
    alice.joinWithForm(room, "alicia"); // same room, new name: a rename, not a new join
    bob.waitUntil("bob sees the new name", () -> bob.presence().contains("alicia") && !bob.presence().contains("alice"));
    bob.waitUntil("bob is told", () -> bob.systemLines().contains("alice is now alicia"));
    alice.send("It's me");
    bob.waitUntil("the next message carries the new name", () -> bob.messages().stream()
        .anyMatch(m -> "It's me".equals(m.get("text")) && "alicia".equals(m.get("user"))));
  }

  @Test
  @DisplayName("a page shows the latest history on join, loads older pages when scrolled up, and again after a reload")
  void historyOnJoinScrollAndReload() {
    String room = freshRoom();
    for (int batch = 0; batch < 4; batch++) { // four writers of 20 each: well within any per-connection rate limit
      try (WsClient carol = WsClient.join(BROWSERS.node().vertx(), BROWSERS.node().httpPort(), "/chat/" + room + "?name=carol")) {
        for (int i = batch * 20 + 1; i <= batch * 20 + 20; i++) {
          carol.say("old " + i, "id-" + i);
        }
        String last = "id-" + (batch * 20 + 20);
        carol.nextMatching(f -> "ACK".equals(f.getString("type")) && last.equals(f.getString("id")), "the last ACK");
      }
    }
    alice.open(origin, "/#/room/" + room, "alice").waitLive();
    alice.waitUntil("the latest history is shown", () -> alice.count("old 80") == 1);
    assertEquals(50, alice.texts().size(), "one page of history at first");

    alice.waitUntil("scrolling up loads older messages, down to the first", () -> {
      alice.js("document.getElementById('chat-scroll').scrollTop = 0");
      return alice.count("old 1") == 1;
    });
    List<String> all = IntStream.rangeClosed(1, 80).mapToObj(i -> "old " + i).toList();
    assertEquals(all, alice.texts(), "every message once, in order");
    alice.waitUntil("the start of the room is marked",
        () -> alice.driver.findElement(By.id("history-status")).getText().contains("beginning"));

    try (WsClient dave = WsClient.join(BROWSERS.node().vertx(), BROWSERS.node().httpPort(), "/chat/" + room + "?name=dave")) {
      alice.js("document.getElementById('chat-scroll').scrollTop = 0");
      dave.say("a new message while alice reads old ones");
      alice.waitUntil("the new message arrives", () -> alice.count("a new message while alice reads old ones") == 1);
      assertEquals(0L, alice.js("return Math.round(document.getElementById('chat-scroll').scrollTop)"),
          "the page does not pull a reader who scrolled up down to the new message");
      WebElement jump = alice.driver.findElement(By.id("jump-latest"));
      assertEquals("1 new message ↓", jump.getText());
      jump.click();
      alice.waitUntil("the button takes the reader to the end", () -> (Boolean) alice.js(
          "const s = document.getElementById('chat-scroll'); return s.scrollHeight - s.scrollTop - s.clientHeight < 2"));
    }

    alice.send("before the reload");
    alice.waitUntil("acknowledged", alice::nonePending);
    alice.driver.navigate().refresh();
    alice.waitLive();
    alice.waitUntil("the reloaded page shows the history", () -> alice.count("before the reload") == 1
        && alice.count("old 80") == 1);
    assertTrue(alice.nonePending());
  }

  @Test
  @DisplayName("a page that loses the network says offline, keeps what is typed, and sends it once when back")
  void offlineAndBack() {
    String room = freshRoom();
    alice.open(origin, "/#/room/" + room, "alice").waitLive();
    bob.open(origin, "/#/room/" + room, "bob").waitLive();
    alice.waitUntil("both here", () -> alice.presence().size() == 2);

    alice.network(false);
    try {
      alice.waitUntil("the page says it is offline", () -> "offline".equals(alice.state()));
      assertEquals("Offline", alice.statusText());
      alice.send("typed while offline");
      assertFalse(alice.nonePending(), "shown at once, as pending");
      alice.screenshot("chat-desktop-offline");
    } finally {
      alice.network(true);
    }
    alice.waitLive();
    bob.waitUntil("bob gets the message once the network is back", () -> bob.count("typed while offline") == 1);
    alice.waitUntil("and alice's copy is marked sent", alice::nonePending);
    assertEquals(1L, alice.count("typed while offline"));
  }

  @Test
  @DisplayName("while the page is hidden, the tab title counts unread messages; seeing the page clears it")
  void unreadCountInTitle() {
    String room = freshRoom();
    alice.open(origin, "/#/room/" + room, "alice").waitLive();
    bob.open(origin, "/#/room/" + room, "bob").waitLive();
    alice.waitUntil("both here", () -> alice.presence().size() == 2);
    String chatTab = alice.driver.getWindowHandle();
    alice.driver.switchTo().newWindow(WindowType.TAB); // the chat tab is now in the background
    try {
      bob.send("one");
      bob.send("two");
      alice.waitUntil("the hidden tab's title counts 2", () -> alice.tabTitles().contains("(2) " + room + " · Durable Rooms"));
    } finally {
      alice.driver.close();
      alice.driver.switchTo().window(chatTab);
    }
    alice.waitUntil("seen: the count goes", () -> alice.driver.getTitle().equals(room + " · Durable Rooms"));
  }

  @Test
  @DisplayName("markup in messages and names is shown as text, and the page is served with a strict CSP")
  void markupIsText() throws Exception {
    String room = freshRoom();
    String evil = "<img src=x onerror=alert(1)>";
    alice.open(origin, "/#/room/" + room, "alice").waitLive();
    bob.open(origin, "/#/room/" + room, "<b>bob</b>").waitLive();
    alice.waitUntil("alice sees the name as typed", () -> alice.presence().contains("<b>bob</b>"));

    alice.send(evil);
    bob.waitUntil("bob sees the message as text", () -> bob.count(evil) == 1);
    alice.waitUntil("alice's copy is acknowledged", alice::nonePending);
    for (ChatPage p : new ChatPage[] {alice, bob}) {
      assertEquals(0L, p.js("return document.querySelectorAll('#chat-messages img, #presence b').length"),
          p.label + ": no element made from user text");
      assertThrows(NoAlertPresentException.class, () -> p.driver.switchTo().alert());
    }

    HttpResponse<String> page = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(origin + "/")).build(), HttpResponse.BodyHandlers.ofString());
    String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), csp);
    assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
  }

  @Test
  @DisplayName("the seed article's client (seed.html), which renders any frame but SYSTEM as user: message, chats with the page and never shows undefined")
  void seedClientChatsWithThePage() {
    bob.open(origin, "/seed.html", null);
    bob.waitUntil("the seed client is welcomed", () -> seedLines().contains("Welcome to the chat room!"));
    alice.open(origin, "/#/room/lobby", "alice").waitLive();
    alice.waitUntil("the seed client is in the lobby", () -> alice.presence().contains("Anonymous"));
    bob.waitUntil("the seed client is told that alice joined", () -> seedLines().contains("alice joined"));

    alice.send("hello, seed");
    bob.waitUntil("the seed client shows the page's message", () -> seedLines().contains("alice: hello, seed"));

    bob.driver.findElement(By.id("message-input")).sendKeys("hello, page");
    bob.driver.findElement(By.id("send-button")).click();
    alice.waitUntil("the page shows the seed client's message", () -> alice.count("hello, page") == 1);
    assertTrue(alice.messages().stream().anyMatch(m -> "hello, page".equals(m.get("text"))
        && "Anonymous".equals(m.get("user"))));

    alice.open(origin, "/#/room/elsewhere-" + UUID.randomUUID().toString().substring(0, 8), "alice").waitLive(); // alice leaves the lobby
    bob.waitUntil("the seed client is told that alice left", () -> seedLines().contains("alice left"));
    List<String> lines = seedLines();
    assertEquals(List.of("Welcome to the chat room!", "alice joined", "alice: hello, seed", "You: hello, page",
        "alice left"), lines,
        "only the welcome, the other person's messages and the join and leave lines: " + lines);
    assertFalse(lines.stream().anyMatch(l -> l.contains("undefined")), lines.toString());
  }

  @SuppressWarnings("unchecked")
  private List<String> seedLines() {
    return (List<String>) bob.js("return [...document.querySelectorAll('#chat-messages li')].map(e => e.textContent)");
  }

  @Test
  @DisplayName("the name field shows no error border on load, only once the user has typed in it and left it empty")
  void nameFieldErrorOnlyAfterTyping() {
    alice.open(origin, "/health", null);
    alice.js("localStorage.removeItem('rooms.name')");
    alice.open(origin, "/", null);
    alice.waitUntil("the room picker shows", () -> alice.driver.findElement(By.id("join-form")).isDisplayed());
    String border = "return getComputedStyle(document.getElementById(arguments[0])).borderTopColor";
    assertEquals("", alice.driver.findElement(By.id("name-input")).getAttribute("value"));
    assertEquals(alice.js(border, "room-input"), alice.js(border, "name-input"), "an empty name field looks like the others");

    WebElement name = alice.driver.findElement(By.id("name-input"));
    name.sendKeys("a", Keys.BACK_SPACE);
    alice.driver.findElement(By.id("room-input")).click(); // the field loses the focus
    assertFalse(alice.js(border, "room-input").equals(alice.js(border, "name-input")),
        "typed and emptied: the field is marked");
  }

  @Test
  @DisplayName("Leave closes the page's socket with 1000 and goes back to the room picker; the others see the leave")
  void leaveButton() {
    String room = freshRoom();
    alice.open(origin, "/#/room/" + room, "alice").waitLive();
    bob.open(origin, "/#/room/" + room, "bob").waitLive();
    bob.waitUntil("both here", () -> bob.presence().size() == 2);
    alice.js("window.__closes = []; const close = WebSocket.prototype.close;"
        + "WebSocket.prototype.close = function (code) { window.__closes.push(code); return close.apply(this, arguments); };");

    alice.driver.findElement(By.id("leave-button")).click();
    alice.waitUntil("the room picker shows", () -> alice.driver.findElement(By.id("join-form")).isDisplayed()
        && (Boolean) alice.js("return document.body.classList.contains('no-room')"));
    assertEquals(List.of(1000L), alice.js("return window.__closes"), "one socket closed, with 1000");
    assertFalse(alice.driver.findElement(By.id("leave-button")).isDisplayed(), "no Leave outside a room");
    bob.waitUntil("bob sees alice leave", () -> bob.presence().equals(List.of("bob"))
        && bob.systemLines().contains("alice left"));
  }

  @Test
  @DisplayName("the member list shows names, not node ids; a member's node shows on hover")
  void memberListHidesNodeIds() {
    String room = freshRoom();
    alice.open(origin, "/#/room/" + room, "alice").waitLive();
    String nodeId = alice.node();
    String shown = (String) alice.js("return document.getElementById('people-panel').innerText");
    assertFalse(shown.contains(nodeId.substring(0, 8)), "no node id in the visible text: " + shown);
    String hover = (String) alice.js("return document.querySelector('#presence .who').title");
    assertTrue(hover.contains(nodeId), hover);
  }

  @Test
  @DisplayName("the page looks right at desktop and phone widths (screenshots in target/screenshots)")
  void screenshots() {
    String room = "general";
    bob.open(origin, "/#/room/" + room, "Bob Marsh").waitLive();
    alice.open(origin, "/#/room/" + room, "Alice Chen").waitLive();
    alice.waitUntil("both here", () -> alice.presence().size() == 2);
    alice.send("Morning! Is the deploy still on for 3 pm?");
    bob.waitUntil("bob has it", () -> bob.count("Morning! Is the deploy still on for 3 pm?") == 1);
    bob.send("Yes. Node 2 drains first; the rooms on it move to node 1 and everyone reconnects by themselves.");
    bob.send("You should not notice more than a blink of the status pill.");
    alice.type("Checklist:", Keys.chord(Keys.SHIFT, Keys.ENTER), "1. drain node 2",
        Keys.chord(Keys.SHIFT, Keys.ENTER), "2. watch https://status.example.com/rooms", Keys.ENTER);
    String checklist = "Checklist:\n1. drain node 2\n2. watch https://status.example.com/rooms";
    bob.waitUntil("Shift+Enter made one message of three lines", () -> bob.count(checklist) == 1);
    alice.waitUntil("all acknowledged", () -> alice.nonePending() && alice.texts().size() == 4);
    bob.type("Sounds good");
    alice.waitUntil("alice sees bob typing", () -> !alice.typing().isEmpty());

    try {
      alice.viewport(1280, 800, false);
      alice.waitUntil("the desktop size applies", () -> (Long) alice.js("return window.innerHeight") == 800L);
      alice.screenshot("chat-desktop");
      assertTrue((Boolean) alice.js("return getComputedStyle(document.getElementById('people-panel')).display !== 'none'"),
          "the member list is shown beside the conversation on a desktop");
      alice.colorScheme("dark");
      alice.screenshot("chat-desktop-dark");
      alice.colorScheme("light");

      alice.viewport(375, 740, true);
      alice.waitUntil("the phone layout applies", () -> (Long) alice.js("return window.innerWidth") == 375L);
      alice.screenshot("chat-phone");
      assertFitsPhone(alice);
      alice.driver.findElement(By.id("people-toggle")).click();
      alice.waitUntil("the member list opens", () -> alice.driver.findElement(By.id("presence")).isDisplayed());
      alice.screenshot("chat-phone-people");
      alice.open(origin, "/", null);
      alice.waitUntil("the room picker shows", () -> alice.driver.findElement(By.id("join-form")).isDisplayed());
      alice.screenshot("chat-phone-landing");
      assertFitsPhone(alice);
      assertTrue((Long) alice.js("return Math.round(document.getElementById('join-button').getBoundingClientRect().width)") > 300,
          "before joining, the room picker takes the phone's width");
      alice.viewport(1280, 800, false);
      alice.screenshot("chat-desktop-landing");
    } finally {
      alice.colorScheme("light");
      alice.desktopViewport();
    }
    bob.driver.findElement(By.id("message-input")).clear();
  }

  @SuppressWarnings("unchecked")
  private static void assertFitsPhone(ChatPage p) {
    JsonObject fit = new JsonObject((Map<String, Object>) p.js(
        "const r = (id) => { const e = document.getElementById(id); if (!e || !e.offsetParent) return null;"
            + " const b = e.getBoundingClientRect(); return {left: b.left, right: b.right, bottom: b.bottom}; };"
            + "return {scroll: document.documentElement.scrollWidth, input: r('message-input'), send: r('send-button'),"
            + " join: r('join-button'), status: r('status')}"));
    assertTrue(fit.getLong("scroll") <= 375, "nothing wider than the phone: " + fit);
    for (String id : List.of("input", "send", "join", "status")) {
      JsonObject box = fit.getJsonObject(id);
      if (box != null) {
        assertTrue(box.getDouble("left") >= 0 && box.getDouble("right") <= 375 && box.getDouble("bottom") <= 740,
            id + " is on screen: " + fit);
      }
    }
  }
}
