package durablerooms;

import durablerooms.support.NodeExtension;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET /api/types: the room types a node serves; calls into rooms without an API key. */
class TypesApiTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of());

  @Test
  @DisplayName("a node without plugins answers /api/types with chat and the types on its class path (the built-in examples and the tests' ledger), as JSON")
  void aNodeWithoutPluginsServesChatAndItsClassPath() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + NODE.port() + "/api/types")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"),
        r.headers().firstValue("content-type").orElse("(none)"));
    assertEquals(new JsonObject().put("types", new JsonArray().add("chat").add("dashboard").add("ledger").add("relay").add("tictactoe").add("whiteboard")), new JsonObject(r.body()));
  }

  @Test
  @DisplayName("without ROOMS_API_KEY a call into a room is refused with 403, saying how to enable it")
  void callsAreOffWithoutAKey() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + NODE.port() + "/api/rooms/ledger/r1"))
            .header("Authorization", "Bearer anything-at-all-here").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(403, r.statusCode());
    assertTrue(new JsonObject(r.body()).getString("message").contains("ROOMS_API_KEY"), r.body());
  }
}
