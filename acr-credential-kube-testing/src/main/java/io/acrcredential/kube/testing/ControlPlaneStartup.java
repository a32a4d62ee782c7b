package io.acrcredential.kube.testing;

import io.acrcredential.kube.testing.ManagedProcess.Deadline;
import io.acrcredential.kube.testing.ManagedProcess.NotReady;
import io.acrcredential.kube.testing.ManagedProcess.Probe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at starting etcd, kube-apiserver and (optionally) kube-controller-manager in a new
 * private directory: certificates and keys first, then each process, waiting for it before the
 * next. {@link #startWithRetries} tries again with new ports when a chosen port was taken.
 */
final class ControlPlaneStartup {

  private static final Logger LOG = LoggerFactory.getLogger(ControlPlaneStartup.class);
  private static final String ADMIN_USER = "acr-test-admin";
  private static final int MAX_ATTEMPTS = 3;
  static final Duration POLL_INTERVAL = Duration.ofMillis(100);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KubeBinaries binaries;
  private final boolean wantControllerManager;
  private final boolean nodeAuthorization;
  private final Duration timeout;
  final List<ManagedProcess> processes = new ArrayList<>();
  final List<Integer> ports = new ArrayList<>();
  final String adminToken = randomToken();
  List<String> apiServerCommand;
  Path workDir;
  Pki pki;
  URI url;
  boolean controllerManagerStarted;
  private HttpClient http;

  private ControlPlaneStartup(
      KubeBinaries binaries,
      boolean wantControllerManager,
      boolean nodeAuthorization,
      Duration timeout) {
    this.binaries = binaries;
    this.wantControllerManager = wantControllerManager;
    this.nodeAuthorization = nodeAuthorization;
    this.timeout = timeout;
  }

  /** Starts a control plane, trying new ports up to three times; never leaves anything behind. */
  static ControlPlaneStartup startWithRetries(
      KubeBinaries binaries,
      boolean wantControllerManager,
      boolean nodeAuthorization,
      Duration timeout) {
    for (int attempt = 1; ; attempt++) {
      ControlPlaneStartup startup =
          new ControlPlaneStartup(binaries, wantControllerManager, nodeAuthorization, timeout);
      try {
        startup.run();
        return startup;
      } catch (PortClash clash) {
        startup.abort();
        if (attempt >= MAX_ATTEMPTS) {
          throw new IllegalStateException(
              "local kube-apiserver: ports kept being taken, gave up after "
                  + attempt
                  + " attempts",
              clash);
        }
        LOG.info("port clash on attempt {}, retrying with new ports", attempt);
      } catch (RuntimeException e) {
        startup.abort();
        throw e;
      }
    }
  }

  /** An HTTP client trusting only this control plane's CA. */
  static HttpClient httpClient(Pki pki) {
    return HttpClient.newBuilder()
        .sslContext(pki.trustingSslContext())
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** Polls {@code /readyz} of the API server at {@code url} with the admin token. */
  static Probe readyz(HttpClient http, URI url, String adminToken) {
    return Probe.http(http, get(url.resolve("/readyz"), adminToken));
  }

  private void run() {
    Deadline deadline = Deadline.after(timeout);
    workDir = WorkDirs.create("acr-kube-", "the API server");
    String controllerManagerToken = writeCredentials();
    http = httpClient(pki);

    int etcdClientPort = freePort();
    int etcdPeerPort = freePort();
    int apiPort = freePort();
    ports.addAll(List.of(etcdClientPort, etcdPeerPort, apiPort));
    String etcdClientUrl = "http://127.0.0.1:" + etcdClientPort;
    String etcdPeerUrl = "http://127.0.0.1:" + etcdPeerPort;

    Path etcdData = workDir.resolve("etcd-data");
    ManagedProcess etcd =
        launch(
            "etcd", ControlPlaneFlags.etcd(binaries.etcd(), etcdData, etcdClientUrl, etcdPeerUrl));
    await(
        etcd,
        "etcd /health",
        Probe.http(http, get(URI.create(etcdClientUrl + "/health"), null)),
        deadline);

    url = URI.create("https://127.0.0.1:" + apiPort);
    apiServerCommand =
        ControlPlaneFlags.apiServer(
            binaries.apiServer(), etcdClientUrl, apiPort, workDir, nodeAuthorization);
    ManagedProcess apiServer = launch("kube-apiserver", apiServerCommand);
    await(apiServer, "kube-apiserver /readyz", readyz(http, url, adminToken), deadline);

    if (wantControllerManager && binaries.controllerManager().isPresent()) {
      Path kubeconfig = workDir.resolve("controller-manager.kubeconfig");
      WorkDirs.write(
          kubeconfig,
          Kubeconfig.withTokenAndCaFile(
              url, workDir.resolve("ca.crt"), "kcm", controllerManagerToken));
      ManagedProcess controllerManager =
          launch(
              "kube-controller-manager",
              ControlPlaneFlags.controllerManager(
                  binaries.controllerManager().get(), kubeconfig, workDir));
      URI defaultAccount = url.resolve("/api/v1/namespaces/default/serviceaccounts/default");
      await(
          controllerManager,
          "kube-controller-manager creating ServiceAccount default/default",
          Probe.http(http, get(defaultAccount, adminToken)),
          deadline);
      controllerManagerStarted = true;
    }
  }

  /**
   * Writes the CA, the serving certificate, the ServiceAccount signing keys and the token file
   * (admin and controller manager, both {@code system:masters}).
   *
   * @return the controller manager's token
   */
  private String writeCredentials() {
    try {
      Files.createDirectories(workDir.resolve("etcd-data"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for etcd in " + workDir, e);
    }
    pki = Pki.newCa();
    WorkDirs.write(workDir.resolve("ca.crt"), pki.caPem());
    Pki.Issued serving = pki.issueServer("kube-apiserver");
    serving.writeTo(workDir.resolve("apiserver.crt"), workDir.resolve("apiserver.key"));
    var saKeys = Pki.newKeyPair();
    WorkDirs.write(workDir.resolve("sa.key"), Pki.privateKeyPem(saKeys));
    WorkDirs.write(workDir.resolve("sa.pub"), Pki.publicKeyPem(saKeys.getPublic()));
    String controllerManagerToken = randomToken();
    WorkDirs.write(
        workDir.resolve("tokens.csv"),
        adminToken
            + ","
            + ADMIN_USER
            + ",acr-test-admin-uid,\"system:masters\"\n"
            + controllerManagerToken
            + ",system:kube-controller-manager,acr-test-kcm-uid,\"system:masters\"\n");
    return controllerManagerToken;
  }

  private ManagedProcess launch(String name, List<String> command) {
    ManagedProcess process = ManagedProcess.start(name, command, workDir.resolve(name + ".log"));
    processes.add(process);
    return process;
  }

  /** Waits for {@code probe}; a failure quotes every process's log, a port clash is retried. */
  private void await(ManagedProcess process, String what, Probe probe, Deadline deadline) {
    try {
      process.awaitReady(what, probe, deadline, POLL_INTERVAL);
    } catch (NotReady e) {
      if (e.exited() && process.logShowsPortClash()) {
        throw new PortClash(process.name() + ": address already in use");
      }
      throw ManagedProcess.failure(
          "local kube-apiserver did not start: " + e.getMessage(), processes);
    }
  }

  private static HttpRequest get(URI uri, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return request.build();
  }

  /** Stops whatever this attempt started and removes its directory. */
  private void abort() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).close();
    }
    if (workDir != null && !Boolean.getBoolean("acr.kube.keepFailedDir")) {
      WorkDirs.deleteOrWarn(workDir);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free loopback port", e);
    }
  }

  private static String randomToken() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** A port chosen as free was taken before the process bound it. */
  private static final class PortClash extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PortClash(String message) {
      super(message, null, false, false);
    }
  }
}
