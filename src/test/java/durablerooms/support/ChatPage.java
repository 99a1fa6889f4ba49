package durablerooms.support;

import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;

/**
 * One browser showing the chat page, with the actions and reads the browser tests need. Reads
 * go through one script each (no stale elements); waits poll the DOM with a timeout, never sleep.
 */
public final class ChatPage {
  public static final Duration TIMEOUT = Duration.ofSeconds(20);
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");

  public final String label;
  public final ChromeDriver driver;
  private final Path profile;

  private ChatPage(String label, ChromeDriver driver, Path profile) {
    this.label = label;
    this.driver = driver;
    this.profile = profile;
  }

  /** A page whose browser gets {@code chromiumArguments} too (e.g. to accept a test certificate). */
  public static ChatPage start(String label, String... chromiumArguments) {
    Path profile;
    try {
      profile = Files.createTempDirectory("rooms-chromium-");
    } catch (IOException e) {
      throw new AssertionError("no temporary profile folder: " + e, e);
    }
    try {
      return new ChatPage(label, Chromium.start(profile, chromiumArguments), profile);
    } catch (RuntimeException | AssertionError e) {
      Chromium.quit(null, profile);
      throw e;
    }
  }

  /** Starts a browser in the background (while the test starts its nodes); {@link #quit(CompletableFuture[])} ends it. */
  public static CompletableFuture<ChatPage> startAsync(String label, String... chromiumArguments) {
    Chromium.requireInstalled();
    return CompletableFuture.supplyAsync(() -> start(label, chromiumArguments));
  }

  /** The started page, or the reason it did not start. */
  public static ChatPage await(CompletableFuture<ChatPage> page) {
    try {
      return page.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof AssertionError a ? a : new AssertionError("browser did not start: " + e.getCause(), e);
    } catch (Exception e) {
      throw new AssertionError("browser did not start: " + e, e);
    }
  }

  /** Quits the browsers of these futures, once each has started (or failed to). */
  @SafeVarargs
  public static void quit(CompletableFuture<ChatPage>... pages) {
    for (CompletableFuture<ChatPage> p : pages) {
      if (p != null) {
        quit(p.handle((page, err) -> page).join());
      }
    }
  }

  public static void quit(ChatPage... pages) {
    for (ChatPage p : pages) {
      if (p != null) {
        Chromium.quit(p.driver, p.profile);
      }
    }
  }

  // --- actions -----------------------------------------------------------------------------------

  /** Loads {@code origin + path} afresh; with a {@code name}, the page remembers it as the display name first. */
  public ChatPage open(String origin, String path, String name) {
    driver.get(origin + "/health"); // a document of the origin, to reach its storage (and to leave any room)
    if (name != null) {
      js("localStorage.setItem('rooms.name', arguments[0])", name);
    }
    driver.get(origin + path);
    return this;
  }

  /** Joins through the form, as a person would. */
  public void joinWithForm(String room, String name) {
    WebElement roomInput = driver.findElement(By.id("room-input"));
    roomInput.clear();
    roomInput.sendKeys(room);
    WebElement nameInput = driver.findElement(By.id("name-input"));
    nameInput.clear();
    nameInput.sendKeys(name);
    driver.findElement(By.id("join-button")).click();
  }

  /** Types {@code text} into the message box and presses Enter. */
  public void send(String text) {
    type(text, Keys.ENTER);
  }

  public void type(CharSequence... keys) {
    driver.findElement(By.id("message-input")).sendKeys(keys);
  }

  public Object js(String script, Object... args) {
    return driver.executeScript(script, args);
  }

