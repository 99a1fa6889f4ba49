package durablerooms;

import durablerooms.support.NodeExtension;
import durablerooms.support.WsClient;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The dashboard example room type: figures pushed by HTTP calls with the API key reach the viewers
 * as logged events, a newcomer gets every current figure, bad figures and viewers' frames are refused.
 */
class DashboardTest {
  private static final String API_KEY = "dash-key-0123456789abcdef";
  /** One client, so its connections are reused. */
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.with(Map.of("ROOMS_API_KEY", API_KEY));

  private static String freshRoom() {
    return "d-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A viewer past its PRESENCE and the figures it was sent on connecting (returned). */
  private static WsClient view(String room, JsonObject[] figures) {
    WsClient c = WsClient.connect(NODE.client(), NODE.port(), "/rooms/dashboard/" + room + "?name=viewer");
    c.next("PRESENCE");
    figures[0] = c.nextOfType("figures").getJsonObject("figures");
    return c;
  }

  static HttpResponse<String> push(int port, String key, String room, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/rooms/dashboard/" + room))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      r.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> push(String room, String body) throws Exception {
    return push(NODE.port(), API_KEY, room, body);
  }

  @Test
  @DisplayName("a figure pushed with the API key reaches a viewer with its seq; a late viewer gets every current figure")
  void pushedFiguresReachViewersAndALateViewerGetsThemAll() throws Exception {
    String room = freshRoom();
    JsonObject[] figures = {null};
    try (WsClient viewer = view(room, figures)) {
      assertEquals(new JsonObject(), figures[0], "a new dashboard has no figures");

      HttpResponse<String> r = push(room, "{\"figure\":\"orders\",\"value\":42}");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(new JsonObject().put("seq", 1), new JsonObject(r.body()));
      JsonObject event = viewer.nextOfType("figure");
      assertEquals(new JsonObject().put("type", "figure").put("figure", "orders").put("value", 42).put("seq", 1), event);

      assertEquals(2, new JsonObject(push(room, "{\"figure\":\"latency_ms\",\"value\":12.5}").body()).getInteger("seq"));
      assertEquals(3, new JsonObject(push(room, "{\"figure\":\"orders\",\"value\":43}").body()).getInteger("seq"));
      assertEquals(12.5, viewer.nextOfType("figure").getDouble("value"));
      assertEquals(3, viewer.nextOfType("figure").getInteger("seq"));
    }
    try (WsClient late = view(room, figures)) {
      assertEquals(new JsonObject().put("latency_ms", 12.5).put("orders", 43), figures[0],
          "each figure's latest value");
    }
  }

  @Test
  @DisplayName("a figure with a bad name or a value that is not a number is refused with 422 bad_figure; a call "
      + "without the key with 401; nothing of them is kept")
  void badFiguresAreRefused() throws Exception {
    String room = freshRoom();
    for (String body : List.of("{\"value\":1}", "{\"figure\":\"\",\"value\":1}", "{\"figure\":\"Orders\",\"value\":1}",
        "{\"figure\":\"a b\",\"value\":1}", "{\"figure\":\"" + "x".repeat(65) + "\",\"value\":1}",
        "{\"figure\":7,\"value\":1}", "{\"figure\":\"orders\"}", "{\"figure\":\"orders\",\"value\":\"42\"}",
        "{\"figure\":\"orders\",\"value\":null}", "{\"figure\":\"orders\",\"value\":[1]}")) {
      HttpResponse<String> r = push(room, body);
      assertEquals(422, r.statusCode(), body + " -> " + r.body());
      assertEquals("bad_figure", new JsonObject(r.body()).getString("code"), body);
    }
    assertEquals(401, push(NODE.port(), null, room, "{\"figure\":\"orders\",\"value\":1}").statusCode());
    assertEquals(401, push(NODE.port(), "wrong", room, "{\"figure\":\"orders\",\"value\":1}").statusCode());
    assertEquals(200, push(room, "{\"figure\":\"" + "x".repeat(64) + "\",\"value\":-1e3}").statusCode(),
        "64 characters and a negative decimal are fine");
    JsonObject[] figures = {null};
    try (WsClient viewer = view(room, figures)) {
      assertEquals(List.of("x".repeat(64)), List.copyOf(figures[0].fieldNames()), "only the good figure was kept");
    }
  }

  @Test
  @DisplayName("a viewer cannot change figures: its frame is refused with read_only and nothing is published")
  void aViewersFrameIsRefused() throws Exception {
    String room = freshRoom();
    JsonObject[] figures = {null};
    try (WsClient viewer = view(room, figures)) {
      viewer.send(new JsonObject().put("type", "figure").put("figure", "orders").put("value", 1).put("id", "f1"));
      JsonObject error = viewer.nextOfType("ERROR");
      assertEquals("read_only", error.getString("code"));
      assertEquals("f1", error.getString("id"));
      assertEquals(new JsonObject().put("seq", 1), new JsonObject(push(room, "{\"figure\":\"orders\",\"value\":2}").body()),
          "the refused frame took no seq");
      assertEquals(2, viewer.nextOfType("figure").getInteger("value"));
      assertFalse(viewer.seen.stream().anyMatch(f -> "ACK".equals(f.getString("type"))));
    }
  }
}
