package durablerooms.room;

import durablerooms.api.RoomLogic;
import durablerooms.api.RoomType;
import durablerooms.config.ConfigException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which room types a node serves, which names it refuses, and how a room's key carries its type. */
class RoomTypesTest {
  /** A type that is only a name (RoomTypes never calls create). */
  private record Named(String name) implements RoomType {
    @Override
    public RoomLogic create() {
      return new RoomLogic() {};
    }
  }

  @Test
  @DisplayName("chat is always served and listed first, the other types follow in name order")
  void chatFirstThenNameOrder() {
    assertEquals(List.of("chat"), RoomTypes.of(new durablerooms.chat.Chat(), List.of()).names());
    RoomTypes types = RoomTypes.of(new durablerooms.chat.Chat(), List.of(new Named("zebra"), new Named("counter"), new Named("a-1")));
    assertEquals(List.of("chat", "a-1", "counter", "zebra"), types.names());
  }

  @Test
  @DisplayName("get finds a type by name, the built-in chat too; serves says which rooms may exist")
  void getAndServes() {
    Named counter = new Named("counter");
    durablerooms.chat.Chat chat = new durablerooms.chat.Chat();
    RoomTypes types = RoomTypes.of(chat, List.of(counter));
    assertSame(counter, types.get("counter"));
    assertSame(chat, types.get("chat"));
    assertNull(types.get("nope"));
    assertNull(types.get(null));
    assertTrue(types.serves("chat"));
    assertTrue(types.serves("counter"));
    assertFalse(types.serves("nope"));
    assertFalse(types.serves(null));
  }

  @Test
  @DisplayName("a chat room's key is its name; any other room's is type/room, and comes apart again")
  void roomKeys() {
    assertEquals("lobby", RoomTypes.key("chat", "lobby"));
    assertEquals("counter/r1", RoomTypes.key("counter", "r1"));
    assertEquals("chat", RoomTypes.typeOf("lobby"));
    assertEquals("lobby", RoomTypes.nameOf("lobby"));
    assertEquals("counter", RoomTypes.typeOf("counter/r1"));
    assertEquals("r1", RoomTypes.nameOf("counter/r1"));
    String key = RoomTypes.key("a-1", "Room_2.x");
    assertEquals("a-1", RoomTypes.typeOf(key));
    assertEquals("Room_2.x", RoomTypes.nameOf(key));
  }

  @Test
  @DisplayName("a name must be 1 to 32 of a-z 0-9 - starting with a letter; the refusal names the class and the rule")
  void invalidNamesAreRefused() {
    RoomTypes.of(new durablerooms.chat.Chat(), List.of(new Named("a"), new Named("a" + "b".repeat(31)), new Named("x-9")));
    for (String bad : new String[] {"Bad Name", "", "1st", "-x", "a_b", "a/b", "Hello", "a" + "b".repeat(32)}) {
      ConfigException e = assertThrows(ConfigException.class, () -> RoomTypes.of(new durablerooms.chat.Chat(), List.of(new Named(bad))), bad);
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
      assertTrue(e.getMessage().contains("[a-z][a-z0-9-]{0,31}"), e.getMessage());
      assertTrue(e.getMessage().contains(Named.class.getName()), e.getMessage());
    }
    ConfigException noName = assertThrows(ConfigException.class, () -> RoomTypes.of(new durablerooms.chat.Chat(), List.of(new Named(null))));
    assertTrue(noName.getMessage().contains("'null'"), noName.getMessage());
  }

  @Test
  @DisplayName("a second type of a name, or one named chat, is refused with the name and who holds it")
  void takenNamesAreRefused() {
    ConfigException chat = assertThrows(ConfigException.class, () -> RoomTypes.of(new durablerooms.chat.Chat(), List.of(new Named("chat"))));
    assertTrue(chat.getMessage().contains("'chat' is taken by the built-in chat rooms"), chat.getMessage());
    ConfigException twice = assertThrows(ConfigException.class,
        () -> RoomTypes.of(new durablerooms.chat.Chat(), List.of(new Named("counter"), new Named("other"), new Named("counter"))));
    assertTrue(twice.getMessage().contains("'counter' is taken by room type " + Named.class.getName()),
        twice.getMessage());
  }

  @Test
  @DisplayName("a type whose name() throws stops the start with a ConfigException, not an escaped exception")
  void aNameThatThrowsIsAConfigError() {
    RoomType broken = new RoomType() {
      @Override
      public String name() {
        throw new IllegalStateException("no name yet");
      }

      @Override
      public RoomLogic create() {
        return new RoomLogic() {};
      }
    };
    ConfigException e = assertThrows(ConfigException.class, () -> RoomTypes.of(new durablerooms.chat.Chat(), List.of(broken)));
    assertTrue(e.getMessage().contains("no name yet"), e.getMessage());
  }

  @Test
  @DisplayName("a plugins folder that does not exist, or holds no jar, adds no type to those of the class path")
  void noPlugins(@TempDir Path empty) {
    // the server's examples (dashboard, relay, tictactoe, whiteboard) and the tests' own type (ledger)
    assertEquals(List.of("chat", "dashboard", "ledger", "relay", "tictactoe", "whiteboard"), RoomTypes.load(empty.resolve("missing"), new durablerooms.chat.Chat()).names());
    assertEquals(List.of("chat", "dashboard", "ledger", "relay", "tictactoe", "whiteboard"), RoomTypes.load(empty, new durablerooms.chat.Chat()).names());
  }
}
