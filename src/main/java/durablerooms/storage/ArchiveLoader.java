package durablerooms.storage;

import com.hazelcast.map.MapLoader;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads a room's state into Hazelcast from the archive when the cluster does not hold it (after
 * a restart, or after the room hibernated and its state was evicted). Runs on Hazelcast's threads.
 */
public final class ArchiveLoader implements MapLoader<String, RoomState> {
  private final RoomArchive archive;

  public ArchiveLoader(RoomArchive archive) {
    this.archive = archive;
  }

  @Override
  public RoomState load(String room) {
    return archive.load(room);
  }

  @Override
  public Map<String, RoomState> loadAll(Collection<String> rooms) {
    Map<String, RoomState> out = new HashMap<>();
    for (String room : rooms) {
      RoomState s = archive.load(room);
      if (s != null) {
        out.put(room, s);
      }
    }
    return out;
  }

  /** Nothing is preloaded: rooms load on first use. */
  @Override
  public Iterable<String> loadAllKeys() {
    return null;
  }
}
