package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.IssuedToken;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The kubelet plugin path side by side with a trivial credential provider, on one real node in one
 * run: the kubelet's CredentialProviderConfig lists both, the shipped launcher (node bundle, AppCDS
 * archive) for {@code *.ours.example} and a shell script answering a fixed
 * CredentialProviderResponse with a login of the same registry for {@code *.trivial.example}. Every
 * Pod pulls from a registry host of its own (all served by the same local registry), so the
 * kubelet, which caches an answer per registry host, asks the plugin for every Pod; the Pods
 * alternate between the two providers. Prints Pod create → Running for each and the ratio of the
 * medians (a figure, not an assertion: the machine is shared); asserts that every Pod ran and each
 * provider was asked once per Pod.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodePluginPathIT {

  static final String NODE_ROLE = "acs:ram::1234567890123456:role/KubernetesWorkerRole";
  static final AcrInstance INSTANCE =
      AcrInstance.of("cri-pluginpath01", "pluginpath", "cn-hangzhou");
  static final int PODS = Integer.getInteger("acr.pluginPath.pods", 6);

  private Path tmp;
  private LocalKubeApiServer server;
  private LocalNode node;
  private FakeAlibabaCloud cloud;
  private NodeRegistry registry;
  private Path oursCalls;
  private Path trivialCalls;

  static String ours(int i) {
    return "o" + i + ".ours.example";
  }

  static String trivial(int i) {
    return "t" + i + ".trivial.example";
  }

  @BeforeAll
  void startNode() throws Exception {
    NodeFixture.requireNode();
    tmp = Files.createTempDirectory("acr-node-pluginpath-");
    cloud = NodeFixture.nodeRoleCloud(NODE_ROLE, INSTANCE);

    Path real = SyncProcess.installNodeBundle(tmp.resolve("opt-acr-credential"));
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    oursCalls = Files.writeString(tmp.resolve("ours-calls"), "");
    trivialCalls = Files.writeString(tmp.resolve("trivial-calls"), "");
    // Both providers behind the same one-line counting wrapper, so the wrapper's cost is on both.
    NodeFixture.countingWrapper(
        bin.resolve("acr-credential-provider"), oursCalls, real.resolve("acr-credential-provider"));
    // The trivial provider: the same login for whichever host it is asked about.
    IssuedToken login = cloud.acr().issueLogin("trivial-provider", INSTANCE.instanceId());
    Path trivialScript = bin.resolve("trivial-provider");
    Files.writeString(
        trivialScript,
        "#!/bin/sh\necho call >> '"
            + trivialCalls
            + "'\nhost=$(sed -n 's/.*\"image\":\"\\([^\"/]*\\).*/\\1/p')\n"
            + "printf '{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\","
            + "\"kind\":\"CredentialProviderResponse\",\"cacheKeyType\":\"Registry\","
            + "\"cacheDuration\":\"1800s\",\"auth\":{\"%s\":{\"username\":\"%s\",\"password\":\"%s\"}}}' "
            + "\"$host\" '"
            + login.username()
            + "' '"
            + login.password()
            + "'\n");
    trivialScript.toFile().setExecutable(true);

    List<String> mapped = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      mapped.add(ours(i) + "=cn-hangzhou/" + INSTANCE.instanceId());
    }
    Path config = tmp.resolve("credential-provider-config.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "apiVersion: kubelet.config.k8s.io/v1",
            "kind: CredentialProviderConfig",
            "providers:",
            "  - name: acr-credential-provider",
            "    apiVersion: credentialprovider.kubelet.k8s.io/v1",
            "    matchImages: [\"*.ours.example\"]",
            "    defaultCacheDuration: \"10m\"",
            "    env:",
            "      - name: ACR_CREDENTIAL_CACHE_DIR",
            "        value: " + tmp.resolve("token-cache"),
            "      - name: ACR_CREDENTIAL_DOMAINS",
            "        value: " + String.join(",", mapped),
            "  - name: trivial-provider",
            "    apiVersion: credentialprovider.kubelet.k8s.io/v1",
            "    matchImages: [\"*.trivial.example\"]",
            "    defaultCacheDuration: \"10m\"",
            ""));

    server = LocalKubeApiServer.builder().nodeAuthorization(true).start();
    node =
        LocalNode.builder(server)
            .credentialProvider(config, bin)
            .kubeletEnvironment(NodeFixture.kubeletEnvironment(cloud, tmp.resolve("home"), false))
            .start();
    List<String> domains = new ArrayList<>(INSTANCE.internetDomains());
    for (int i = 0; i < PODS; i++) {
      domains.add(ours(i));
      domains.add(trivial(i));
    }
    registry =
        NodeRegistry.start(server, node, cloud.acr(), INSTANCE.instanceId(), "127.0.0.6", domains);
  }

  @AfterAll
  void stop() {
    NodeFixture.closeAll(tmp, registry, node, server, cloud);
  }

  @Test
  void pluginPathSideBySideWithATrivialProvider() throws Exception {
    CoreV1Api core = new CoreV1Api(server.adminClient());
    String ns = server.createNamespace("pluginpath");
    NodeRegistry.awaitDefaultServiceAccount(core, ns);
    // images first, so that only Pod start is timed
    List<String> oursImages = new ArrayList<>();
    List<String> trivialImages = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      oursImages.add(registry.pushNew(ours(i), "team/app"));
      trivialImages.add(registry.pushNew(trivial(i), "team/app"));
    }
    List<Duration> oursTimes = new ArrayList<>();
    List<Duration> trivialTimes = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      // alternate which goes first, so neither always follows the other
      for (boolean oursTurn :
          i % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
        String image = oursTurn ? oursImages.get(i) : trivialImages.get(i);
        String name = (oursTurn ? "ours-" : "trivial-") + i;
        Duration t =
            NodeRegistry.createAndAwaitRunning(core, node, ns, NodeRegistry.pod(node, name, image));
        (oursTurn ? oursTimes : trivialTimes).add(t);
      }
    }
    int ours = Files.readAllLines(oursCalls, StandardCharsets.UTF_8).size();
    int trivial = Files.readAllLines(trivialCalls, StandardCharsets.UTF_8).size();
    long oursP50 = NodeRegistry.p50Millis(oursTimes);
    long trivialP50 = NodeRegistry.p50Millis(trivialTimes);
    System.out.printf(
        "[node] plugin path, Pod create -> Running, %d Pods each, one registry host per Pod:%n"
            + "  acr-credential-provider (node bundle) p50 %d ms %s (first Pod: empty disk cache,"
            + " one ACR call)%n"
            + "  trivial shell provider              p50 %d ms %s%n"
            + "  ratio of the medians %.2f; plugin calls %d / %d%n",
        PODS,
        oursP50,
        millis(oursTimes),
        trivialP50,
        millis(trivialTimes),
        (double) oursP50 / trivialP50,
        ours,
        trivial);
    assertThat(ours).as("acr-credential-provider calls, one per registry host").isEqualTo(PODS);
    assertThat(trivial).as("trivial provider calls, one per registry host").isEqualTo(PODS);
  }

  private static List<Long> millis(List<Duration> times) {
    return times.stream().map(Duration::toMillis).toList();
  }
}
