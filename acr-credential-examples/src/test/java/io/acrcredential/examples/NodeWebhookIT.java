package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.kube.testing.WithLocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Path 3, the Pod webhook, on a real node: a brand-new namespace, its ServiceAccount and a Pod
 * created in the same second. With the webhook the Pod carries the pull Secret's name from
 * admission and runs (the kubelet's pull retries until the refresher has written the Secret).
 * Without the webhook, the same sequence admits the Pod before the refresher patched the
 * ServiceAccount; that Pod never gets the Secret and stays in 401/ImagePullBackOff, which this test
 * records and asserts as the race the webhook closes.
 */
@WithLocalNode
class NodeWebhookIT {

  static final String AK = "LTAI5tNodeWebhook001";
  static final String SECRET = "nodeWebhookSecret012345678";
  static final AcrInstance INSTANCE = AcrInstance.of("cri-nodewebhook01", "hook", "cn-hangzhou");
  static final String SCOPE_LABEL = "acr-node-webhook-scope";
  static final String SELECT_LABEL = "acr-node-webhook-select";

  private final LocalKubeApiServer server;
  private final LocalNode node;
  private final CoreV1Api core;
  private final String run = "nwh-" + UUID.randomUUID().toString().substring(0, 8);

  NodeWebhookIT(LocalKubeApiServer server, LocalNode node) {
    this.server = server;
    this.node = node;
    this.core = new CoreV1Api(server.adminClient());
  }

  @Test
  void podInANamespaceCreatedTheSameSecondRunsWithTheWebhook() throws Exception {
    String domain = INSTANCE.internetDomains().get(0);
    String pullSecret = DockerConfig.secretName(domain);
    Path home = Files.createTempDirectory("acr-node-webhook-");
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
        NodeRegistry registry =
            NodeRegistry.start(
                server, node, cloud.acr(), INSTANCE.instanceId(), "127.0.0.7", List.of(domain))) {
      cloud.identities().addAccessKey(AK, SECRET);
      cloud.acr().addInstance(INSTANCE);
      String cfg =
          AcrConfigMaps.create(
              server, "nwhcfg", NodeFixture.webhookConfig(SCOPE_LABEL, run, INSTANCE, domain));

      Map<String, String> env = FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);

      try (SyncProcess.WithWebhook withWebhook =
          SyncProcess.startWithWebhook(
              server, "acr-node-webhook", home, env, cfg, "--no-leader-election")) {
        SyncProcess sync = withWebhook.process();
        int port = withWebhook.webhookPort();
        sync.awaitLog("first reconcile complete", Duration.ofSeconds(90));

        // ---- without the webhook: the race every peer tool has ----
        String image = registry.pushNew(domain, "team/app");
        String bare = namespaceWithPod(false, "no-webhook", image);
        V1Pod admitted = core.readNamespacedPod("no-webhook", bare).execute();
        String withoutWebhook;
        if (admitted.getSpec().getImagePullSecrets() == null
            || admitted.getSpec().getImagePullSecrets().isEmpty()) {
          withoutWebhook = node.awaitPullFailure(bare, "no-webhook", NodeRegistry.POD_START);
          assertThat(withoutWebhook).contains("401 Unauthorized");
        } else {
          // The refresher patched the ServiceAccount between its creation and the Pod's admission
          // (it reacts within milliseconds): then the Pod must run like any other.
          node.awaitRunning(bare, "no-webhook", NodeRegistry.POD_START);
          withoutWebhook =
              "Running: the refresher patched the ServiceAccount before the Pod's admission";
        }
        System.out.println("[node] webhook path, without the webhook: " + withoutWebhook);

        // ---- with the webhook ----
        String name = "acr-node-webhook-" + run;
        new AdmissionregistrationV1Api(server.adminClient())
            .createMutatingWebhookConfiguration(
                new V1MutatingWebhookConfiguration()
                    .metadata(new V1ObjectMeta().name(name))
                    .addWebhooksItem(
                        server.podCreateWebhook(
                            "pods.acr-credential.io",
                            "https://127.0.0.1:" + port + "/mutate-pods",
                            Map.of(SELECT_LABEL, run))))
            .execute();
        awaitWebhookActive(pullSecret);
        for (int i = 0; i < 3; i++) {
          long started = System.nanoTime();
          String ns = namespaceWithPod(true, "with-webhook", registry.pushNew(domain, "team/app"));
          V1Pod pod = core.readNamespacedPod("with-webhook", ns).execute();
          assertThat(pod.getSpec().getImagePullSecrets())
              .extracting(V1LocalObjectReference::getName)
              .contains(pullSecret);
          node.awaitRunning(ns, "with-webhook", NodeRegistry.POD_START);
          System.out.printf(
              "[node] webhook path: namespace + Pod -> Running %d ms%n",
              (System.nanoTime() - started) / 1_000_000);
        }
        assertThat(sync.process.isAlive()).as(sync.output()).isTrue();
      }
    } finally {
      NodeFixture.deleteTree(home);
    }
  }

  /**
   * Creates, back to back, a namespace in the refresher's scope, its {@code default} ServiceAccount
   * and a Pod; returns the namespace.
   */
  private String namespaceWithPod(boolean selected, String pod, String image) throws Exception {
    Map<String, String> labels = new HashMap<>();
    labels.put(SCOPE_LABEL, run);
    if (selected) {
      labels.put(SELECT_LABEL, run);
    }
    String ns = TestNamespaces.generate(core, "nwh-", labels);
    TestNamespaces.ensureServiceAccount(core, ns, "default");
    core.createNamespacedPod(ns, NodeRegistry.pod(node, pod, image)).execute();
    return ns;
  }

  /** The API server takes a moment to call a new webhook: probe with dry-run Pods. */
  private void awaitWebhookActive(String pullSecret) throws Exception {
    Map<String, String> labels = Map.of(SCOPE_LABEL, run, SELECT_LABEL, run);
    String probe = TestNamespaces.generate(core, "nwh-", labels);
    NodeRegistry.awaitDefaultServiceAccount(core, probe);
    SyncCommandIT.await(
        "the webhook in effect",
        Duration.ofSeconds(90),
        SyncCommandIT.quietly(
            () -> {
              V1Pod dry =
                  core.createNamespacedPod(
                          probe, NodeRegistry.pod(node, "probe-" + System.nanoTime(), "x/y:z"))
                      .dryRun("All")
                      .execute();
              return dry.getSpec().getImagePullSecrets() != null
                  && dry.getSpec().getImagePullSecrets().stream()
                      .anyMatch(r -> pullSecret.equals(r.getName()));
            }));
  }
}
