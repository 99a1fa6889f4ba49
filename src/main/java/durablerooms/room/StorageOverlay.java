package durablerooms.room;

import durablerooms.api.Storage;
import durablerooms.api.StorageFullException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A handler's view of its room's storage: the committed values, with the handler's own writes laid
 * over them until it returns. Writes are checked against the limits as they are made (a value's
 * size, the room's total), kept as decoded copies and as the JSON text the store gets.
 */
final class StorageOverlay implements Storage {
  private final LogicState state;
  /** Throws when the handler this view was given to has ended. */
  private final Runnable check;
  /** Written values in write order (null: deleted), their JSON text and their size. */
  private final LinkedHashMap<String, Object> written = new LinkedHashMap<>();
  private final LinkedHashMap<String, String> writtenText = new LinkedHashMap<>();
  private final Map<String, Integer> writtenSizes = new HashMap<>();
  private long delta;

  StorageOverlay(LogicState state, Runnable check) {
    this.state = state;
    this.check = check;
  }

  /** The written values (null: deleted), in write order. */
  Map<String, Object> written() {
    return written;
  }

  /** The written values as the store gets them (JSON text; null: deleted), in write order. */
  LinkedHashMap<String, String> writtenText() {
    return writtenText;
  }

  Map<String, Integer> writtenSizes() {
    return writtenSizes;
  }

  /** A stored value as the logic may change it: a copy of a JSON object or array. */
  static Object copy(Object v) {
    if (v instanceof JsonObject o) {
      return o.copy();
    }
    if (v instanceof JsonArray a) {
      return a.copy();
    }
    return v;
  }
  @Override
  public Object get(String key) {
    check.run();
    if (written.containsKey(key)) {
      return copy(written.get(key));
    }
    return copy(state.value(key));
  }

  @Override
  public void put(String key, Object value) {
    check.run();
    if (value == null) {
      delete(key);
      return;
    }
    checkKey(key);
    Object v = value instanceof Map<?, ?> m ? new JsonObject(castMap(m))
        : value instanceof List<?> l ? new JsonArray(new ArrayList<>(l)) : value;
    if (!(v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof JsonObject
        || v instanceof JsonArray)) {
      throw new IllegalArgumentException("a stored value is a String, Number, Boolean, JsonObject or JsonArray, not "
          + value.getClass().getName());
    }
    String text = Json.encode(v);
    if (text.length() > state.limits().maxValueBytes()) {
      throw new StorageFullException("the value of '" + key + "' has " + text.length()
          + " characters as JSON; a value may have at most " + state.limits().maxValueBytes());
    }
    int size = LogicState.size(key, text);
    long total = state.bytes() + delta - currentSize(key) + size;
    if (total > state.limits().storageMaxBytes()) {
      throw new StorageFullException("the room's storage would hold " + total + " bytes; it may hold at most "
          + state.limits().storageMaxBytes());
    }
    delta += size - currentSize(key);
    written.put(key, Json.decodeValue(text)); // a copy the logic cannot change behind the store's back
    writtenText.put(key, text);
    writtenSizes.put(key, size);
  }

  @Override
  public void delete(String key) {
    check.run();
    checkKey(key);
    delta -= currentSize(key);
    written.put(key, null);
    writtenText.put(key, null);
    writtenSizes.put(key, 0);
  }

  @Override
  public Map<String, Object> list(String prefix) {
    check.run();
    String p = prefix == null ? "" : prefix;
    TreeMap<String, Object> out = new TreeMap<>();
    state.valuesWithPrefix(p).forEach((k, v) -> out.put(k, copy(v)));
    written.forEach((k, v) -> {
      if (k.startsWith(p)) {
        if (v == null) {
          out.remove(k);
        } else {
          out.put(k, copy(v));
        }
      }
    });
    return Collections.unmodifiableMap(out);
  }

  private int currentSize(String key) {
    Integer w = writtenSizes.get(key);
    return w != null ? w : state.sizeOf(key);
  }

  private void checkKey(String key) {
    if (key == null || key.isEmpty() || key.length() > state.limits().maxKeyChars()) {
      throw new IllegalArgumentException("a storage key has 1 to " + state.limits().maxKeyChars() + " characters");
    }
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> castMap(Map<?, ?> m) {
    return new LinkedHashMap<>((Map<String, Object>) m);
  }
}
