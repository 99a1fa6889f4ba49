package durablerooms.gateway;

import durablerooms.state.ChatRecord;
import durablerooms.state.HistorySlice;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpApiPageTest {
  private static HistorySlice slice(int count, int chars) {
    List<ChatRecord> messages = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      messages.add(new ChatRecord(i, 1000L + i, "u", "m", "é".repeat(chars), "id" + i, null));
    }
    return new HistorySlice(messages, count, false);
  }

  @Test
  void aPageThatFitsIsWholeAndHasNoNext() {
    JsonObject page = HttpApi.page("r", slice(3, 10), 4096).toJsonObject();
    assertEquals(3, page.getJsonArray("messages").size());
    assertNull(page.getValue("next"));
    assertEquals("r", page.getString("room"));
    assertEquals(3L, page.getLong("seq"));
    assertFalse(page.getBoolean("gap"));
  }

  @Test
  void aLongPageStopsUnderTheCapInBytesAndSaysWhereToGoOn() {
    int cap = 4096;
    var body = HttpApi.page("r", slice(20, 300), cap); // 600 bytes of text each
    assertTrue(body.length() <= cap, "bytes: " + body.length());
    JsonObject page = body.toJsonObject();
    int n = page.getJsonArray("messages").size();
    assertTrue(n >= 5 && n < 20, "as many as fit: " + n);
    assertEquals((long) n, page.getLong("next"), "the seq of its last message");
  }

  @Test
  void aSingleMessageOverTheCapIsStillSentSoThatAReaderMovesOn() {
    JsonObject page = HttpApi.page("r", slice(2, 5000), 4096).toJsonObject();
    assertEquals(1, page.getJsonArray("messages").size());
    assertEquals(1L, page.getLong("next"));
  }
}
