package durablerooms.room;

import durablerooms.cluster.Wire;
import durablerooms.state.EventSlice;
import durablerooms.state.HistorySlice;
import io.vertx.core.Context;
import io.vertx.core.Future;

/** A room active on this node, as its host sees it: a chat room or a room of a user's type. */
public interface HostedRoom {
  String name();

  /** Runs a command on the room's event loop; completes on {@code replyContext} once its output went out. */
  Future<Void> submit(Wire.RoomCommand command, Context replyContext);

  /** Runs a call from outside on the room's event loop; completes with its answer (JSON text) once its output went out. */
  default Future<String> call(Wire.Call call, Context replyContext) {
    return Future.failedFuture(RoomFailure.client(durablerooms.protocol.ErrorCode.BAD_REQUEST,
        "this room takes no calls"));
  }

  /** How long the room has had no command in progress, in nanoseconds (0 while one is); any thread. */
  long idleNanos(long now);

  /** Whether the cluster's copy of the room lags what is written (chat rooms on a node alone). */
  default boolean clusterBehind() {
    return false;
  }

  /** Brings the cluster's copy of the room up to date before any further output; any thread. */
  default void catchUpCluster() {}

  /** The durable part of the log of a room of a user's type after {@code since}, or null for a chat room. */
  default Future<EventSlice> events(long since, int limit, Context replyContext) {
    return null;
  }

  /** The room's written chat history after {@code since}, or null when the room keeps none. */
  default Future<HistorySlice> history(long since, int limit, Context replyContext) {
    return null;
  }
}
