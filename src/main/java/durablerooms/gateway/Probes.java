package durablerooms.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;

/**
 * The probes a load balancer or an orchestrator asks, in vertx-health-check's shape ({@code 200}
 * with {@code {"status":"UP","checks":[...]}}, {@code 503} with {@code "DOWN"}): /health says the
 * process answers; /ready says the node has joined the cluster and takes clients, and turns DOWN
 * as soon as a graceful stop (or a pause, see PauseWatchdog) begins.
 */
final class Probes {
  private Probes() {}

  static HealthCheckHandler alive(Vertx vertx) {
    return HealthCheckHandler.createWithHealthChecks(HealthChecks.create(vertx)
        .register("process", p -> p.complete(Status.OK())));
  }

  static HealthCheckHandler ready(Vertx vertx, GatewayContext node) {
    return HealthCheckHandler.createWithHealthChecks(HealthChecks.create(vertx)
        .register("cluster", p -> {
          int nodes = node.liveNodes().get().size();
          JsonObject data = new JsonObject().put("node", node.nodeId()).put("nodes", nodes);
          p.complete(node.liveNodes().get().contains(node.nodeId()) ? Status.OK(data) : Status.KO(data));
        })
        .register("serving", p -> p.complete(node.ready().getAsBoolean() ? Status.OK() : Status.KO())));
  }
}
