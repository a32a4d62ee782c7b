package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.kube.testing.WithLocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1Pod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Path 1, pull Secrets, on a real node: the shipped manifests applied unchanged, the jar's {@code
 * sync} running with only the shipped ServiceAccount's token, and a Pod of a watched namespace's
 * {@code default} ServiceAccount starting from a private image of the shipped example instance
 * (served by a registry that accepts exactly the logins the fake ACR issued). The same Pod before
 * the program ran fails with 401: the negative control that makes the positive one mean something.
 */
@WithLocalNode
class NodePullSecretIT {

  static final String AK = "LTAI5tNodePullSecret01";
  static final String SECRET = "nodePullSecretSecret0123456";
  static final int PODS = 10;

  private final LocalKubeApiServer server;
  private final LocalNode node;
  private final CoreV1Api core;
  @TempDir Path home;

  NodePullSecretIT(LocalKubeApiServer server, LocalNode node) {
    this.server = server;
    this.node = node;
    this.core = new CoreV1Api(server.adminClient());
  }

  @Test
  void defaultServiceAccountPodRunsFromAPrivateImageWithTheSecretSyncWrote() throws Exception {
    List<Map<String, Object>> objects = ShippedServiceAccountIT.shippedObjects();
    for (Map<String, Object> object : objects) {
      ShippedServiceAccountIT.serverSideApply(server.adminClient(), object);
    }
    String ns = "kube-system";
    Map<String, String> config =
        core.readNamespacedConfigMap("acr-configuration", ns).execute().getData();
    String instanceId = ShippedServiceAccountIT.registryItem(config, "instanceId");
    String region = ShippedServiceAccountIT.registryItem(config, "regionId");
    List<String> domains =
        List.of(ShippedServiceAccountIT.registryItem(config, "domains").split(","));
    String watched = config.get("watch-namespace").split(",")[0];
    ensureNamespace(watched);
    NodeRegistry.awaitDefaultServiceAccount(core, watched);

    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
        NodeRegistry registry =
            NodeRegistry.start(server, node, cloud.acr(), instanceId, "127.0.0.4", domains)) {
      cloud.identities().addAccessKey(AK, SECRET);
      cloud.acr().addInstance(AcrInstance.of(instanceId, "example", region));

      // Negative control: the same kind of Pod before the program ran.
      V1Pod before =
          NodeRegistry.pod(node, "before-sync", registry.pushNew(domains.get(0), "team/app"));
      core.createNamespacedPod(watched, before).execute();
      String failure = node.awaitPullFailure(watched, "before-sync", NodeRegistry.POD_START);
      assertThat(failure).contains("401 Unauthorized");

      V1Deployment deployment =
          new AppsV1Api(server.adminClient())
              .readNamespacedDeployment("acr-credential", ns)
              .execute();
      V1Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
      List<String> args = new ArrayList<>(container.getArgs());
      args.addAll(List.of("--http-address", "127.0.0.1", "--http-port", "0"));
      Map<String, String> env =
          ShippedServiceAccountIT.deploymentEnv(container, ns, ShippedServiceAccountIT.POD_NAME);
      FakeCloudEnv.put(
          env,
          home,
          server.kubeconfigFor(
              ns, deployment.getSpec().getTemplate().getSpec().getServiceAccountName()),
          cloud,
          AK,
          SECRET);

      String secretName = DockerConfig.secretName(domains.get(0));
      try (SyncProcess sync = SyncProcess.start(env, args.toArray(String[]::new))) {
        sync.awaitLog("first reconcile complete", Duration.ofMinutes(2));
        SyncCommandIT.await(
            "pull Secret " + secretName + " in " + watched + "'s default ServiceAccount",
            Duration.ofMinutes(1),
            SyncCommandIT.quietly(() -> pullSecretNames(core, watched).contains(secretName)));

        List<Duration> times = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
          V1Pod pod =
              NodeRegistry.pod(
                  node, "after-sync-" + i, registry.pushNew(domains.get(0), "team/app"));
          times.add(NodeRegistry.createAndAwaitRunning(core, node, watched, pod));
          V1Pod admitted = core.readNamespacedPod("after-sync-" + i, watched).execute();
          assertThat(admitted.getSpec().getImagePullSecrets())
              .extracting(V1LocalObjectReference::getName)
              .contains(secretName);
        }
        System.out.printf(
            "[node] pull Secret path: Pod create -> Running p50 %d ms over %d Pods (%s)%n",
            NodeRegistry.p50Millis(times), times.size(), times);
        V1Pod last = core.readNamespacedPod("after-sync-" + (PODS - 1), watched).execute();
        System.out.printf(
            "[node] Pod %s/%s is %s on node %s, image %s pulled with the pull Secret %s that the"
                + " refresher wrote (before the refresher ran: %s)%n",
            watched,
            last.getMetadata().getName(),
            last.getStatus().getPhase(),
            last.getSpec().getNodeName(),
            last.getSpec().getContainers().get(0).getImage(),
            secretName,
            failure.substring(failure.indexOf("401")));
        assertThat(sync.process.isAlive()).as(sync.output()).isTrue();
        assertThat(sync.output()).doesNotContain(SECRET);
      }
    }
  }

  static List<String> pullSecretNames(CoreV1Api api, String ns) throws Exception {
    var sa = api.readNamespacedServiceAccount("default", ns).execute();
    return sa.getImagePullSecrets() == null
        ? List.of()
        : sa.getImagePullSecrets().stream().map(V1LocalObjectReference::getName).toList();
  }

  private void ensureNamespace(String name) throws Exception {
    TestNamespaces.ensureNamespace(core, name);
  }
}
