package durablerooms.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the generator reads of the machine and of the servers' processes (--pid) from /proc, and
 * its own CPU time; a figure that cannot be read is -1 (or "n/a"), never an error.
 */
final class ProcStats {
  private static final long SEC = 1_000_000_000L;

  private ProcStats() {}

  static double load1() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The share of the last 10 s in which some task waited for a CPU (/proc/pressure/cpu), as "NN%". */
  static String cpuPressure() {
    try {
      String line = Files.readAllLines(Path.of("/proc/pressure/cpu")).get(0);
      return line.replaceAll(".*avg10=([0-9.]+).*", "$1") + "%";
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  /** VmRSS of a process from /proc/PID/status, or -1. */
  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not readable: no figure
    }
    return -1;
  }

  /** The summed VmRSS of the servers, or -1 when there are none or one is not readable. */
  static long serverRss(List<Long> pids) {
    long sum = 0;
    for (long pid : pids) {
      long rss = rssBytes(pid);
      if (rss < 0) {
        return -1;
      }
      sum += rss;
    }
    return pids.isEmpty() ? -1 : sum;
  }

  /** User + system CPU time of the servers (summed) from /proc/PID/stat, or -1. */
  static long serverCpuNanos(List<Long> pids) {
    if (pids.isEmpty()) {
      return -1;
    }
    long ticks = 0;
    try {
      for (long pid : pids) {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return ticks * (SEC / 100); // USER_HZ is 100 on Linux
  }

  /** This process's CPU time (the generator's own), or 0 where the JVM does not tell it. */
  static long generatorCpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return 0;
  }
}
