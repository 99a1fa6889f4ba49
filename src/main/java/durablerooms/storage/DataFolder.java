package durablerooms.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
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

  /** The journal's folder inside the data folder. */
  public static final String JOURNAL = "journal";

  private DataFolder() {}

  /** Creates the folder if needed and makes it private (also one that existed). */
  public static void makePrivate(Path dir) throws IOException {
    Files.createDirectories(dir);
    restrict(dir);
  }

  /**
   * Makes the node's own files in {@code dir} private: those whose name starts with one of
   * {@code prefixes} (the store, its lock and trace files H2 created with the umask's permissions;
   * the store's secret) and the journal folder with its files. Nothing else in the folder is
   * touched: ROOMS_DATA_DIR may name a folder that holds other files too.
   */
  public static void restrictOwnFiles(Path dir, String... prefixes) throws IOException {
    List<Path> own = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(p -> Stream.of(prefixes).anyMatch(prefix -> p.getFileName().toString().startsWith(prefix)))
          .forEach(own::add);
    }
    Path journal = dir.resolve(JOURNAL);
    if (Files.isDirectory(journal)) {
      own.add(journal);
      try (Stream<Path> files = Files.list(journal)) {
        files.forEach(own::add);
      }
    }
    for (Path p : own) {
      try {
        restrict(p);
      } catch (NoSuchFileException gone) {
        // a journal or temporary file deleted meanwhile
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
