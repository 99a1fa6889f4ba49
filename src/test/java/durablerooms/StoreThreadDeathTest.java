package durablerooms;

import durablerooms.support.WsClient;

import durablerooms.support.TestNodes;

import durablerooms.storage.FaultyDriver;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A node whose store writer dies does not stay up useless: it stops (its clients are sent to other
 * nodes with 1012), so that the cluster takes its rooms over.
 */
@ExtendWith(VertxExtension.class)
class StoreThreadDeathTest {
  private Node node;

  @AfterEach
  void stop() {
    TestNodes.stop(node);
  }

  @Test
  @DisplayName("when the store's writer thread dies, the node stops: clients get 1012 and /ready no longer answers 200")
  void writerDeathStopsTheNode(Vertx vertx) throws Exception {
    String store = FaultyDriver.url("jdbc:h2:mem:node-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    node = TestNodes.start(TestNodes.config(Map.of("ROOMS_STORE_URL", store, "ROOMS_DURABILITY", "disk")));
    String room = "death-" + UUID.randomUUID().toString().substring(0, 8);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI ready = URI.create("http://127.0.0.1:" + node.httpPort() + "/ready");
    assertEquals(200, http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
    try (WsClient client = WsClient.join(vertx, node.httpPort(), "/chat/" + room + "?name=ann")) {
      client.say("stored", "a1");
      client.nextOfType("ACK");

      FaultyDriver.arm();
      client.say("the writer dies on this one", "a2");
      TestNodes.eventually(20_000, "the client is closed", () -> client.closeCode != null);
      assertEquals((short) 1012, client.closeCode, "the client is sent to another node");
    }
    TestNodes.eventually(20_000, "the node stopped serving", () -> {
      try {
        return http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() != 200;
      } catch (IOException e) {
        return true; // no longer listening
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    });
  }
}
