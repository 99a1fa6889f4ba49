package durablerooms.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Keeps the node's data folder (store, journal, the store's secret) readable by the node's user
 * alone: the folder rwx------, its files rw-------. Permissions are set explicitly, not through
 * the umask, which would leave them open to every local user (022: rw-r--r--). A file system
 * without POSIX permissions is left as it is.
 */
public final class DataFolder {
  private static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private DataFolder() {}

  /** Creates the folder if needed and makes it private (also one that existed). */
  public static void makePrivate(Path dir) throws IOException {
    Files.createDirectories(dir);
    restrict(dir);
  }

  /**
   * Makes every file and folder in {@code dir} private: the files H2 created with the umask's
   * permissions (the store, its lock, its trace), the journal's.
   */
  public static void restrictContents(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        try {
          restrict(p);
        } catch (java.nio.file.NoSuchFileException gone) {
          // a journal or temporary file deleted meanwhile
        }
      }
    }
  }

  /** rwx------ for a folder, rw------- for a file. */
  static void restrict(Path p) throws IOException {
    if (Files.getFileStore(p).supportsFileAttributeView(PosixFileAttributeView.class)) {
      Files.setPosixFilePermissions(p, Files.isDirectory(p) ? FOLDER : FILE);
    }
  }
}
