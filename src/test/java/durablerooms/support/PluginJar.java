package durablerooms.support;

import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Builds a room type's jar as {@code mvn package} of its own project would, in the test's JVM: its
 * sources compiled against the tests' class path (the server's classes and Vert.x, as "provided"),
 * then its classes and resources (the services file) packed into a plain jar.
 */
public final class PluginJar {
  private PluginJar() {}

  /**
   * Compiles the {@code .java} files under {@code sources} into a new folder of {@code work} and
   * packs them with {@code resources} into {@code jar}.
   */
  public static Path build(Path sources, Path resources, Path work, Path jar) throws IOException {
    Path classes = Files.createTempDirectory(work, "classes");
    compile(sources, classes);
    try (OutputStream file = Files.newOutputStream(jar);
         JarOutputStream out = new JarOutputStream(file, manifest())) {
      add(out, classes);
      add(out, resources);
    }
    return jar;
  }

  /** The jar of a type that is only a name: class {@code plugintest.<className>}, with its services file. */
  public static Path namedType(String className, String typeName, Path work, Path jar) throws IOException {
    Path project = Files.createTempDirectory(work, className);
    Path source = project.resolve("java/plugintest/" + className + ".java");
    Files.createDirectories(source.getParent());
    Files.writeString(source, """
        package plugintest;

        public final class %s implements durablerooms.api.RoomType {
          public String name() {
            return "%s";
          }

          public durablerooms.api.RoomLogic create() {
            return new durablerooms.api.RoomLogic() {};
          }
        }
        """.formatted(className, typeName));
    Path services = project.resolve("resources/META-INF/services/durablerooms.api.RoomType");
    Files.createDirectories(services.getParent());
    Files.writeString(services, "plugintest." + className + "\n");
    return build(project.resolve("java"), project.resolve("resources"), work, jar);
  }

  private static void compile(Path sources, Path classes) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull(javac, "the tests run on a JDK, whose compiler builds the plugin jars");
    List<Path> files;
    try (Stream<Path> walk = Files.walk(sources)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
    StringWriter messages = new StringWriter();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
      List<String> options = List.of("--release", "17", "-classpath", System.getProperty("java.class.path"),
          "-d", classes.toString());
      if (!javac.getTask(messages, fm, null, options, null, fm.getJavaFileObjectsFromPaths(files)).call()) {
        fail("could not compile " + sources + ":\n" + messages);
      }
    }
  }

  private static Manifest manifest() {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    return m;
  }

  /** Every file under {@code root}, named by its path from there with '/' (as a jar's entries are). */
  private static void add(JarOutputStream out, Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      out.putNextEntry(new JarEntry(root.relativize(f).toString().replace('\\', '/')));
      Files.copy(f, out);
      out.closeEntry();
    }
  }
}
