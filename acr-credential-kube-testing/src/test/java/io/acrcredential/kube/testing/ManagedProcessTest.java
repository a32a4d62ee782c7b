package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.acrcredential.kube.testing.ManagedProcess.Deadline;
import io.acrcredential.kube.testing.ManagedProcess.NotReady;
import io.acrcredential.kube.testing.ManagedProcess.Probe;
import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared child-process start-up: readiness probes, failures quoting the log, stopping. */
class ManagedProcessTest {

  private static final Duration POLL = Duration.ofMillis(20);

  @TempDir Path dir;

  @Test
  void aProcessThatExitsFailsWithTheTailOfItsLog() {
    try (ManagedProcess process = sh("fake", "echo 'fake: cannot open data dir' >&2; exit 3")) {
      assertThatThrownBy(
              () ->
                  process.awaitReady(
                      "its port", () -> "not yet", Deadline.after(Duration.ofSeconds(20)), POLL))
          .isInstanceOfSatisfying(NotReady.class, e -> assertThat(e.exited()).isTrue())
          .hasMessage("fake exited while waiting for its port");
      assertThat(ManagedProcess.failure("did not start", List.of(process)))
          .hasMessageStartingWith("did not start\n--- last lines of fake.log (exited) ---\n")
          .hasMessageEndingWith("fake: cannot open data dir");
    }
  }

  @Test
  void aTimeoutNamesTheLastStateTheProbeSaw() {
    try (ManagedProcess process = sh("slow", "sleep 60")) {
      assertThatThrownBy(
              () ->
                  process.awaitReady(
                      "/readyz", () -> "HTTP 503", Deadline.after(Duration.ofMillis(200)), POLL))
          .isInstanceOfSatisfying(NotReady.class, e -> assertThat(e.exited()).isFalse())
          .hasMessage("timed out after 0 s waiting for /readyz (HTTP 503)");
    }
  }

  @Test
  void waitsForALogLine() {
    try (ManagedProcess process =
        sh("server", "echo starting; sleep 0.3; echo 'ready to serve'; sleep 60")) {
      process.awaitReady(
          "its banner",
          Probe.logLine(process.logFile(), "ready to serve"),
          Deadline.after(Duration.ofSeconds(20)),
          POLL);
      assertThat(process.tail(5)).endsWith("ready to serve");
    }
  }

  @Test
  void logLineProbeFindsTextAcrossChunksAndOnlyReadsWhatIsNew() throws Exception {
    Path log = dir.resolve("growing.log");
    Files.writeString(log, "x".repeat(16 * 1024 - 3) + "REA");
    Probe probe = Probe.logLine(log, "READY");
    assertThat(probe.check()).contains("no line with 'READY'");
    Files.writeString(log, "DY\n", java.nio.file.StandardOpenOption.APPEND);
    assertThat(probe.check()).isNull();
  }

  @Test
  void portProbeAnswersOnceSomethingListens() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
      assertThat(Probe.port("127.0.0.1", port).check()).isNull();
    }
    assertThat(Probe.port("127.0.0.1", port).check()).contains("Connection refused");
  }

  @Test
  void httpProbeWantsA200AndQuotesTheStartOfAnyOtherBody() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/readyz",
        exchange -> {
          boolean ready = calls.incrementAndGet() > 1;
          byte[] body = (ready ? "ok" : "[-]etcd failed" + "!".repeat(10_000)).getBytes();
          exchange.sendResponseHeaders(ready ? 200 : 500, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      Probe probe =
          Probe.http(
              HttpClient.newHttpClient(),
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/readyz"))
                  .build());
      String first = probe.check();
      assertThat(first).startsWith("HTTP 500 [-]etcd failed!!!");
      assertThat(first.length()).isLessThan(250);
      assertThat(probe.check()).isNull();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void tailReadsOnlyTheEndOfALargeLog() throws IOException {
    Path log = dir.resolve("big.log");
    try (Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      for (int i = 0; i < 300_000; i++) {
        out.write("line " + i + "\n");
      }
    }
    assertThat(Files.size(log)).isGreaterThan(3_000_000);
    assertThat(ManagedProcess.tail(log, 3)).isEqualTo("line 299997\nline 299998\nline 299999");

    Path oneLongLine = dir.resolve("long.log");
    Files.writeString(oneLongLine, "y".repeat(200_000) + "\nlast\n");
    assertThat(ManagedProcess.tail(oneLongLine, 10)).isEqualTo("last");

    assertThat(ManagedProcess.tail(dir.resolve("absent.log"), 10)).isEqualTo("(no output)");
  }

  @Test
  void closeStopsTheProcessAndItsChildren() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    ManagedProcess process = sh("parent", "sleep 300 & echo $! > " + pidFile + "; wait");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(20);
    }
    long child = Long.parseLong(Files.readString(pidFile).trim());
    assertThat(ProcessHandle.of(child)).isPresent();

    process.close();

    assertThat(process.isAlive()).isFalse();
    assertThat(ProcessHandle.of(child).filter(ProcessHandle::isAlive)).isEmpty();
  }

  private ManagedProcess sh(String name, String script) {
    return ManagedProcess.start(name, List.of("/bin/sh", "-c", script), dir.resolve(name + ".log"));
  }
}
