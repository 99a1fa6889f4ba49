package durablerooms.room;

import durablerooms.cluster.Processors;
import io.vertx.core.Future;

import java.util.function.Consumer;

/**
 * How rooms of one type start once this node holds their lease: what a room loads and which
 * verticle runs it. The host claims the lease, asks the room's type to activate the room, deploys
 * what it made, and gives the lease back if any of that failed. Chat is one type, and every user's
 * type is another, each with its own activator.
 */
public interface RoomActivator {
  /** What an activation made: the room's verticle (not deployed yet), whether the room ran before, and its epoch. */
  record Activated(HostedRoom verticle, boolean woken, long epoch) {}

  /**
   * Loads room {@code room} for the lease that {@code claim} holds once this node has it (a takeover
   * when its previous owner never released it; it fails when another node holds the lease, and so
   * does the activation) and makes its verticle; {@code onBroken} is told when a write of the room
   * fails. Called on the host's context as the claim is sent (what needs no lease may start at
   * once), and completes there.
   */
  Future<Activated> activate(String room, Future<Processors.Claim> claim, Consumer<HostedRoom> onBroken);
}