  /**
   * From the next page load on, every WebSocket the page opens is kept in {@code window.__sockets}
   * (a script run before the page's own), so that a test can act on the page's socket.
   */
  public void recordSockets() {
    driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
        "window.__sockets = []; const PageSocket = window.WebSocket;"
            + "window.WebSocket = class extends PageSocket {"
            + " constructor(...args) { super(...args); window.__sockets.push(this); } };"));
  }

  /** How many WebSockets the page has opened since its load (see {@link #recordSockets}). */
  public long socketsOpened() {
    return (Long) js("return window.__sockets.length");
  }

  // --- reads -------------------------------------------------------------------------------------

  /** The conversation's messages in page order: text, user, seq (null while pending), pending. */
  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> messages() {
    return (List<Map<String, Object>>) js(
        "return [...document.querySelectorAll('#chat-messages li.msg')].map(li => ({"
            + "text: li.querySelector('.text').textContent, user: li.querySelector('.author').textContent,"
            + "seq: li.dataset.seq ? Number(li.dataset.seq) : null, pending: li.classList.contains('pending')}))");
  }

  @SuppressWarnings("unchecked")
  public List<String> texts() {
    return (List<String>) js("return [...document.querySelectorAll('#chat-messages li.msg .text')].map(e => e.textContent)");
  }

  public long count(String text) {
    return texts().stream().filter(text::equals).count();
  }

  public boolean nonePending() {
    return (Boolean) js("return document.querySelectorAll('#chat-messages li.pending').length === 0");
  }

  @SuppressWarnings("unchecked")
  public List<String> systemLines() {
    return (List<String>) js("return [...document.querySelectorAll('#chat-messages li.system')].map(e => e.textContent)");
  }

  @SuppressWarnings("unchecked")
  public List<String> presence() {
    return (List<String>) js("return [...document.querySelectorAll('#presence .name')].map(e => e.textContent)");
  }

  /** The connection state the page shows: idle, connecting, live, reconnecting or offline. */
  public String state() {
    return (String) js("return document.getElementById('status').dataset.state");
  }

  public String statusText() {
    return driver.findElement(By.id("status")).getText();
  }

  /** The id of the node the page is connected through (shown discreetly under the member list). */
  public String node() {
    return (String) js("return document.getElementById('node-info').dataset.node || null");
  }

  public String typing() {
    return (String) js("return document.getElementById('typing').textContent");
  }

  /** From now on, every connection state the page shows is recorded, however briefly. */
  public void recordStates() {
    js("window.__states = [document.getElementById('status').dataset.state];"
        + "new MutationObserver(() => window.__states.push(document.getElementById('status').dataset.state))"
        + ".observe(document.getElementById('status'), {attributes: true, attributeFilter: ['data-state']});");
  }

  @SuppressWarnings("unchecked")
  public List<String> recordedStates() {
    return (List<String>) js("return window.__states || []");
  }

  /** The page's console errors (script errors, CSP violations, failed loads) since the last call. */
  public List<String> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::getMessage)
        .filter(m -> !m.contains("/favicon.ico")) // asked for by the /health document that open() passes through
        .toList();
  }

  // --- waiting and pictures ----------------------------------------------------------------------

  public void waitUntil(String what, BooleanSupplier condition) {
    try {
      new WebDriverWait(driver, TIMEOUT, Duration.ofMillis(50)).until(d -> condition.getAsBoolean());
    } catch (TimeoutException e) {
      throw new AssertionError(label + ": not within " + TIMEOUT.toSeconds() + " s: " + what
          + "\n  status: " + safe(this::statusText) + "\n  messages: " + safe(this::messages)
          + "\n  system lines: " + safe(this::systemLines) + "\n  presence: " + safe(this::presence)
          + "\n  console: " + safe(this::consoleErrors), e);
    }
  }

  public void waitLive() {
    waitUntil("the page is live", () -> "live".equals(state()));
  }

  /** Sets the viewport (CSS pixels), e.g. 375x740 for a phone, through Chromium's device emulation. */
  public void viewport(int width, int height, boolean mobile) {
    driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", mobile));
  }

  /** Cuts this page off the network (as when a phone loses its signal), or gives it back. */
  public void network(boolean online) {
    driver.executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", !online, "latency", 0,
        "downloadThroughput", -1, "uploadThroughput", -1));
  }

  /** The titles of every tab of this browser, read without bringing any to the front. */
  @SuppressWarnings("unchecked")
  public List<String> tabTitles() {
    Map<String, Object> targets = driver.executeCdpCommand("Target.getTargets", Map.of());
    return ((List<Map<String, Object>>) targets.get("targetInfos")).stream()
        .filter(t -> "page".equals(t.get("type")))
        .map(t -> (String) t.get("title"))
        .toList();
  }

  /** Emulates the reader's colour scheme preference: "light" or "dark". */
  public void colorScheme(String scheme) {
    driver.executeCdpCommand("Emulation.setEmulatedMedia",
        Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
  }

  public void desktopViewport() {
    driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
  }

  public Path screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Path file = SCREENSHOTS.resolve(name + ".png");
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
      return file;
    } catch (IOException e) {
      throw new AssertionError("screenshot " + name + " not saved: " + e, e);
    }
  }

  private static Object safe(java.util.function.Supplier<Object> read) {
    try {
      return read.get();
    } catch (RuntimeException e) {
      return "(" + e.getClass().getSimpleName() + ")";
    }
  }
}
