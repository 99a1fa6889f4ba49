package durablerooms.support;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Starts Debian's headless Chromium through its chromedriver for the browser tests. Nothing is
 * downloaded (no Selenium Manager); when Chromium is missing the tests fail and say how to install it.
 */
public final class Chromium {
  public static final Path BINARY = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
  public static final Path DRIVER = Path.of(System.getProperty("chromium.driver", "/usr/bin/chromedriver"));

  /** Selenium warns that it has no CDP binding for this Chromium version; the tests use none, so it is noise. */
  private static final Logger CDP_VERSION_LOG = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

  static {
    CDP_VERSION_LOG.setLevel(Level.SEVERE);
  }

  private Chromium() {}

  /** Fails, saying how to install it, when Chromium or its driver is missing: the browser tests never skip. */
  public static void requireInstalled() {
    if (!Files.isExecutable(BINARY) || !Files.isExecutable(DRIVER)) {
      throw new AssertionError("The browser tests need Chromium and chromedriver at " + BINARY + " and " + DRIVER
          + ": apt-get install -y chromium chromium-driver (.ci/run does this)");
    }
  }

  /** A fresh browser with its own profile folder, its window 1280x800, and {@code extraArguments} on its command line. */
  public static ChromeDriver start(Path profile, String... extraArguments) {
    requireInstalled();
    // a driver path given explicitly keeps Selenium Manager from looking for (and downloading) one
    System.setProperty("webdriver.chrome.driver", DRIVER.toString());
    ChromeOptions options = new ChromeOptions()
        .setBinary(BINARY.toFile())
        .addArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=" + profile, "--window-size=1280,800",
            // two pages side by side must both keep their timers running
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows");
    options.addArguments(extraArguments);
    options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL")); // the page's console, for the tests
    // on a loaded 2-core machine (nodes starting beside two browsers) a start was seen to fail with
    // SessionNotCreatedException once in many runs; the browser is not what the tests test
    for (int attempt = 1; ; attempt++) {
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(DRIVER.toFile())
          .usingAnyFreePort()
          .build();
      try {
        return new ChromeDriver(service, options);
      } catch (org.openqa.selenium.SessionNotCreatedException e) {
        if (attempt == 3) {
          throw e;
        }
        System.err.println("chromium did not start (attempt " + attempt + "), trying again: " + e.getRawMessage());
      }
    }
  }

  /** Quits a browser and deletes its profile; a failure to quit is not worth failing a test run over. */
  public static void quit(ChromeDriver driver, Path profile) {
    if (driver != null) {
      try {
        driver.quit();
      } catch (RuntimeException e) {
        System.err.println("chromium did not quit cleanly: " + e);
      }
    }
    if (profile != null) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        System.err.println("profile " + profile + " not deleted: " + e);
      }
    }
  }
}
