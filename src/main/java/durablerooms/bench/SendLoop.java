package durablerooms.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/** One event loop of the generator: its clients and their send timer. Used on that loop only. */
final class SendLoop {
  final Context context;
  final List<BenchClient> clients = new ArrayList<>();
  private final Vertx vertx;
  private final LongAdder issued;
  private List<Schedule> schedules;
  private long[] done;

  SendLoop(Vertx vertx, Context context, LongAdder issued) {
    this.vertx = vertx;
    this.context = context;
    this.issued = issued;
  }

  void start() {
    vertx.setPeriodic(1, id -> tick());
  }

  /** The clients' schedules for the next step, in the order of {@link #clients}; null: none sends. */
  void plan(List<Schedule> next) {
    schedules = next;
    done = next == null ? null : new long[next.size()];
  }

  /** Sends every message that is due; a late tick catches up, stamped with the intended times. */
  private void tick() {
    if (schedules == null) {
      return;
    }
    long now = System.nanoTime();
    for (int i = 0; i < schedules.size(); i++) {
      Schedule s = schedules.get(i);
      if (s == null) {
        continue;
      }
      long due = s.dueBy(now);
      while (done[i] < due) {
        clients.get(i).send(s.intended(done[i]));
        done[i]++;
        issued.increment();
      }
    }
  }
}
