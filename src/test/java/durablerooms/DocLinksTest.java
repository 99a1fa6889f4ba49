package durablerooms;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README and docs/ link only to what exists: files of the repository and headings of its pages. */
class DocLinksTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Pattern FENCE = Pattern.compile("(?ms)^```.*?^```[ \\t]*$");
  private static final Pattern CODE = Pattern.compile("`[^`\\n]*`");
  private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6}[ \\t]+(.+?)[ \\t]*#*[ \\t]*$");

  @Test
  void everyRelativeLinkOfTheReadmeAndTheDocsLeadsToAFileAndAHeadingThatExist() throws IOException {
    List<Path> pages = pages();
    assertTrue(pages.size() > 1, "README.md and docs/*.md are found from " + ROOT);
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : pages) {
      for (String target : links(Files.readString(page))) {
        if (target.matches("(?i)[a-z][a-z0-9+.-]*:.*")) {
          continue; // http:, https:, mailto: and the like are not files of the repository
        }
        checked++;
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
        if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) {
          broken.add(ROOT.relativize(page) + ": " + target + " (no such file)");
        } else if (anchor != null && !anchors(resolved).contains(anchor)) {
          broken.add(ROOT.relativize(page) + ": " + target + " (no such heading in " + ROOT.relativize(resolved) + ")");
        }
      }
    }
    assertTrue(checked > 0, "the pages have relative links");
    assertEquals(List.of(), broken, "broken links");
  }

  @Test
  void anchorsAreMadeAsGitHubMakesThem() {
    assertEquals("durability-where-data-lives-and-what-an-ack-means",
        slug("Durability: where data lives and what an ACK means"));
    assertEquals("serverconfig-reads-its-own-file", slug("`ServerConfig` reads its own file"));
    assertEquals("the-jvm-flags-of-runsh", slug("The JVM flags of `run.sh`"));
  }

  private static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(ROOT.resolve("README.md"));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  /** The link targets of a Markdown page, outside code blocks and code spans. */
  private static List<String> links(String markdown) {
    String text = CODE.matcher(FENCE.matcher(markdown).replaceAll("")).replaceAll("");
    List<String> out = new ArrayList<>();
    Matcher m = LINK.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** The anchors of a page's headings; none for a file that is not Markdown. */
  private static Set<String> anchors(Path file) throws IOException {
    Set<String> out = new HashSet<>();
    if (!file.toString().endsWith(".md") || Files.isDirectory(file)) {
      return out;
    }
    Map<String, Integer> seen = new HashMap<>();
    Matcher m = HEADING.matcher(FENCE.matcher(Files.readString(file)).replaceAll(""));
    while (m.find()) {
      String slug = slug(m.group(1));
      int n = seen.merge(slug, 1, Integer::sum);
      out.add(n == 1 ? slug : slug + "-" + (n - 1));
    }
    return out;
  }

  /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens. */
  static String slug(String heading) {
    return heading.trim().toLowerCase(Locale.ROOT)
        .replaceAll("[^\\p{L}\\p{N} _-]", "")
        .replace(' ', '-');
  }
}
