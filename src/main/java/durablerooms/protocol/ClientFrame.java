package durablerooms.protocol;

/** A frame a client sent, decoded once at the edge. */
public sealed interface ClientFrame {

  /** A chat message; {@code id} is the client's id for ACK and dedupe, or null (the seed's form). */
  record Chat(String text, String id) implements ClientFrame {}

  /** Change of display name. */
  record Rename(String name) implements ClientFrame {}

  /** Ephemeral "is typing" signal. */
  record Typing() implements ClientFrame {}

  /** A page of history older than {@code before} (exclusive); {@code before} 0 means "latest". */
  record HistoryRequest(long before, int limit) implements ClientFrame {}

  /**
   * A frame for a room of a user's type: the JSON object the client sent, decoded once here, and its
   * {@code id} (null: no ACK, no dedupe).
   */
  record Custom(io.vertx.core.json.JsonObject json, String id) implements ClientFrame {}

  /** Liveness check, answered by the gateway without waking the room. */
  record Ping() implements ClientFrame {}
}
