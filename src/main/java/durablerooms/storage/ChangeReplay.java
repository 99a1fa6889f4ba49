package durablerooms.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies what the journals of commits of processes that died hold to the store of room types,
 * when it opens: each room's commits in the order of their marks, each only if it is the next after
 * the last one the store applied, at the room's epoch (a commit the store has, or of an activation
 * that a takeover has since replaced, is passed over). All files in one transaction.
 */
final class ChangeReplay {
  private static final Logger LOG = LoggerFactory.getLogger(LogicArchive.class);

  private ChangeReplay() {}

  static void recover(Connection c, Path journalDir, int historyLimit, int maxPendingHooks) throws IOException {
    try {
      int[] applied = {0};
      int files = Journal.recoverTexts(journalDir, ChangeJournal.PREFIX, texts -> applied[0] = replay(c, texts,
          historyLimit, maxPendingHooks));
      if (files > 0) {
        LOG.info("replayed {} journal file(s) of commits of stopped processes into the store of room types: "
            + "{} commit(s) it lacked", files, applied[0]);
      }
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("replaying the journal of commits failed: " + e.getMessage(), e);
    }
  }

  /** Applies the commits the store lacks; returns how many. */
  static int replay(Connection c, List<String> texts, int historyLimit, int maxPendingHooks) throws SQLException {
    Map<String, List<LogicArchive.Change>> byRoom = new LinkedHashMap<>();
    for (String text : texts) {
      LogicArchive.Change change = LogicArchive.Change.decode(text);
      if (change.room() != null && change.mark() != null) {
        byRoom.computeIfAbsent(change.room(), r -> new ArrayList<>()).add(change);
      }
    }
    int applied = 0;
    StoreSql.begin(c);
    try (LogicRows.Statements statements = new LogicRows.Statements(c)) {
      List<WebhookOutbox.Hook> hooks = new ArrayList<>();
      for (List<LogicArchive.Change> changes : byRoom.values()) {
        changes.sort(Comparator.comparing(LogicArchive.Change::mark));
        for (LogicArchive.Change ch : changes) {
          // refused unless at the room's epoch and the next after the store's last commit
          if (LogicRows.apply(statements, ch, historyLimit, ch.mark().n())) {
            hooks.addAll(ch.hooks());
            applied++;
          }
        }
      }
      WebhookOutbox.append(c, hooks, maxPendingHooks);
      StoreSql.commit(c);
    } catch (SQLException e) {
      StoreSql.rollback(c);
      throw e;
    }
    return applied;
  }
}
