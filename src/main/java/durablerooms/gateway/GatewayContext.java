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
 * metrics and the HTTP API's rate limit per IP.
 */
public record GatewayContext(String nodeId, ServerConfig config, Connections connections, RoomClient rooms,
                             RoomStore store, RoomHost host, BooleanSupplier ready,
                             Supplier<List<String>> liveNodes, RoomMetrics metrics, IpRateLimiter apiRate) {}
