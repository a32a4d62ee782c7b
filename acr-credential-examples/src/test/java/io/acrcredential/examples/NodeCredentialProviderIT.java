package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Secret;
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
 * Path 4, the kubelet credential provider, on a real node: the kubelet runs with the shipped {@code
 * CredentialProviderConfig} (only its token cache directory moved to a temporary one) and the
 * shipped launcher in its bin directory, the node's identity is its RAM role from the (fake) ECS
 * metadata service, and no pull Secret exists anywhere: a Pod in a namespace nothing watches starts
 * from a private image. The kubelet caches the plugin's answer per registry, so N pulls within
 * {@code cacheDuration} invoke the plugin once (counted by a wrapper around the shipped launcher).
 *
 * <p>Starts its own API server and node: the kubelet's credential provider flags are fixed at
 * start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeCredentialProviderIT {

  static final String NODE_ROLE = "acs:ram::1234567890123456:role/KubernetesWorkerRole";
  static final AcrInstance INSTANCE =
      AcrInstance.of("cri-nodeprovider01", "provider", "cn-hangzhou");
  static final int PODS = 10;

  private Path tmp;
  private LocalKubeApiServer server;
  private LocalNode node;
  private FakeAlibabaCloud cloud;
  private NodeRegistry registry;
  private Path invocations;

  @BeforeAll
  void startNode() throws Exception {
    NodeFixture.requireNode();
    tmp = Files.createTempDirectory("acr-node-provider-");
    cloud = NodeFixture.nodeRoleCloud(NODE_ROLE, INSTANCE);

    // The bin dir: a counting wrapper named as the provider, exec'ing the shipped launcher.
    Path real = SyncProcess.installNodeBundle(tmp.resolve("opt-acr-credential"));
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    invocations = tmp.resolve("invocations");
    Files.writeString(invocations, "");
    NodeFixture.countingWrapper(
        bin.resolve("acr-credential-provider"),
        invocations,
        real.resolve("acr-credential-provider"));

    Path config = tmp.resolve("credential-provider-config.yaml");
    Files.writeString(
        config,
        NodeFixture.withCacheDir(NodeFixture.shippedProviderConfig(), tmp.resolve("token-cache")));

    server = LocalKubeApiServer.builder().nodeAuthorization(true).start();
    node =
        LocalNode.builder(server)
            .credentialProvider(config, bin)
            .kubeletEnvironment(NodeFixture.kubeletEnvironment(cloud, tmp.resolve("home"), true))
            .start();
    List<String> domains = new ArrayList<>(INSTANCE.internetDomains());
    domains.addAll(INSTANCE.vpcDomains());
    registry =
        NodeRegistry.start(server, node, cloud.acr(), INSTANCE.instanceId(), "127.0.0.5", domains);
  }

  @AfterAll
  void stop() {
    NodeFixture.closeAll(tmp, registry, node, server, cloud);
  }

  @Test
  void podsInAnUnwatchedNamespaceRunWithoutAnySecretAndOnePluginCallServesManyPulls()
      throws Exception {
    CoreV1Api core = new CoreV1Api(server.adminClient());
    String ns = server.createNamespace("unwatched");
    NodeRegistry.awaitDefaultServiceAccount(core, ns);
    String domain = INSTANCE.internetDomains().get(0);

    List<Duration> times = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      String image = registry.pushNew(domain, "team/app");
      times.add(
          NodeRegistry.createAndAwaitRunning(
              core, node, ns, NodeRegistry.pod(node, "provider-" + i, image)));
    }
    int calls = Files.readAllLines(invocations, StandardCharsets.UTF_8).size();
    System.out.printf(
        "[node] credential provider path: Pod create -> Running p50 %d ms over %d Pods (%s);"
            + " plugin invocations %d for %d pulls%n",
        NodeRegistry.p50Millis(times), times.size(), times, calls, PODS);
    assertThat(calls).as("plugin invocations for %d pulls within cacheDuration", PODS).isEqualTo(1);
    // No Secret anywhere carries registry credentials: the kubelet got them from the plugin.
    for (V1Secret secret : core.listSecretForAllNamespaces().execute().getItems()) {
      assertThat(secret.getType())
          .isNotIn("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg");
    }
    assertThat(registry.tokens.grantedCount()).isGreaterThanOrEqualTo(PODS);
  }
}
