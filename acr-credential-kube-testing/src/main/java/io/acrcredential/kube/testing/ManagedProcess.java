package io.acrcredential.kube.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One child process (etcd, kube-apiserver, containerd, the kubelet, a registry) whose output goes
 * to a log file: {@link #start} launches it, {@link #awaitReady} polls a {@link Probe} until it
 * holds, the process dies or a {@link Deadline} passes, {@link #failure} quotes the log tails (read
 * boundedly: at most {@value #TAIL_WINDOW} bytes from each file's end) and {@link #close()} stops
 * it and its descendants: SIGTERM first, SIGKILL after a grace period, then waits for all of them.
 */
final class ManagedProcess implements AutoCloseable {

  private static final long GRACE_SECONDS = 10;

  /** How much of a log's end a tail reads at most. */
  static final int TAIL_WINDOW = 64 * 1024;

  private static final int TAIL_LINES = 40;
  private static final int PROBE_TEXT_LIMIT = 200;

  private final String name;
  private final Process process;
  private final Path logFile;

  private ManagedProcess(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
  }

  static ManagedProcess start(String name, List<String> command, Path logFile) {
    return start(name, command, logFile, Map.of());
  }

  /**
   * Starts {@code command} with stdin from {@code /dev/null} and stdout and stderr into {@code
   * logFile}. Inherited {@code ETCD_*} and {@code KUBECONFIG} variables are removed (settings come
   * only from flags); {@code extraEnv} is added.
   */
  static ManagedProcess start(
      String name, List<String> command, Path logFile, Map<String, String> extraEnv) {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(logFile.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
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
    return tail(logFile, lines);
  }

  /** Whether the log mentions a port that was taken between choosing it and binding it. */
  boolean logShowsPortClash() {
    return tail(200).contains("address already in use");
  }

  /**
   * Polls {@code probe} every {@code poll} until it reports ready.
   *
   * @throws NotReady when this process exits first, the deadline passes or the thread is
   *     interrupted (then with its interrupt flag set)
   */
  void awaitReady(String what, Probe probe, Deadline deadline, Duration poll) {
    String last = "no answer yet";
    while (true) {
      if (!process.isAlive()) {
        throw new NotReady(name + " exited while waiting for " + what, true);
      }
      try {
        String state = probe.check();
        if (state == null) {
          return;
        }
        last = state;
        if (deadline.passed()) {
          throw new NotReady(
              "timed out after "
                  + deadline.total().toSeconds()
                  + " s waiting for "
                  + what
                  + " ("
                  + last
                  + ")",
              false);
        }
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new NotReady("interrupted while waiting for " + what, false);
      }
    }
  }

  /**
   * An exception for a start-up that failed: {@code message}, then the last {@value #TAIL_LINES}
   * lines of each process's log, marking those that exited.
   */
  static IllegalStateException failure(String message, List<ManagedProcess> processes) {
    StringBuilder text = new StringBuilder(message);
    for (ManagedProcess process : processes) {
      text.append("\n--- last lines of ")
          .append(process.logFile.getFileName())
          .append(process.isAlive() ? "" : " (exited)")
          .append(" ---\n")
          .append(process.tail(TAIL_LINES));
    }
    return new IllegalStateException(text.toString());
  }

  /**
   * The last {@code lines} lines of {@code file}, read from at most its last {@value #TAIL_WINDOW}
   * bytes (a first line cut by that window is left out), so a log of any size costs the same.
   */
  static String tail(Path file, int lines) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      long from = Math.max(0, size - TAIL_WINDOW);
      ByteBuffer buffer = ByteBuffer.allocate((int) (size - from));
      while (buffer.hasRemaining() && channel.read(buffer, from + buffer.position()) > 0) {
        // read until full or the file shrank
      }
      String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
      List<String> all = new ArrayList<>(text.lines().toList());
      if (from > 0 && !all.isEmpty()) {
        all.remove(0);
      }
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (NoSuchFileException e) {
      return "(no output)";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    List<ProcessHandle> tree = new ArrayList<>();
    process.toHandle().descendants().forEach(tree::add);
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    for (ProcessHandle handle : tree) {
      if (!awaitExit(handle)) {
        handle.destroyForcibly();
      }
    }
    tree.forEach(ManagedProcess::awaitExit);
  }

  /** Waits up to the grace period; false when the process still runs (or the wait broke off). */
  private static boolean awaitExit(ProcessHandle handle) {
    try {
      handle.onExit().get(GRACE_SECONDS, TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return name + "[pid " + process.pid() + "]";
  }

  /** A point in time for a start-up, remembering how long it allowed (for messages). */
  record Deadline(long atNanos, Duration total) {
    static Deadline after(Duration total) {
      return new Deadline(System.nanoTime() + total.toNanos(), total);
    }

    boolean passed() {
      return System.nanoTime() - atNanos > 0;
    }
  }

  /** A readiness check, polled by {@link #awaitReady}. */
  @FunctionalInterface
  interface Probe {
    /**
     * Checks once.
     *
     * @return null when ready, else a short description of what it saw (for the timeout message)
     */
    String check() throws InterruptedException;

    /** Ready when {@code request} is answered 200; otherwise the status and the body's start. */
    static Probe http(HttpClient http, HttpRequest request) {
      return () -> {
        try {
          HttpResponse<InputStream> response =
              http.send(request, HttpResponse.BodyHandlers.ofInputStream());
          try (InputStream body = response.body()) {
            if (response.statusCode() == 200) {
              return null;
            }
            String start =
                new String(body.readNBytes(PROBE_TEXT_LIMIT), StandardCharsets.UTF_8).strip();
            return "HTTP " + response.statusCode() + (start.isEmpty() ? "" : " " + start);
          }
        } catch (IOException e) {
          return e.toString();
        }
      };
    }

    /** Ready when a TCP connection to {@code host:port} succeeds. */
    static Probe port(String host, int port) {
      return () -> {
        try (Socket socket = new Socket()) {
          socket.connect(new InetSocketAddress(host, port), 500);
          return null;
        } catch (IOException e) {
          return e.toString();
        }
      };
    }

    /**
     * Ready once {@code logFile} contains {@code text}. Each check reads only what was appended
     * since the last one, in bounded chunks.
     */
    static Probe logLine(Path logFile, String text) {
      return new LogSearch(logFile, text.getBytes(StandardCharsets.UTF_8))::check;
    }
  }

  /** Searches a growing file for bytes, remembering where it stopped. */
  private static final class LogSearch {
    private static final int CHUNK = 16 * 1024;
    private final Path file;
    private final byte[] needle;
    private long offset;
    private byte[] carry = new byte[0];

    LogSearch(Path file, byte[] needle) {
      if (needle.length == 0 || needle.length > CHUNK) {
        throw new IllegalArgumentException("log text must have 1 to " + CHUNK + " bytes");
      }
      this.file = file;
      this.needle = needle;
    }

    String check() {
      if (!Files.exists(file)) {
        return "no log yet";
      }
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        int read;
        while ((read = channel.read(chunk.clear(), offset)) > 0) {
          offset += read;
          byte[] window = new byte[carry.length + read];
          System.arraycopy(carry, 0, window, 0, carry.length);
          System.arraycopy(chunk.array(), 0, window, carry.length, read);
          if (indexOf(window, needle) >= 0) {
            return null;
          }
          int keep = Math.min(window.length, needle.length - 1);
          carry = java.util.Arrays.copyOfRange(window, window.length - keep, window.length);
        }
        return "no line with '" + new String(needle, StandardCharsets.UTF_8) + "' yet";
      } catch (IOException e) {
        return e.toString();
      }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
      outer:
      for (int i = 0; i + needle.length <= haystack.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (haystack[i + j] != needle[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }

  /** A start-up that did not complete; {@link #exited()} tells a dead process from a timeout. */
  static final class NotReady extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final boolean exited;

    NotReady(String message, boolean exited) {
      super(message);
      this.exited = exited;
    }

    boolean exited() {
      return exited;
    }
  }
}
