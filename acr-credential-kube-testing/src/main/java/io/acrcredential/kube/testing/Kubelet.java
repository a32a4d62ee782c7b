package io.acrcredential.kube.testing;

import io.acrcredential.kube.testing.ManagedProcess.Deadline;
import io.acrcredential.kube.testing.ManagedProcess.NotReady;
import io.acrcredential.kube.testing.ManagedProcess.Probe;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeCondition;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's kubelet: its client certificate ({@code system:node:<name>}), kubeconfig and
 * KubeletConfiguration, the optional image credential provider, the running process and its
 * readiness (healthz, then a fresh Ready heartbeat). Its stop deletes the node's Pods first.
 */
final class Kubelet {

  private static final Logger LOG = LoggerFactory.getLogger(Kubelet.class);
  private static final int HEALTHZ_PORT = 10248;

  private final LocalKubeApiServer server;
  private final String name;
  private final List<String> command;
  private final Map<String, String> env;
  private final Path log;
  private final Duration poll;
  private final AtomicReference<ManagedProcess> process = new AtomicReference<>();
  private int restarts;

  private Kubelet(
      LocalKubeApiServer server,
      String name,
      List<String> command,
      Map<String, String> env,
      Path log,
      Duration poll) {
    this.server = server;
    this.name = name;
    this.command = List.copyOf(command);
    this.env = env;
    this.log = log;
    this.poll = poll;
  }

  /** The kubelet's own flags and environment beyond those every node gets. */
  record Settings(
      Path credentialProviderConfig, Path credentialProviderBinDir, Map<String, String> env) {}

