package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link LocalNode} changed on the host, as a stack of undo steps run newest first, plus the
 * host operations those steps need (mounts, cgroups, sysctls, {@code /etc/hosts}, processes). Every
 * undo step runs even when an earlier one failed; failures are logged, not thrown, so one stuck
 * mount does not leave the sysctls changed.
 */
final class HostChanges {

  private static final Logger LOG = LoggerFactory.getLogger(HostChanges.class);

  /** Sysctls the kubelet sets on start (setupKernelTunables) or that networking may change. */
  static final List<String> SYSCTLS =
      List.of(
          "vm/overcommit_memory",
          "vm/panic_on_oom",
          "kernel/panic",
          "kernel/panic_on_oops",
          "kernel/keys/root_maxkeys",
          "kernel/keys/root_maxbytes",
          "net/ipv4/ip_forward");

  static final Path ETC_HOSTS = Path.of("/etc/hosts");

  private final Deque<Step> undo = new ArrayDeque<>();

  private record Step(String what, Runnable action) {}

  /** Registers an undo step; it runs before all steps registered earlier. */
  synchronized void onUndo(String what, Runnable action) {
    undo.push(new Step(what, action));
  }

  /** Runs every undo step, newest first; returns the ones that failed (already logged). */
  synchronized List<String> undoAll() {
    List<String> failed = new ArrayList<>();
    while (!undo.isEmpty()) {
      Step step = undo.pop();
      try {
        step.action.run();
      } catch (RuntimeException e) {
        LOG.warn("restoring the host: {} failed: {}", step.what, e.toString());
        failed.add(step.what + ": " + e.getMessage());
      }
    }
    return failed;
  }

  // ---- sysctls ----

