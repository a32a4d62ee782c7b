package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real node: a Pod runs on it, and closing it leaves the host as it was. Starts its own API
 * server and node (not the shared ones of {@link WithLocalNode}) so that it can check the host
 * after closing them.
 */
class LocalNodeIT {

  private static LocalKubeApiServer server;

  @BeforeAll
  static void startServer() {
    Optional<String> reason = LocalNode.unavailableReason();
    if (reason.isPresent()) {
      if (LocalNodeExtension.required(System.getenv())) {
        throw new IllegalStateException(
            reason.get() + " (" + LocalNodeExtension.REQUIRED_ENV + "=true)");
      }
      org.junit.jupiter.api.Assumptions.abort("no real node: " + reason.get());
    }
    server = LocalKubeApiServer.builder().nodeAuthorization(true).start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void podRunsAndClosingRestoresTheHost() throws Exception {
    HostSnapshot before = HostSnapshot.take();
    String namespace = server.createNamespace("node");
    LocalNode node = LocalNode.builder(server).start();
    try {
      System.out.printf("node start: %d ms%n", node.startupTime().toMillis());
      node.addHostsEntry("127.0.0.9", "registry.cn-hangzhou.aliyuncs.com");
      assertThat(InetAddress.getByName("registry.cn-hangzhou.aliyuncs.com").getHostAddress())
          .isEqualTo("127.0.0.9");
      assertThat(HostSnapshot.take().hostsFile).isNotEqualTo(before.hostsFile);

      CoreV1Api api = new CoreV1Api(server.adminClient());
      api.createNamespacedPod(namespace, pod(node, "local", node.localImage(), "Never")).execute();
      V1Pod running = node.awaitRunning(namespace, "local", Duration.ofSeconds(90));
      assertThat(running.getStatus().getContainerStatuses().get(0).getReady()).isTrue();
      assertThat(running.getStatus().getPodIP()).startsWith("10.244.77.");

      // An image that is not on the node and may not be pulled: the kubelet says so.
      api.createNamespacedPod(namespace, pod(node, "missing", "registry.local/nope:1", "Never"))
          .execute();
      assertThat(awaitWaitingReason(api, namespace, "missing")).isEqualTo("ErrImageNeverPull");
    } finally {
      node.close();
    }
    HostSnapshot after = HostSnapshot.take();
    assertThat(after.sysctls).isEqualTo(before.sysctls);
    assertThat(after.hostsFile).isEqualTo(before.hostsFile);
    assertThat(after.mounts).isEqualTo(before.mounts);
    assertThat(after.interfaces).isEqualTo(before.interfaces);
    assertThat(after.kubepods).isEqualTo(before.kubepods);
    assertThat(after.fixedPaths).isEqualTo(before.fixedPaths);
    assertThat(after.nodeProcesses).isEmpty();
    assertThat(new CoreV1Api(server.adminClient()).listNode().execute().getItems()).isEmpty();
  }

  private static String awaitWaitingReason(CoreV1Api api, String namespace, String name)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String reason = null;
    while (System.nanoTime() < deadline) {
      V1Pod pod = api.readNamespacedPod(name, namespace).execute();
      if (pod.getStatus() != null
          && pod.getStatus().getContainerStatuses() != null
          && !pod.getStatus().getContainerStatuses().isEmpty()) {
        var state = pod.getStatus().getContainerStatuses().get(0).getState();
        if (state != null && state.getWaiting() != null) {
          reason = state.getWaiting().getReason();
          if (reason != null && !reason.equals("ContainerCreating")) {
            return reason;
          }
        }
      }
      Thread.sleep(200);
    }
    return reason;
  }

  static V1Pod pod(LocalNode node, String name, String image, String pullPolicy) {
    return new V1Pod()
        .metadata(new V1ObjectMeta().name(name))
        .spec(
            new V1PodSpec()
                .nodeName(node.name())
                .overhead(null) // the client would send {}, which the API server rejects
                .dnsPolicy("Default")
                .automountServiceAccountToken(false)
                .terminationGracePeriodSeconds(1L)
                .containers(
                    List.of(
                        new V1Container().name("main").image(image).imagePullPolicy(pullPolicy))));
  }

  /** What a node may change on the host. */
  record HostSnapshot(
      Map<String, String> sysctls,
      String hostsFile,
      List<String> mounts,
      Set<String> interfaces,
      List<Boolean> kubepods,
      List<Boolean> fixedPaths,
      List<Long> nodeProcesses) {

    static HostSnapshot take() throws IOException {
      List<String> mounts =
          Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
              .map(line -> line.split(" ")[4])
              .sorted()
              .toList();
      Set<String> interfaces;
      try (Stream<Path> list = Files.list(Path.of("/sys/class/net"))) {
        interfaces = list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
      }
      List<Boolean> kubepods =
          HostChanges.cgroupDirectories("kubepods").stream().map(Files::exists).toList();
      List<Boolean> fixed =
          Stream.of("/var/lib/kubelet", "/run/containerd", "/var/lib/cni", "/run/netns")
              .map(p -> Files.exists(Path.of(p)))
              .toList();
      List<Long> processes =
          ProcessHandle.allProcesses()
              .filter(
                  p ->
                      p.info()
                          .command()
                          .map(c -> c.endsWith("/kubelet") || c.contains("containerd-shim"))
                          .orElse(false))
              .map(ProcessHandle::pid)
              .toList();
      return new HostSnapshot(
          HostChanges.readSysctls(),
          Files.readString(HostChanges.ETC_HOSTS),
          mounts,
          interfaces,
          kubepods,
          fixed,
          processes);
    }
  }
}
