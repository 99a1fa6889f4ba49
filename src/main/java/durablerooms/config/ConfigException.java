package durablerooms.config;

/** A setting with a value the node cannot start with; its message names the key. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
