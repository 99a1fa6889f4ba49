package durablerooms;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The packages' layering (docs/architecture.md), read from the sources: what users compile against
 * ({@code api/}) and the values ({@code state/}) depend on nothing of the project, the engine
 * ({@code room/}) does not know chat, chat sits on the engine, and the example types use the API alone.
 */
class LayeringTest {
  private static final Path SOURCES = Path.of("src", "main", "java", "durablerooms");
  /** Each package and the project's packages it may use. */
  private static final Map<String, Set<String>> MAY_USE = Map.ofEntries(
      Map.entry("api", Set.of()),
      Map.entry("state", Set.of()),
      Map.entry("protocol", Set.of("state")),
      Map.entry("storage", Set.of("state")),
      Map.entry("metrics", Set.of("protocol")),
      Map.entry("config", Set.of("storage")),
      Map.entry("cluster", Set.of("metrics", "state", "storage")),
      Map.entry("room", Set.of("api", "cluster", "config", "metrics", "protocol", "state", "storage")),
      Map.entry("chat", Set.of("api", "protocol", "state", "storage")),
      Map.entry("gateway", Set.of("api", "cluster", "config", "metrics", "protocol", "room", "state")),
      Map.entry("examples", Set.of("api")),
      Map.entry("bench", Set.of("cluster", "protocol")));
  /** A use of a project class by its package: an import or a qualified name in code. */
  private static final Pattern USE = Pattern.compile("\\bdurablerooms\\.([a-z]+)\\.[A-Z]");

  @Test
  @DisplayName("each package uses only the packages beneath it; every package has its place in the layering")
  void packagesUseOnlyWhatIsBeneathThem() throws IOException {
    List<String> wrong = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(SOURCES)) {
      for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
        String pkg = dir.getFileName().toString();
        Set<String> allowed = MAY_USE.get(pkg);
        if (allowed == null) {
          wrong.add(pkg + " is not in the layering");
          continue;
        }
        try (Stream<Path> files = Files.list(dir)) {
          for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
            for (String line : Files.readAllLines(file)) {
              String code = line.strip();
              if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) {
                continue; // a comment may name any class
              }
              Matcher m = USE.matcher(line);
              while (m.find()) {
                String used = m.group(1);
                if (!used.equals(pkg) && !allowed.contains(used)) {
                  wrong.add(SOURCES.relativize(file) + " uses " + used + "/: " + code);
                }
              }
            }
          }
        }
      }
    }
    assertEquals(List.of(), wrong);
  }
}
