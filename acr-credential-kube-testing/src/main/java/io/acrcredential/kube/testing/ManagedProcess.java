package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One child process (etcd, kube-apiserver, kube-controller-manager) whose output goes to a log
 * file. {@link #close()} stops it and any descendants: SIGTERM first, SIGKILL after a grace period.
 */
final class ManagedProcess implements AutoCloseable {

  private static final long GRACE_SECONDS = 10;

  private final String name;
  private final Process process;
  private final Path logFile;

  private ManagedProcess(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
  }

  static ManagedProcess start(String name, List<String> command, Path logFile) {
    return start(name, command, logFile, java.util.Map.of());
  }

  /** Like {@link #start(String, List, Path)}, with extra environment variables. */
  static ManagedProcess start(
      String name, List<String> command, Path logFile, java.util.Map<String, String> extraEnv) {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(logFile.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
    // Settings come only from flags: inherited ETCD_* or KUBECONFIG variables would interfere.
    builder
        .environment()
        .keySet()
        .removeIf(key -> key.startsWith("ETCD_") || key.equals("KUBECONFIG"));
    builder.environment().putAll(extraEnv);
    try {
      return new ManagedProcess(name, builder.start(), logFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + ")", e);
    }
  }

  private static java.io.File nullDevice() {
    return new java.io.File("/dev/null");
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path logFile() {
    return logFile;
  }

  /** The last {@code lines} lines of the log, for error messages. */
  String tail(int lines) {
    try {
      if (!Files.exists(logFile)) {
        return "(no output)";
      }
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
          .collect(Collectors.joining("\n"));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  /** Whether the log mentions a port that was taken between choosing it and binding it. */
  boolean logShowsPortClash() {
    return tail(200).contains("address already in use");
  }

  @Override
  public void close() {
    List<ProcessHandle> tree = new ArrayList<>();
    process.toHandle().descendants().forEach(tree::add);
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    for (ProcessHandle handle : tree) {
      try {
        handle.onExit().get(GRACE_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        handle.destroyForcibly();
      } catch (Exception e) {
        handle.destroyForcibly();
      }
    }
    for (ProcessHandle handle : tree) {
      try {
        handle.onExit().get(GRACE_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        // Reported by the caller's checks; nothing more can be done than SIGKILL.
      }
    }
  }

  @Override
  public String toString() {
    return name + "[pid " + process.pid() + "]";
  }
}