  /** Current values of {@link #SYSCTLS} that exist on this kernel. */
  static Map<String, String> readSysctls() {
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : SYSCTLS) {
      Path file = Path.of("/proc/sys").resolve(name);
      try {
        values.put(name, Files.readString(file, StandardCharsets.US_ASCII).trim());
      } catch (IOException e) {
        // Not on this kernel (or not readable): nothing to restore.
      }
    }
    return values;
  }

  /** Writes back every recorded value that differs now. */
  static void restoreSysctls(Map<String, String> recorded) {
    Map<String, String> now = readSysctls();
    for (Map.Entry<String, String> entry : recorded.entrySet()) {
      if (!entry.getValue().equals(now.get(entry.getKey()))) {
        Path file = Path.of("/proc/sys").resolve(entry.getKey());
        try {
          Files.writeString(file, entry.getValue() + "\n", StandardCharsets.US_ASCII);
          LOG.info(
              "restored sysctl {} from {} to {}",
              entry.getKey(),
              now.get(entry.getKey()),
              entry.getValue());
        } catch (IOException e) {
          throw new UncheckedIOException("cannot restore sysctl " + entry.getKey(), e);
        }
      }
    }
  }

  // ---- /etc/hosts ----

  /** Appends {@code address names # marker} to /etc/hosts (in place: it may be a bind mount). */
  static void addHostsLine(String address, List<String> names, String marker) {
    try {
      String text = Files.readString(ETC_HOSTS, StandardCharsets.UTF_8);
      String line = address + " " + String.join(" ", names) + " # " + marker + "\n";
      String joined = text.isEmpty() || text.endsWith("\n") ? text + line : text + "\n" + line;
      Files.writeString(ETC_HOSTS, joined, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot add a line to " + ETC_HOSTS, e);
    }
  }

  /** Removes exactly the lines ending with {@code # marker}. */
  static void removeHostsLines(String marker) {
    try {
      List<String> lines = Files.readAllLines(ETC_HOSTS, StandardCharsets.UTF_8);
      List<String> kept = lines.stream().filter(line -> !line.endsWith("# " + marker)).toList();
      if (kept.size() != lines.size()) {
        Files.writeString(
            ETC_HOSTS,
            kept.isEmpty() ? "" : String.join("\n", kept) + "\n",
            StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove lines from " + ETC_HOSTS, e);
    }
  }

  // ---- mounts ----

  /** Mount points (from /proc/self/mountinfo) matching {@code filter}, deepest first. */
  static List<String> mountPoints(Predicate<String> filter) {
    try {
      List<String> points = new ArrayList<>();
      for (String line :
          Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
        String[] fields = line.split(" ");
        if (fields.length > 4) {
          String point = unescapeOctal(fields[4]);
          if (filter.test(point)) {
            points.add(point);
          }
        }
      }
      points.sort(Comparator.comparingInt(String::length).reversed());
      return points;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
    }
  }

  /** Unmounts every mount point under {@code prefix} (lazily when busy), deepest first. */
  static void unmountUnder(Path prefix) {
    String root = prefix.toString();
    for (int round = 0; round < 5; round++) {
      List<String> points = mountPoints(p -> p.equals(root) || p.startsWith(root + "/"));
      if (points.isEmpty()) {
        return;
      }
      for (String point : points) {
        if (run(Duration.ofSeconds(20), "umount", point).exitCode() != 0) {
          run(Duration.ofSeconds(20), "umount", "-l", point);
        }
      }
    }
    List<String> left = mountPoints(p -> p.equals(root) || p.startsWith(root + "/"));
    if (!left.isEmpty()) {
      throw new IllegalStateException("still mounted under " + root + ": " + left);
    }
  }

  private static String unescapeOctal(String text) {
    if (text.indexOf('\\') < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 3 < text.length()) {
        out.append((char) Integer.parseInt(text.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  // ---- cgroups ----

  /** The {@code <hierarchy>/<name>} directories of every mounted cgroup hierarchy (v1 or v2). */
  static List<Path> cgroupDirectories(String name) {
    Path root = Path.of("/sys/fs/cgroup");
    List<Path> dirs = new ArrayList<>();
    if (Files.exists(root.resolve("cgroup.controllers"))) {
      dirs.add(root.resolve(name)); // unified hierarchy
      return dirs;
    }
    try (Stream<Path> hierarchies = Files.list(root)) {
      hierarchies
          .filter(Files::isDirectory)
          .filter(p -> !Files.isSymbolicLink(p))
          .forEach(p -> dirs.add(p.resolve(name)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
    return dirs;
  }

  /**
   * Kills every process in the cgroup subtrees {@code dirs} and removes the subtrees, deepest
   * first. The processes are the node's containers (children of shims that were already stopped).
   */
  static void removeCgroups(List<Path> dirs) {
    List<String> stuck = new ArrayList<>();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      for (int round = 0; round < 20 && Files.isDirectory(dir); round++) {
        List<Path> tree = walk(dir);
        for (Path cgroup : tree) {
          for (long pid : pids(cgroup)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
          }
        }
        for (Path cgroup : tree) {
          try {
            Files.deleteIfExists(cgroup); // rmdir on cgroupfs
          } catch (IOException e) {
            // Busy until its processes are gone; the next round retries.
          }
        }
        if (Files.isDirectory(dir)) {
          sleep(Duration.ofMillis(200));
        }
      }
      if (Files.isDirectory(dir)) {
        stuck.add(dir.toString());
      }
    }
    if (!stuck.isEmpty()) {
      throw new IllegalStateException("cannot remove cgroups " + stuck);
    }
  }

  private static List<Path> walk(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isDirectory)
          .sorted(Comparator.comparingInt(Path::getNameCount).reversed())
          .toList();
    } catch (IOException | UncheckedIOException e) {
      return List.of(dir);
    }
  }

  private static List<Long> pids(Path cgroup) {
    try {
      return Files.readAllLines(cgroup.resolve("cgroup.procs")).stream()
          .filter(s -> !s.isBlank())
          .map(s -> Long.parseLong(s.trim()))
          .toList();
    } catch (IOException | UncheckedIOException | NumberFormatException e) {
      return List.of();
    }
  }

  // ---- processes ----

  /**
   * Kills (SIGKILL) the processes whose command line contains {@code marker}, a path unique to this
   * node: containerd shims re-parent themselves to init, so they are not the node's descendants.
   */
  static int killByCommandLine(String marker, Set<Long> spare) {
    int killed = 0;
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        String name = proc.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        if (spare.contains(pid) || pid == ProcessHandle.current().pid()) {
          continue;
        }
        String commandLine;
        try {
          commandLine =
              new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                  .replace('\0', ' ');
        } catch (IOException e) {
          continue;
        }
        if (commandLine.contains(marker)) {
          Optional<ProcessHandle> handle = ProcessHandle.of(pid);
          if (handle.isPresent()) {
            handle.get().destroyForcibly();
            killed++;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list /proc", e);
    }
    return killed;
  }

  // ---- files ----

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException | UncheckedIOException e) {
      throw new IllegalStateException("cannot delete " + dir + " completely: " + e, e);
    }
  }

  // ---- commands ----

  /** The outcome of a helper command. */
  record Result(int exitCode, String output) {}

  /** Runs a command with a timeout; output is stdout and stderr together. */
  static Result run(Duration timeout, String... command) {
    try {
      Path out = Files.createTempFile("acr-node-cmd-", ".out");
      try {
        Process process =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          process.waitFor();
          return new Result(-1, "timed out after " + timeout.toSeconds() + " s: " + command[0]);
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      return new Result(-1, "cannot run " + command[0] + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted while running " + command[0]);
    }
  }

  /** Like {@link #run}, failing with the command's output when it exits non-zero. */
  static String runOrFail(Duration timeout, String... command) {
    Result result = run(timeout, command);
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          String.join(" ", command) + " failed (" + result.exitCode() + "): " + result.output());
    }
    return result.output();
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
