package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.kube.testing.WithLocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Pod webhook with no extra setup, on a real node: only {@code webhook-configuration: enable:
 * true} in the ConfigMap, no certificate files and no registration made by hand. The refresher
 * issues its certificate and registers itself ({@code --webhook-url}, as it runs outside the
 * cluster); a namespace, its ServiceAccount and a Pod created in the same second: the Pod carries
 * the pull Secret from admission and runs; again after the serving certificate has rotated (short
 * lifetimes).
 */
@WithLocalNode
class NodeSelfIssuedWebhookIT {

  static final String AK = "LTAI5tNodeSelfHook01";
  static final String SECRET = "nodeSelfIssuedSecret01234";
  static final AcrInstance INSTANCE =
      AcrInstance.of("cri-nodeselfhook1", "selfhook", "cn-hangzhou");
  static final String SCOPE_LABEL = "acr-node-selfhook-scope";

  private final LocalKubeApiServer server;
  private final LocalNode node;
  private final CoreV1Api core;
  private final String run = "nsw-" + UUID.randomUUID().toString().substring(0, 8);
  private int metricsPort;

  NodeSelfIssuedWebhookIT(LocalKubeApiServer server, LocalNode node) {
    this.server = server;
    this.node = node;
    this.core = new CoreV1Api(server.adminClient());
  }

  @Test
  void podInANamespaceCreatedTheSameSecondRunsWithTheRefreshersOwnWebhook() throws Exception {
    String domain = INSTANCE.internetDomains().get(0);
    String pullSecret = DockerConfig.secretName(domain);
    Path home = Files.createTempDirectory("acr-node-selfhook-");
    String registration = "acr-node-selfhook-" + run;
    AdmissionregistrationV1Api admission = new AdmissionregistrationV1Api(server.adminClient());
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
        NodeRegistry registry =
            NodeRegistry.start(
                server, node, cloud.acr(), INSTANCE.instanceId(), "127.0.0.7", List.of(domain))) {
      cloud.identities().addAccessKey(AK, SECRET);
      cloud.acr().addInstance(INSTANCE);
      String cfg =
          AcrConfigMaps.create(
              server, "nswcfg", NodeFixture.webhookConfig(SCOPE_LABEL, run, INSTANCE, domain));

      Map<String, String> env = FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);
      int port = SyncProcess.freeLoopbackPort();
      try (SyncProcess sync =
          SyncProcess.startSelfIssued(
              env, cfg, port, registration, "15s", "1h", "--no-leader-election")) {
        try {
          metricsPort =
              Integer.parseInt(
                  sync.awaitLog("HTTP on 127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(90)).group(1));
          sync.awaitLog("Pod webhook certificate issued", Duration.ofSeconds(90));
          sync.awaitLog("first reconcile complete", Duration.ofSeconds(90));
          sync.awaitLog(
              Pattern.quote("MutatingWebhookConfiguration " + registration) + ".* created",
              Duration.ofSeconds(90));
          assertThat(
                  admission
                      .readMutatingWebhookConfiguration(registration)
                      .execute()
                      .getMetadata()
                      .getLabels())
              .containsEntry("app.kubernetes.io/managed-by", "acr-credential");
          awaitRegistrationInEffect(pullSecret);
          startsInANewNamespace(registry, domain, pullSecret, "before any rotation");
          sync.awaitLog("Pod webhook certificate rotated", Duration.ofSeconds(60));
          startsInANewNamespace(registry, domain, pullSecret, "after the certificate rotated");
          assertThat(sync.process.isAlive()).as(sync.output()).isTrue();
        } finally {
          try {
            admission.deleteMutatingWebhookConfiguration(registration).execute();
          } catch (ApiException e) {
            // already gone
          }
        }
        String log = sync.output();
        assertThat(log).doesNotContain(SECRET).doesNotContain("PRIVATE KEY");
      }
    } finally {
      NodeFixture.deleteTree(home);
    }
  }

  /**
   * The Pod lists an entry of its own ("mine", which does not exist: the kubelet pulls with the
   * Secrets it finds). The ServiceAccount admission plugin never adds to a Pod that lists entries,
   * so the pull Secret after it can only come from the webhook, whatever the refresher did first.
   */
  private static V1Pod withOwnEntry(V1Pod pod) {
    pod.getSpec().imagePullSecrets(List.of(new V1LocalObjectReference().name("mine")));
    return pod;
  }

  /** The API server takes a moment to call a new registration: probe with dry-run Pods. */
  private void awaitRegistrationInEffect(String pullSecret) throws Exception {
    String probe =
        core.createNamespace(
                new V1Namespace()
                    .metadata(
                        new V1ObjectMeta().generateName("nsw-").labels(Map.of(SCOPE_LABEL, run))))
            .execute()
            .getMetadata()
            .getName();
    NodeRegistry.awaitDefaultServiceAccount(core, probe);
    SyncCommandIT.await(
        "the registration in effect",
        Duration.ofSeconds(90),
        SyncCommandIT.quietly(
            () -> {
              V1Pod dry =
                  core.createNamespacedPod(
                          probe,
                          withOwnEntry(
                              NodeRegistry.pod(node, "probe-" + System.nanoTime(), "x/y:z")))
                      .dryRun("All")
                      .execute();
              return dry.getSpec().getImagePullSecrets().stream()
                  .anyMatch(r -> pullSecret.equals(r.getName()));
            }));
  }

  /** acr_credential_webhook_reviews_total{result="mutated"} from the refresher's /metrics. */
  private long mutated() throws Exception {
    java.net.http.HttpResponse<String> r =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    java.util.regex.Matcher m = SyncWebhookIT.MUTATED.matcher(r.body());
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /**
   * Creates, back to back, a namespace in the refresher's scope, its {@code default} ServiceAccount
   * and a Pod from a new private image; the Pod must carry the pull Secret from admission and run.
   */
  private void startsInANewNamespace(
      NodeRegistry registry, String domain, String pullSecret, String when) throws Exception {
    String image = registry.pushNew(domain, "team/app");
    long mutatedBefore = mutated();
    long started = System.nanoTime();
    String ns = TestNamespaces.generate(core, "nsw-", Map.of(SCOPE_LABEL, run));
    TestNamespaces.ensureServiceAccount(core, ns, "default");
    core.createNamespacedPod(ns, withOwnEntry(NodeRegistry.pod(node, "app", image))).execute();
    long admittedMs = (System.nanoTime() - started) / 1_000_000;
    V1Pod pod = core.readNamespacedPod("app", ns).execute();
    assertThat(pod.getSpec().getImagePullSecrets())
        .as("the Pod's pull Secrets %s", when)
        .extracting(V1LocalObjectReference::getName)
        .containsExactly("mine", pullSecret);
    assertThat(mutated()).as("Pods the webhook changed, %s", when).isGreaterThan(mutatedBefore);
    node.awaitRunning(ns, "app", NodeRegistry.POD_START);
    System.out.printf(
        "[node] own webhook %s: namespace + ServiceAccount + Pod in %d ms, Running after %d ms%n",
        when, admittedMs, (System.nanoTime() - started) / 1_000_000);
  }
}
