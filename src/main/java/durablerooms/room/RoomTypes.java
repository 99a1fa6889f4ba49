package durablerooms.room;

import durablerooms.api.RoomType;
import durablerooms.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The room types a node serves: {@code chat}, built in, and every {@link RoomType} found with
 * {@link ServiceLoader} on the class path and in the jars of the plugins folder. A type whose name
 * is invalid or taken stops the node at start: two nodes must never disagree on what a name means.
 */
public final class RoomTypes {
  private static final Logger LOG = LoggerFactory.getLogger(RoomTypes.class);
  public static final String CHAT = "chat";
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  private final Map<String, RoomType> types;
  /** The built-in chat rooms: a room type like the users', given by the layer above the engine. */
  private final RoomType chat;

  private RoomTypes(RoomType chat, Map<String, RoomType> types) {
    this.chat = chat;
    this.types = types;
  }

  /**
   * {@code chat} and the types on the class path and in the jars of {@code pluginsDir} (a folder
   * that does not exist has none).
   */
  public static RoomTypes load(Path pluginsDir, RoomType chat) {
    List<URL> jars = new ArrayList<>();
    if (Files.isDirectory(pluginsDir)) {
      try (Stream<Path> files = Files.list(pluginsDir)) {
        for (Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
          jars.add(jar.toUri().toURL());
        }
      } catch (IOException e) {
        throw new ConfigException("ROOMS_PLUGINS_DIR=" + pluginsDir + ": " + e.getMessage());
      }
    }
    ClassLoader parent = RoomTypes.class.getClassLoader();
    ClassLoader loader = jars.isEmpty() ? parent : new URLClassLoader("room-type-plugins", jars.toArray(URL[]::new), parent);
    try {
      return of(chat, ServiceLoader.load(RoomType.class, loader).stream().map(ServiceLoader.Provider::get).toList());
    } catch (ServiceConfigurationError e) {
      throw new ConfigException("a room type could not be loaded: " + e.getMessage());
    }
  }

  /** Exactly these types besides {@code chat}, named {@value #CHAT} (for tests and embedding). */
  public static RoomTypes of(RoomType chat, List<RoomType> found) {
    if (!CHAT.equals(chat.name())) {
      throw new IllegalArgumentException("the built-in chat type is named " + CHAT + ", not " + chat.name());
    }
    Map<String, RoomType> types = new TreeMap<>();
    for (RoomType t : found) {
      String name;
      try {
        name = t.name();
      } catch (RuntimeException e) {
        throw new ConfigException(describe(t) + ": name() failed: " + e);
      }
      if (name == null || !NAME.matcher(name).matches()) {
        throw new ConfigException(describe(t) + ": its name '" + name + "' must match [a-z][a-z0-9-]{0,31}");
      }
      if (name.equals(CHAT)) {
        throw new ConfigException(describe(t) + ": the name '" + name + "' is taken by the built-in chat rooms");
      }
      if (types.containsKey(name)) {
        throw new ConfigException(describe(t) + ": the name '" + name + "' is taken by " + describe(types.get(name)));
      }
      types.put(name, t);
    }
    return new RoomTypes(chat, Map.copyOf(types));
  }

  /**
   * A type's class and where it was loaded from (a jar of the plugins folder, or the class path):
   * an operator whose node refuses to start learns which file to remove or fix.
   */
  private static String describe(RoomType t) {
    CodeSource source = t.getClass().getProtectionDomain().getCodeSource();
    URL location = source == null ? null : source.getLocation();
    String where = "an unknown location";
    if (location != null) {
      try {
        where = Path.of(location.toURI()).toString();
      } catch (URISyntaxException | RuntimeException notAFile) {
        where = location.toString();
      }
    }
    return "room type " + t.getClass().getName() + " (from " + where + ")";
  }

  /** The type named {@code name} (chat included), or null. */
  public RoomType get(String name) {
    return CHAT.equals(name) ? chat : name == null ? null : types.get(name);
  }

  /** Whether a room of type {@code name} can be served here (chat included). */
  public boolean serves(String name) {
    return CHAT.equals(name) || get(name) != null;
  }

  /** Every type's name, chat first, then in name order. */
  public List<String> names() {
    List<String> names = new ArrayList<>();
    names.add(CHAT);
    names.addAll(new TreeMap<>(types).keySet());
    return names;
  }

  /** The room key of room {@code room} of type {@code type}: a chat room's is its name, any other's {@code type/room}. */
  public static String key(String type, String room) {
    return CHAT.equals(type) ? room : type + "/" + room;
  }

  /** The type of a room key (chat when it has no slash). */
  public static String typeOf(String key) {
    int slash = key.indexOf('/');
    return slash < 0 ? CHAT : key.substring(0, slash);
  }

  /** The name of a room key without its type. */
  public static String nameOf(String key) {
    return key.substring(key.indexOf('/') + 1);
  }

  public void log() {
    LOG.info("room types: {}", String.join(", ", names()));
  }
}
