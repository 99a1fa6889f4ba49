package durablerooms.room;

import durablerooms.cluster.Wire;
import durablerooms.state.EventSlice;
import io.vertx.core.Context;
import io.vertx.core.Future;

/** A room active on this node, as its host sees it. */
public interface HostedRoom {
  String name();

  /** Runs a command on the room's event loop; completes on {@code replyContext} once its output went out. */
  Future<Void> submit(Wire.RoomCommand command, Context replyContext);

  /** Runs a call from outside on the room's event loop; completes with its answer (JSON text) once its output went out. */
  default Future<String> call(Wire.Call call, Context replyContext) {
    return Future.failedFuture(RoomFailure.client(durablerooms.protocol.ErrorCode.BAD_REQUEST,
        "this room takes no calls"));
  }

  /**
   * Completes on the room's event loop as soon as the room has started, before its deploy is
   * reported to the host, or fails as its start does: the commands that waited for the activation
   * are submitted from there, without a hop to the host and back.
   */
  Future<Void> running();

  /** How long the room has had no command in progress, in nanoseconds (0 while one is); any thread. */
  long idleNanos(long now);

  /** The durable part of the room's log after {@code since}: at most {@code limit} events; completes on {@code replyContext}. */
  Future<EventSlice> events(long since, int limit, Context replyContext);
}
