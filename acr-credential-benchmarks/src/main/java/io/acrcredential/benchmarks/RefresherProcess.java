package io.acrcredential.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged refresher ({@code java -jar acr-credential.jar sync}) as a process of its own, with
 * given JVM options: when it logs its first complete reconcile, its resident memory, CPU time and
 * thread count then and after a settling pause, and (with Native Memory Tracking on) what the JVM
 * says its memory is made of.
 */
final class RefresherProcess {

  private static final Pattern FIRST =
      Pattern.compile("first reconcile complete (\\d+) ms after process start.*?(\\d+) namespace");
  private static final Pattern NMT_CATEGORY =
      Pattern.compile("^-\\s+(.+?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
  private static final Pattern NMT_TOTAL =
      Pattern.compile("^Total: reserved=(\\d+)KB, committed=(\\d+)KB");

  /** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ, 100 on Linux). */
  private static final long TICKS = 100;

  /** What one run measured; sizes in bytes, CPU in milliseconds; -1 when not measured. */
  record Run(
      long firstReconcileMs,
      long rssFirst,
      long rssSettled,
      long peak,
      long cpuFirstMs,
      long cpuSettledMs,
      int threads,
      long rssAnon,
      long rssFile,
      Map<String, Long> nmtCommitted,
      String failure) {

    boolean failed() {
      return failure != null;
    }

    /** The Native Memory Tracking breakdown in MiB, largest first, and RSS beyond it. */
    String breakdown() {
      if (nmtCommitted.isEmpty()) {
        return "no Native Memory Tracking";
      }
      List<Map.Entry<String, Long>> entries = new ArrayList<>(nmtCommitted.entrySet());
      entries.removeIf(e -> e.getKey().equals("Total"));
      entries.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
      StringBuilder s = new StringBuilder("committed");
      long small = 0;
      for (Map.Entry<String, Long> e : entries) {
        if (e.getValue() < 512 * 1024) {
          small += e.getValue();
          continue;
        }
        s.append(String.format(Locale.ROOT, " | %s %.1f", e.getKey(), e.getValue() / 1048576.0));
      }
      long total = nmtCommitted.getOrDefault("Total", 0L);
      s.append(String.format(Locale.ROOT, " | the rest %.1f", small / 1048576.0));
      s.append(
          String.format(
              Locale.ROOT,
              " | total %.1f MiB; RSS %.1f MiB - total = %.1f MiB (untouched committed pages count"
                  + " negative; malloc arena slack and mapped files positive)",
              total / 1048576.0,
              rssSettled / 1048576.0,
              (rssSettled - total) / 1048576.0));
      return s.toString();
    }
  }

  private RefresherProcess() {}

  /**
   * Starts the refresher, waits for its first complete reconcile, then {@code settleSeconds}, and
   * stops it.
   *
   * @param command the whole command line
   * @param env what to add to its environment (JAVA_TOOL_OPTIONS included)
   * @param nmt whether the options turn Native Memory Tracking on (then {@code jcmd} reads it)
   * @param log where failures and the last output go
   */
  static Run run(
      List<String> command,
      Map<String, String> env,
      boolean nmt,
      int settleSeconds,
      Consumer<String> log)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    Matcher[] found = new Matcher[1];
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                  if (output.size() < 2000) {
                    output.add(l);
                  }
                  Matcher m = FIRST.matcher(l);
                  if (m.find()) {
                    synchronized (found) {
                      found[0] = m;
                      found.notifyAll();
                    }
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "heap-bench-refresher-output");
    pump.setDaemon(true);
    pump.start();
    try {
      long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
      synchronized (found) {
        while (found[0] == null) {
          if (!p.isAlive() || System.nanoTime() > deadline) {
            String last;
            synchronized (output) {
              last =
                  String.join("\n", output.subList(Math.max(0, output.size() - 5), output.size()));
            }
            String outcome =
                p.isAlive()
                    ? "no first reconcile within 30 minutes"
                    : "exited with status " + p.exitValue();
            log.accept("refresher FAILED: " + outcome + "; last output:\n" + last);
            String failure =
                outcome + (last.contains("OutOfMemoryError") ? " (OutOfMemoryError)" : "");
            return new Run(-1, -1, -1, -1, -1, -1, -1, -1, -1, Map.of(), failure);
          }
          found.wait(1000);
        }
      }
      long firstMs = Long.parseLong(found[0].group(1));
      long rssFirst = Figures.status(p.pid(), "VmRSS:");
      long cpuFirst = cpuMillis(p.pid());
      Thread.sleep(settleSeconds * 1000L);
      long rssSettled = Figures.status(p.pid(), "VmRSS:");
      long peak = Figures.status(p.pid(), "VmHWM:");
      long cpuSettled = cpuMillis(p.pid());
      int threads = (int) (Figures.status(p.pid(), "Threads:") / 1024);
      long rssAnon = Figures.status(p.pid(), "RssAnon:");
      long rssFile = Figures.status(p.pid(), "RssFile:");
      Map<String, Long> committed = nmt ? nativeMemory(p.pid(), log) : Map.of();
      return new Run(
          firstMs,
          rssFirst,
          rssSettled,
          peak,
          cpuFirst,
          cpuSettled,
          threads,
          rssAnon,
          rssFile,
          committed,
          null);
    } finally {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  /** User plus system CPU time of a process so far, in milliseconds. */
  static long cpuMillis(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    // the fields after the command name, which is in parentheses and may hold spaces
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000 / TICKS;
  }

  /** {@code jcmd <pid> VM.native_memory summary}: committed bytes per category and "Total". */
  static Map<String, Long> nativeMemory(long pid, Consumer<String> log) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process j =
        new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "VM.native_memory", "summary")
            .redirectErrorStream(true)
            .start();
    String text = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!j.waitFor(60, TimeUnit.SECONDS) || j.exitValue() != 0) {
      log.accept("jcmd failed: " + text.lines().limit(3).toList());
      return Map.of();
    }
    return parseNativeMemory(text);
  }

  /** The committed size per category of an NMT summary, and its "Total". */
  static Map<String, Long> parseNativeMemory(String summary) {
    Map<String, Long> committed = new LinkedHashMap<>();
    for (String line : summary.split("\n")) {
      String l = line.strip();
      Matcher total = NMT_TOTAL.matcher(l);
      if (total.find()) {
        committed.put("Total", Long.parseLong(total.group(2)) * 1024);
        continue;
      }
      Matcher c = NMT_CATEGORY.matcher(l);
      if (c.find()) {
        committed.put(c.group(1).strip(), Long.parseLong(c.group(3)) * 1024);
      }
    }
    return committed;
  }
}
