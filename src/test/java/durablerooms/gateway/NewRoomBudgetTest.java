package durablerooms.gateway;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NewRoomBudgetTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  @DisplayName("an address may open its budget of new rooms at once, then one more each 60/N seconds")
  void budgetPerAddress() {
    NewRoomBudget budget = new NewRoomBudget(6, 100);
    for (int i = 0; i < 6; i++) {
      assertEquals(0, budget.take("10.0.0.1", 0), "room " + i);
    }
    long wait = budget.take("10.0.0.1", 0);
    assertTrue(wait > 9 * SECOND && wait <= 10 * SECOND, "the next in 10 s: " + wait);
    assertEquals(0, budget.take("10.0.0.2", 0), "another address has its own budget");
    assertEquals(0, budget.take("10.0.0.1", 10 * SECOND));
  }

  @Test
  @DisplayName("the buckets are bounded: past the limit the address used least recently is dropped")
  void boundedMap() {
    NewRoomBudget budget = new NewRoomBudget(60, 3);
    for (int i = 0; i < 1000; i++) {
      budget.take("10.0." + (i / 256) + "." + (i % 256), 0);
    }
    assertEquals(3, budget.addresses());
  }
}
