package io.acrcredential.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/** The real jar ({@code java -jar target/acr-credential.jar ...}) as a child process. */
public final class SyncProcess implements AutoCloseable {

  final Process process;
  final List<String> stdout = new CopyOnWriteArrayList<>();
  final List<String> stderr = new CopyOnWriteArrayList<>();
  private final long startedNanos = System.nanoTime();
  private final List<Thread> pumps = new ArrayList<>();

  private SyncProcess(Process process) {
    this.process = process;
    pumps.add(pump(process.getInputStream(), stdout, "out"));
    pumps.add(pump(process.getErrorStream(), stderr, "err"));
  }

  /** Waits until everything the ended process wrote was read. */
  private void drain() throws InterruptedException {
    for (Thread t : pumps) {
      t.join(5000);
    }
  }

  /** The shaded jar the build produced. */
  public static Path jar() {
    String dir = System.getProperty("acr.bin.dir");
    Assumptions.assumeTrue(dir != null, "acr.bin.dir is not set: run through mvn verify");
    Path jar = Path.of(dir).getParent().resolve("acr-credential.jar");
    if (!Files.isRegularFile(jar)) {
      throw new AssertionError(jar + " is missing: run mvn package first");
    }
    return jar;
  }

  /**
   * Installs the packaged node bundle (runtime, jar, AppCDS archive, launchers) under {@code
   * prefix} with its own {@code install-node}, as a node would get it, and returns its bin
   * directory.
   */
  static Path installNodeBundle(Path prefix) throws IOException, InterruptedException {
    Path installer = jar().getParent().resolve("acr-credential-node/bin/install-node");
    Process p =
        new ProcessBuilder(
                installer.toString(),
                "--prefix",
                prefix.toString(),
                "--config",
                prefix.resolveSibling(prefix.getFileName() + "-provider-config.yaml").toString())
            .redirectErrorStream(true)
            .start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new AssertionError("install-node failed: " + out);
    }
    return prefix.resolve("bin");
  }

  public static SyncProcess start(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(env);
    try {
      return new SyncProcess(pb.start());
    } catch (IOException e) {
      throw new AssertionError("cannot start " + command, e);
    }
  }

  /**
   * Starts {@code sync} on the ConfigMap {@code configMapNamespace/acr-configuration} (also the
   * instance name) with /healthz, /readyz and /metrics on an ephemeral port of 127.0.0.1; {@code
   * more} follows. Returns at once: the caller awaits the log lines it needs.
   */
  public static SyncProcess startSync(
      Map<String, String> env, String configMapNamespace, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "sync",
                "--configmap",
                configMapNamespace + "/acr-configuration",
                "--instance",
                configMapNamespace,
                "--http-address",
                "127.0.0.1",
                "--http-port",
                "0"));
    args.addAll(List.of(more));
    return start(env, args.toArray(new String[0]));
  }

  /**
   * A {@code sync} serving the Pod webhook from certificate files, as the webhook ITs start it.
   *
   * @param process the running program
   * @param webhookPort the webhook's port on 127.0.0.1
   * @param httpPort the port of /healthz, /readyz and /metrics on 127.0.0.1
   * @param certFile the certificate file (replace it to rotate)
   * @param keyFile the key file
   * @param certificate what was written to them first
   */
  public record WithWebhook(
      SyncProcess process,
      int webhookPort,
      int httpPort,
      Path certFile,
      Path keyFile,
      io.acrcredential.kube.testing.LocalKubeApiServer.ServingCertificate certificate)
      implements AutoCloseable {
    @Override
    public void close() {
      process.close();
    }
  }

  /**
   * Writes a serving certificate for 127.0.0.1 that the API server's CA signed into {@code tlsDir}
   * and starts {@code sync} on the ConfigMap {@code configMapNamespace/acr-configuration} (also the
   * instance name) with the webhook on an ephemeral port of 127.0.0.1 and those files; {@code more}
   * follows (leader election, names). Returns once both ports are logged.
   */
  public static WithWebhook startWithWebhook(
      io.acrcredential.kube.testing.LocalKubeApiServer server,
      String certificateName,
      Path tlsDir,
      Map<String, String> env,
      String configMapNamespace,
      String... more)
      throws IOException, InterruptedException {
    Files.createDirectories(tlsDir);
    io.acrcredential.kube.testing.LocalKubeApiServer.ServingCertificate cert =
        server.issueServingCertificate(certificateName);
    Path certFile = tlsDir.resolve("tls.crt");
    Path keyFile = tlsDir.resolve("tls.key");
    Files.writeString(keyFile, cert.privateKeyPem(), StandardCharsets.US_ASCII);
    Files.writeString(certFile, cert.certificatePem(), StandardCharsets.US_ASCII);
    List<String> args =
        new ArrayList<>(
            List.of(
                "--webhook-port",
                "0",
                "--webhook-cert-file",
                certFile.toString(),
                "--webhook-key-file",
                keyFile.toString()));
    args.addAll(List.of(more));
    SyncProcess p = startSync(env, configMapNamespace, args.toArray(new String[0]));
    try {
      int http =
          Integer.parseInt(
              p.awaitLog("HTTP on 127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(90)).group(1));
      int webhook =
          Integer.parseInt(
              p.awaitLog(
                      "Pod webhook serving https://127\\.0\\.0\\.1:(\\d+)/mutate-pods",
                      Duration.ofSeconds(90))
                  .group(1));
      return new WithWebhook(p, webhook, http, certFile, keyFile, cert);
    } catch (RuntimeException | Error | InterruptedException e) {
      p.close();
      throw e;
    }
  }

  /** A port on 127.0.0.1 that was free a moment ago (the caller's process binds it next). */
  public static int freeLoopbackPort() throws IOException {
    try (java.net.ServerSocket probe =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  /**
   * Starts {@code sync} on the ConfigMap {@code configMapNamespace/acr-configuration} (also the
   * instance name) issuing its own webhook certificate and registration {@code registration}: the
   * webhook on {@code 127.0.0.1:port}, registered by URL (the refresher runs outside the cluster),
   * /metrics on an ephemeral port of 127.0.0.1, the given certificate and CA lifetimes; {@code
   * more} follows (leader election, names). Returns at once: the caller awaits the log lines it
   * needs.
   */
  public static SyncProcess startSelfIssued(
      Map<String, String> env,
      String configMapNamespace,
      int port,
      String registration,
      String certLifetime,
      String caLifetime,
      String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--webhook-port",
                Integer.toString(port),
                "--webhook-url",
                "https://127.0.0.1:" + port,
                "--webhook-configuration-name",
                registration,
                "--webhook-cert-lifetime",
                certLifetime,
                "--webhook-ca-lifetime",
                caLifetime));
    args.addAll(List.of(more));
    return startSync(env, configMapNamespace, args.toArray(new String[0]));
  }

  private static Thread pump(java.io.InputStream in, List<String> lines, String name) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // process ended
              }
            },
            "pump-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Waits for a stderr line matching {@code regex}; returns its match. */
  public Matcher awaitLog(String regex, Duration timeout) throws InterruptedException {
    Pattern p = Pattern.compile(regex);
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    while (System.nanoTime() < deadline) {
      List<String> snapshot = List.copyOf(stderr);
      for (int i = seen; i < snapshot.size(); i++) {
        Matcher m = p.matcher(readable(snapshot.get(i)));
        if (m.find()) {
          return m;
        }
      }
      seen = 0;
      if (!process.isAlive()) {
        Thread.sleep(200); // let the pump drain
        for (String line : stderr) {
          Matcher m = p.matcher(readable(line));
          if (m.find()) {
            return m;
          }
        }
        throw new AssertionError(
            "the process ended (exit "
                + process.exitValue()
                + ") before logging /"
                + regex
                + "/\n"
                + output());
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no log line /" + regex + "/ within " + timeout + "\n" + output());
  }

  /**
   * A log line as a pattern should see it: logback's JSON encoder writes "/" as "\\/" (valid JSON
   * escaping), which would hide "ns/name" from the patterns that look for it.
   */
  static String readable(String line) {
    return line.replace("\\/", "/");
  }

  /** Sends SIGTERM and waits; returns how long it took to exit. */
  public Duration terminate(Duration grace) throws InterruptedException {
    long t0 = System.nanoTime();
    // SIGTERM through the handle: Process.destroy() would also close our ends of the pipes and
    // lose what the process logs while shutting down
    process.toHandle().destroy();
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("did not stop within " + grace + " after SIGTERM\n" + output());
    }
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    drain();
    return took;
  }

  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("did not exit within " + timeout + "\n" + output());
    }
    drain();
    return process.exitValue();
  }

  Duration age() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  public String output() {
    return "--- stdout\n"
        + String.join("\n", stdout)
        + "\n--- stderr\n"
        + String.join("\n", stderr);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
