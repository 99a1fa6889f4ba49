package durablerooms.api;

/**
 * A storage write past a limit: a value over 128 KiB or the room's storage over
 * {@code ROOMS_STORAGE_MAX_BYTES}. The handler fails and the client gets {@code storage_full}.
 */
public class StorageFullException extends RuntimeException {
  public StorageFullException(String message) {
    super(message);
  }
}
