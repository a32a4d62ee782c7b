package io.acrcredential.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How the benchmarks read their command line, wait, sample memory and print figures. */
final class Figures {

  private Figures() {}

  /**
   * The {@code --name value} pairs of a command line.
   *
   * @param example a valid pair, quoted in the error
   */
  static Map<String, String> options(String[] args, String example) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "arguments are --name value pairs, e.g. " + example + "; got " + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }

  /** Waits until {@code map} holds {@code n} namespaces; fails after {@code max}. */
  static void awaitCount(Map<String, Long> map, int n, Duration max, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (map.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + ": only " + map.size() + " of " + n + " namespaces");
      }
      Thread.sleep(5);
    }
  }

  /** The heap in use after three full collections. */
  static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** A {@code /proc/<pid>/status} size field ({@code VmRSS:}) in bytes, or -1 when absent. */
  static long status(long pid, String field) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith(field)) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  /** This process's resident memory in bytes, or -1 when it cannot be read (not Linux). */
  static long rssBytes() {
    try {
      return status(ProcessHandle.current().pid(), "VmRSS:");
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static Duration percentile(List<Duration> values, int p) {
    if (values.isEmpty()) {
      return Duration.ZERO;
    }
    List<Duration> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  static String kib(long bytes) {
    return String.format(Locale.ROOT, "%.2f KiB", bytes / 1024.0);
  }

  /** Milliseconds below 10 s, tenths of a second above. */
  static String fmt(Duration d) {
    if (d.isNegative()) {
      return "-" + fmt(d.negated());
    }
    return d.toMillis() < 10_000
        ? d.toMillis() + " ms"
        : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  static String since(long startNanos) {
    return fmt(Duration.ofNanos(System.nanoTime() - startNanos));
  }
}
