package durablerooms.gateway;

import durablerooms.cluster.RoomStore;
import durablerooms.config.ServerConfig;
import durablerooms.metrics.RoomMetrics;
import durablerooms.room.RoomHost;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the gateway verticles of a node share: its id, settings, sockets, room client, store,
 * metrics, the HTTP API's rate limit per IP and the budget of new rooms per client IP.
 */
public record GatewayContext(String nodeId, ServerConfig config, Connections connections, RoomClient rooms,
                             RoomStore store, RoomHost host, BooleanSupplier ready,
                             Supplier<List<String>> liveNodes, RoomMetrics metrics, IpRateLimiter apiRate,
                             NewRoomBudget newRooms) {

  /** Client addresses whose budget of new rooms a node keeps at most. */
  static final int NEW_ROOM_ADDRESSES = 10_000;

  public GatewayContext(String nodeId, ServerConfig config, Connections connections, RoomClient rooms,
                        RoomStore store, RoomHost host, BooleanSupplier ready,
                        Supplier<List<String>> liveNodes, RoomMetrics metrics, IpRateLimiter apiRate) {
    this(nodeId, config, connections, rooms, store, host, ready, liveNodes, metrics, apiRate,
        new NewRoomBudget(config.newRoomsPerMin(), NEW_ROOM_ADDRESSES));
  }
}
