package durablerooms.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The room store's behaviour on the embedded default, SQLite, as on H2 (every test of RoomArchiveTest). */
class SqliteRoomArchiveTest extends RoomArchiveTest {
  @Override
  String storeUrl() {
    try {
      Path dir = Files.createTempDirectory("sqlite-archive");
      dir.toFile().deleteOnExit();
      return EmbeddedStore.url(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
