package durablerooms.api;

import io.vertx.core.json.JsonObject;

import java.util.Map;

/** One WebSocket connection of a room, on any node of the cluster. */
public interface Connection {
  /** The connection's id, unique in the cluster. */
  String id();

  /** The query parameters of the URL it connected with (one value each; the token is left out). */
  Map<String, String> query();

  /**
   * This connection's own state, kept with the room's membership: it survives hibernation and the
   * loss of the room's node for as long as the connection lasts. Never null (empty at first).
   */
  JsonObject attachment();

  /** Replaces the attachment (at most 16 KiB as JSON), with the handler's commit. */
  void setAttachment(JsonObject attachment);

  /** Sends a frame to this connection once the handler's commit is durable. */
  void send(JsonObject frame);

  /** Closes the connection (a WebSocket close code 1000 or 3000-4999) once the handler's commit is durable. */
  void close(int code, String reason);

  /**
   * The display name the room's member list shows for this connection: the {@code name} it
   * connected with, or its last rename.
   */
  String name();

  /**
   * Renames this connection, with the handler's commit: from then on the room's member list (the
   * PRESENCE frame of a connection that joins, the HTTP API) shows the new name. The name is
   * normalised as a connecting one is (white space runs made one space, trimmed, NFC).
   *
   * @return the name as normalised
   * @throws IllegalArgumentException for a name that is empty, longer than 64 characters or holds
   *     control or invisible characters
   */
  String rename(String name);
}
