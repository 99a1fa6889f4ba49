package durablerooms.api;

import java.util.Map;

/**
 * A room's durable key/value storage. Values are String, Number, Boolean, JsonObject or JsonArray
 * (Vert.x's), at most 128 KiB each as JSON; a room holds at most {@code ROOMS_STORAGE_MAX_BYTES} of
 * keys and values. Reads come from memory; writes are part of the running handler's transaction
 * and are visible to it at once. A write past a limit throws {@link StorageFullException}.
 */
public interface Storage {
  /** The value of {@code key}, or null. JSON values are copies: change them, then put them back. */
  Object get(String key);

  void put(String key, Object value);

  void delete(String key);

  /** The entries whose key starts with {@code prefix}, sorted by key. */
  Map<String, Object> list(String prefix);
}
