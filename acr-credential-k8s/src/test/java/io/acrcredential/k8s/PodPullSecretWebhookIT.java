package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.SH;
import static io.acrcredential.k8s.SyncFixture.SH_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LeaseSpec;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook registered with a real kube-apiserver: Pods created at once in a new namespace get
 * the pull Secrets from the webhook, whatever the ServiceAccount holds yet. The webhook
 * configuration only selects namespaces labelled for this test, so other tests sharing the server
 * are unaffected.
 */
@WithKubeApiServer
class PodPullSecretWebhookIT {

  private static final String SELECT_LABEL = "acr-webhook-test";

  private final LocalKubeApiServer server;
  private final SyncFixture fx;
  private final AdmissionregistrationV1Api admission;
  private final String run = "wh-" + UUID.randomUUID().toString().substring(0, 6);
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  PodPullSecretWebhookIT(LocalKubeApiServer server) {
    this.server = server;
    this.fx = new SyncFixture(server);
    this.admission = new AdmissionregistrationV1Api(server.adminClient());
  }

  @AfterEach
  void tearDown() throws Exception {
    Collections.reverse(cleanup);
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  // ---- the cases ----

  @Test
  void podsCreatedRightAfterTheirNamespaceGetThePullSecrets() throws Exception {
    PullSecretSync sync = startSync(run, null);
    WebhookHttpsServer https = serve(new PodPullSecretWebhook(sync));
    register(https.url());
    String probe = inScopeNamespace(run);
    awaitActive(probe);

    int created = 5;
    for (int i = 0; i < created; i++) {
      String ns = inScopeNamespace(run);
      fx.serviceAccount(ns, "builder");
      V1Pod pod = createPod(ns, "builder");
      assertThat(names(pod)).as("pod in %s", ns).containsExactly(HZ_SECRET, SH_SECRET);
    }
    // a Pod with its own entry keeps it first; the ServiceAccount plugin never copies into such a
    // Pod, so ours can only come from the webhook
    String ns = inScopeNamespace(run);
    fx.serviceAccount(ns, "builder");
    V1Pod own = createPod(ns, "builder", "my-registry", "another");
    assertThat(names(own)).containsExactly("my-registry", "another", HZ_SECRET, SH_SECRET);
    // one already listed is not repeated
    V1Pod partly = createPod(ns, "builder", SH_SECRET, "my-registry");
    assertThat(names(partly)).containsExactly(SH_SECRET, "my-registry", HZ_SECRET);
  }

  @Test
  void outOfScopeNamespacesAndServiceAccountsAreUntouched() throws Exception {
    PullSecretSync sync = startSync(run, null);
    WebhookHttpsServer https = serve(new PodPullSecretWebhook(sync));
    register(https.url());
    awaitActive(inScopeNamespace(run));

    // selected by the webhook configuration, but not in the sync's namespace scope
    String outside = fx.namespace("wh-out", Map.of(SELECT_LABEL, run));
    fx.serviceAccount(outside, "builder");
    assertThat(names(createPod(outside, "builder"))).isEmpty();
    assertThat(names(createPod(outside, "builder", "mine"))).containsExactly("mine");

    // in scope, ServiceAccount not in the ServiceAccount scope
    String ns = inScopeNamespace(run);
    fx.serviceAccount(ns, "deployer");
    assertThat(names(createPod(ns, "deployer"))).isEmpty();
    assertThat(names(createPod(ns, "deployer", "mine"))).containsExactly("mine");
    assertThat(https.answers)
        .filteredOn(a -> a.outcome() == PodPullSecretWebhook.Outcome.MUTATED)
        .allSatisfy(a -> assertThat(a.added()).containsExactly(HZ_SECRET, SH_SECRET));
  }

  @Test
  void aStandbyReplicaAnswersAlthoughItWritesNothing() throws Exception {
    // The Lease is held by someone else for an hour: this sync never writes, so no
    // ServiceAccount is ever patched and every name on a Pod comes from the webhook.
    String lease = "wh-lease-" + run;
    String leaseNs = fx.namespace("wh-lease", Map.of());
    new CoordinationV1Api(server.adminClient())
        .createNamespacedLease(
            leaseNs,
            new V1Lease()
                .metadata(new V1ObjectMeta().name(lease))
                .spec(
                    new V1LeaseSpec()
                        .holderIdentity("another-replica")
                        .leaseDurationSeconds(3600)
                        .leaseTransitions(0)
                        .acquireTime(OffsetDateTime.now(ZoneOffset.UTC))
                        .renewTime(OffsetDateTime.now(ZoneOffset.UTC))))
        .execute();
    PullSecretSync standby = startSync(run, b -> b.leaderElection(leaseNs, lease, "standby"));
    WebhookHttpsServer https = serve(new PodPullSecretWebhook(standby));
    register(https.url());
    awaitActive(inScopeNamespace(run));

    String ns = inScopeNamespace(run);
    fx.serviceAccount(ns, "builder");
    V1Pod pod = createPod(ns, "builder");
    assertThat(names(pod)).containsExactly(HZ_SECRET, SH_SECRET);
    assertThat(standby.isLeader()).isFalse();
    assertThat(fx.pullSecrets(ns, "builder")).as("the standby patched no ServiceAccount").isEmpty();
    assertThat(fx.secret(ns, HZ_SECRET)).as("the standby wrote no Secret").isEmpty();
  }

  @Test
  void webhookDownWithFailurePolicyIgnoreStillAdmitsPods() throws Exception {
    PullSecretSync sync = startSync(run, null);
    WebhookHttpsServer https = serve(new PodPullSecretWebhook(sync));
    register(https.url());
    awaitActive(inScopeNamespace(run));
    https.close();

    String ns = inScopeNamespace(run);
    fx.serviceAccount(ns, "builder");
    V1Pod pod = createPod(ns, "builder", "mine");
    assertThat(pod.getMetadata().getUid()).isNotBlank();
    assertThat(names(pod)).containsExactly("mine");
  }

  @Test
  void admissionLatencyOver200PodCreations() throws Exception {
    PullSecretSync sync = startSync(run, null);
    WebhookHttpsServer https = serve(new PodPullSecretWebhook(sync));
    register(https.url());
    awaitActive(inScopeNamespace(run));
    String ns = inScopeNamespace(run);
    fx.serviceAccount(ns, "builder");
    https.handlerNanos.clear();
    https.answers.clear();

    int n = 200;
    List<Long> createNanos = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      V1Pod pod = createPod(ns, "builder", "mine");
      createNanos.add(System.nanoTime() - t0);
      assertThat(names(pod)).containsExactly("mine", HZ_SECRET, SH_SECRET);
    }
    // the same creations in a namespace the webhook configuration does not select
    String plain = fx.namespace("wh-plain", Map.of());
    fx.serviceAccount(plain, "builder");
    List<Long> baselineNanos = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      V1Pod pod = createPod(plain, "builder", "mine");
      baselineNanos.add(System.nanoTime() - t0);
      assertThat(names(pod)).containsExactly("mine");
    }
    assertThat(https.answers)
        .hasSize(n)
        .allSatisfy(a -> assertThat(a.outcome()).isEqualTo(PodPullSecretWebhook.Outcome.MUTATED));
    System.out.printf(
        Locale.ROOT,
        "[k8s-sync] webhook: %d pod creations each mutated; pod create round trip p50 %.1f ms,"
            + " p99 %.1f ms (without the webhook p50 %.1f ms, p99 %.1f ms); webhook handler"
            + " p50 %.3f ms, p99 %.3f ms%n",
        n,
        percentile(createNanos, 50) / 1e6,
        percentile(createNanos, 99) / 1e6,
        percentile(baselineNanos, 50) / 1e6,
        percentile(baselineNanos, 99) / 1e6,
        percentile(https.handlerNanos, 50) / 1e6,
        percentile(https.handlerNanos, 99) / 1e6);
  }

  // ---- helpers ----

  private PullSecretSync startSync(
      String scope, java.util.function.Consumer<PullSecretSyncBuilder> more) throws Exception {
    PullSecretSyncBuilder b =
        PullSecretSync.builder()
            .apiClient(server.adminClient())
            .configuration(
                SyncFixture.config(
                    scope, ServiceAccountScope.named(Set.of("default", "builder")), HZ, SH))
            .tokenProvider(new FakeTokens())
            .instanceName("wh-" + UUID.randomUUID().toString().substring(0, 6));
    if (more != null) {
      more.accept(b);
    }
    PullSecretSync sync = b.build();
    cleanup.add(sync);
    sync.start();
    await("sync ready", sync::isReady);
    return sync;
  }

  private WebhookHttpsServer serve(PodPullSecretWebhook webhook) throws Exception {
    LocalKubeApiServer.ServingCertificate cert = server.issueServingCertificate("acr-webhook");
    WebhookHttpsServer https = new WebhookHttpsServer(cert.certificatePem(), cert.privateKeyPem());
    https.serve(webhook);
    cleanup.add(https);
    return https;
  }

  private void register(String url) throws ApiException {
    String name = "acr-webhook-" + run + "-" + UUID.randomUUID().toString().substring(0, 4);
    V1MutatingWebhookConfiguration config =
        new V1MutatingWebhookConfiguration()
            .metadata(new V1ObjectMeta().name(name))
            .addWebhooksItem(
                server.podCreateWebhook("pods.acr-credential.io", url, Map.of(SELECT_LABEL, run)));
    admission.createMutatingWebhookConfiguration(config).execute();
    cleanup.add(() -> admission.deleteMutatingWebhookConfiguration(name).execute());
  }

  /** The API server picks a new webhook configuration up shortly: probe with dry-run Pods. */
  private void awaitActive(String ns) throws Exception {
    fx.serviceAccount(ns, "builder");
    await(
        "the webhook configuration in effect",
        () -> names(createPod(ns, "builder", true)).contains(HZ_SECRET));
  }

  private String inScopeNamespace(String scope) throws ApiException {
    return fx.namespace("wh", Map.of("acr-test", scope, SELECT_LABEL, run));
  }

  private V1Pod createPod(String ns, String serviceAccount, String... pullSecrets)
      throws ApiException {
    return createPod(ns, serviceAccount, false, pullSecrets);
  }

  private V1Pod createPod(String ns, String serviceAccount, boolean dryRun, String... pullSecrets)
      throws ApiException {
    V1PodSpec spec =
        new V1PodSpec()
            .serviceAccountName(serviceAccount)
            .addContainersItem(
                new V1Container().name("app").image("registry.cn-hangzhou.aliyuncs.com/t/app:1"));
    // The generated model starts every map and list empty; kubectl sends absent fields instead.
    // An empty overhead map is refused by the RuntimeClass admission plugin, and an absent
    // imagePullSecrets is the case where the patch must add the whole list.
    spec.overhead(null).nodeSelector(null).imagePullSecrets(null);
    for (String p : pullSecrets) {
      spec.addImagePullSecretsItem(new V1LocalObjectReference().name(p));
    }
    V1Pod pod = new V1Pod().metadata(new V1ObjectMeta().generateName("app-")).spec(spec);
    var call = fx.admin.createNamespacedPod(ns, pod);
    if (dryRun) {
      call = call.dryRun("All");
    }
    return call.execute();
  }

  private static List<String> names(V1Pod pod) {
    List<String> names = new ArrayList<>();
    List<V1LocalObjectReference> refs = pod.getSpec().getImagePullSecrets();
    if (refs != null) {
      refs.forEach(r -> names.add(r.getName()));
    }
    return names;
  }

  private static double percentile(List<Long> values, int p) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