  /** Starts the kubelet, registers its stop and waits until the Node is Ready. */
  static Kubelet start(
      LocalKubeApiServer server,
      String name,
      Settings settings,
      Path workDir,
      Containerd containerd,
      Path log,
      HostChanges changes,
      Deadline deadline,
      Duration poll) {
    Path dir = workDir.resolve("kubelet");
    Path pki = dir.resolve("pki");
    try {
      Files.createDirectories(pki);
      Pki.Issued certificate =
          server.pki().issueClient("system:node:" + name, List.of("system:nodes"));
      certificate.writeTo(pki.resolve("node.crt"), pki.resolve("node.key"));
      Files.writeString(pki.resolve("ca.crt"), server.caCertificatePem());
      Files.writeString(
          dir.resolve("kubeconfig"),
          Kubeconfig.withClientCertificate(
              server.url(),
              pki.resolve("ca.crt"),
              "node",
              pki.resolve("node.crt"),
              pki.resolve("node.key")));
      Files.writeString(dir.resolve("config.yaml"), config(dir, pki, containerd.socket()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the kubelet's configuration", e);
    }
    Path kubelet = KubeBinaries.locate().flatMap(KubeBinaries::kubelet).orElseThrow();
    List<String> command =
        new ArrayList<>(
            List.of(
                kubelet.toString(),
                "--config=" + dir.resolve("config.yaml"),
                "--kubeconfig=" + dir.resolve("kubeconfig"),
                "--root-dir=" + dir.resolve("root"),
                "--cert-dir=" + pki,
                "--hostname-override=" + name,
                "--node-ip=127.0.0.1",
                "--v=2"));
    if (settings.credentialProviderConfig() != null) {
      command.add("--image-credential-provider-config=" + settings.credentialProviderConfig());
      command.add("--image-credential-provider-bin-dir=" + settings.credentialProviderBinDir());
    }
    Kubelet k = new Kubelet(server, name, command, settings.env(), log, poll);
    k.run(List.of(), deadline);
    changes.onUndo(
        "stop the kubelet",
        () -> {
          deletePodsAndWait(server, name, containerd);
          k.process.get().close();
          deleteNode(server, name);
        });
    k.awaitReady(deadline, "the node did not start");
    return k;
  }

  /**
   * Stops the kubelet and starts it again with its first flags plus {@code extraFlags}, keeping the
   * previous log as {@code kubelet.log.N}; waits for healthz and a Ready heartbeat.
   */
  synchronized void restart(List<String> extraFlags, Deadline deadline) {
    process.get().close();
    restarts++;
    try {
      Files.move(log, log.resolveSibling(log.getFileName() + "." + restarts));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the kubelet's log " + log, e);
    }
    run(extraFlags, deadline);
    awaitReady(deadline, "the kubelet did not restart");
  }

  private void run(List<String> extraFlags, Deadline deadline) {
    List<String> full = new ArrayList<>(command);
    full.addAll(extraFlags);
    process.set(ManagedProcess.start("kubelet", full, log, env));
  }

  private void awaitReady(Deadline deadline, String what) {
    ManagedProcess p = process.get();
    HttpRequest healthz =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HEALTHZ_PORT + "/healthz"))
            .timeout(Duration.ofSeconds(2))
            .build();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      p.awaitReady("/healthz", Probe.http(http, healthz), deadline, poll);
      p.awaitReady("Node " + name + " Ready", nodeReady(server, name), deadline, poll);
    } catch (NotReady e) {
      throw ManagedProcess.failure(what + ": " + e.getMessage(), List.of(p));
    }
  }

  /** Ready with a heartbeat from this kubelet (a Node left by an earlier one could show Ready). */
  private static Probe nodeReady(LocalKubeApiServer server, String name) {
    CoreV1Api api = new CoreV1Api(server.adminClient());
    OffsetDateTime since = OffsetDateTime.now().minusSeconds(2);
    return () -> {
      try {
        V1Node node = api.readNode(name).execute();
        List<V1NodeCondition> conditions =
            node.getStatus() == null || node.getStatus().getConditions() == null
                ? List.of()
                : node.getStatus().getConditions();
        String last = "no Ready condition";
        for (V1NodeCondition condition : conditions) {
          if ("Ready".equals(condition.getType())) {
            last = "Ready=" + condition.getStatus() + " " + condition.getMessage();
            if ("True".equals(condition.getStatus())
                && condition.getLastHeartbeatTime() != null
                && condition.getLastHeartbeatTime().isAfter(since)) {
              return null;
            }
          }
        }
        return last;
      } catch (ApiException e) {
        return "HTTP " + e.getCode();
      }
    };
  }

  /** Deletes the Pods bound to this node and waits (bounded) for their containers to stop. */
  private static void deletePodsAndWait(
      LocalKubeApiServer server, String name, Containerd containerd) {
    ApiClient client;
    try {
      client = server.adminClient();
    } catch (IllegalStateException serverClosed) {
      return; // the server stopped first; the containers are killed with containerd
    }
    CoreV1Api api = new CoreV1Api(client);
    try {
      for (V1Pod pod :
          api.listPodForAllNamespaces()
              .fieldSelector("spec.nodeName=" + name)
              .execute()
              .getItems()) {
        api.deleteNamespacedPod(pod.getMetadata().getName(), pod.getMetadata().getNamespace())
            .gracePeriodSeconds(0)
            .execute();
      }
    } catch (ApiException e) {
      LOG.warn("cannot delete the Pods of node {}: HTTP {}", name, e.getCode());
      return;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline && !containerd.hasNoTasks()) {
      HostChanges.sleep(Duration.ofMillis(500));
    }
  }

  private static void deleteNode(LocalKubeApiServer server, String name) {
    try {
      new CoreV1Api(server.adminClient()).deleteNode(name).execute();
    } catch (ApiException | IllegalStateException e) {
      // The server is gone or the Node never registered: nothing to clean.
    }
  }

  private static String config(Path dir, Path pki, Path containerdSocket) {
    return "apiVersion: kubelet.config.k8s.io/v1beta1\n"
        + "kind: KubeletConfiguration\n"
        + "address: 127.0.0.1\n"
        + "port: 10250\n"
        + "readOnlyPort: 0\n"
        + "healthzBindAddress: 127.0.0.1\n"
        + "healthzPort: "
        + HEALTHZ_PORT
        + "\n"
        + "containerRuntimeEndpoint: unix://"
        + containerdSocket
        + "\n"
        + "cgroupDriver: cgroupfs\n"
        + "failCgroupV1: false\n"
        + "failSwapOn: false\n"
        // No process here may lower its oom_score_adj (real-node.md).
        + "oomScoreAdj: 0\n"
        + "makeIPTablesUtilChains: false\n"
        + "imageGCHighThresholdPercent: 100\n"
        + "imageGCLowThresholdPercent: 99\n"
        + "evictionHard:\n"
        + "  memory.available: \"1Mi\"\n"
        + "  nodefs.available: \"1%\"\n"
        + "  imagefs.available: \"1%\"\n"
        + "  nodefs.inodesFree: \"1%\"\n"
        + "nodeStatusUpdateFrequency: 2s\n"
        + "syncFrequency: 5s\n"
        + "fileCheckFrequency: 5s\n"
        + "podLogsDir: "
        + dir.resolve("pod-logs")
        + "\n"
        + "volumePluginDir: "
        + dir.resolve("volume-plugins")
        + "\n"
        + "authentication:\n"
        + "  anonymous:\n"
        + "    enabled: false\n"
        + "  webhook:\n"
        + "    enabled: true\n"
        + "  x509:\n"
        + "    clientCAFile: "
        + pki.resolve("ca.crt")
        + "\n"
        + "authorization:\n"
        + "  mode: Webhook\n";
  }
}
