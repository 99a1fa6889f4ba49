package durablerooms.gateway;

import durablerooms.state.EventSlice;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpApiPageTest {
  /** A page of {@code count} messages of {@code chars} two-byte characters each, capped at {@code maxBytes}. */
  private static Buffer page(int count, int chars, int maxBytes) {
    List<EventSlice.Entry> messages = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      messages.add(new EventSlice.Entry(i, new JsonObject().put("type", "MESSAGE").put("user", "u")
          .put("message", "é".repeat(chars)).put("ts", 1000L + i).put("id", "id" + i).put("seq", i).encode()));
    }
    return HttpApi.page("r", count, false, messages, EventSlice.Entry::seq, EventSlice.Entry::json, maxBytes);
  }

  @Test
  void aPageThatFitsIsWholeAndHasNoNext() {
    JsonObject page = page(3, 10, 4096).toJsonObject();
    assertEquals(3, page.getJsonArray("messages").size());
    assertNull(page.getValue("next"));
    assertEquals("r", page.getString("room"));
    assertEquals(3L, page.getLong("seq"));
    assertFalse(page.getBoolean("gap"));
  }

  @Test
  void aLongPageStopsUnderTheCapInBytesAndSaysWhereToGoOn() {
    int cap = 4096;
    var body = page(20, 300, cap); // 600 bytes of text each
    assertTrue(body.length() <= cap, "bytes: " + body.length());
    JsonObject page = body.toJsonObject();
    int n = page.getJsonArray("messages").size();
    assertTrue(n >= 5 && n < 20, "as many as fit: " + n);
    assertEquals((long) n, page.getLong("next"), "the seq of its last message");
  }

  @Test
  void aSingleMessageOverTheCapIsStillSentSoThatAReaderMovesOn() {
    JsonObject page = page(2, 5000, 4096).toJsonObject();
    assertEquals(1, page.getJsonArray("messages").size());
    assertEquals(1L, page.getLong("next"));
  }
}
