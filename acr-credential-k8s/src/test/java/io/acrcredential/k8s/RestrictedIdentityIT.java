package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HANGZHOU;
import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.SH;
import static io.acrcredential.k8s.SyncFixture.SHANGHAI;
import static io.acrcredential.k8s.SyncFixture.SH_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The sync as a ServiceAccount bound only by the shipped RBAC manifest. */
@WithKubeApiServer
class RestrictedIdentityIT {

  private final SyncFixture fx;

  RestrictedIdentityIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  @Test
  void doesItsWholeJobWithTheShippedRbacAndCannotReadOtherSecrets() throws Exception {
    String inst = "rbac-" + UUID.randomUUID().toString().substring(0, 6);
    String home = fx.namespace("acr-system", Map.of());
    String saName = "acr-sync-" + inst;
    String lease = "acr-sync-lease";
    AcrConfiguration config =
        SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, SH);
    List<String> names = RbacManifest.secretNames(config);
    assertThat(names).containsExactly(HZ_SECRET, SH_SECRET);
    String manifest = RbacManifest.render(home, saName, lease, names);
    assertThat(manifest).doesNotContain("${").doesNotContain("cluster-admin");
    fx.server.createFromYaml(manifest, home);

    String target = fx.namespace("app", Map.of("acr-test", inst));
    fx.admin
        .createNamespacedSecret(
            target,
            new V1Secret()
                .metadata(new V1ObjectMeta().name("private-stuff"))
                .type("Opaque")
                .data(Map.of("password", "hunter2".getBytes(StandardCharsets.UTF_8))))
        .execute();
    ApiClient restricted = fx.server.clientFor(home, saName);
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    FakeTokens tokens = new FakeTokens();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(restricted)
            .configuration(config)
            .tokenProvider(tokens)
            .instanceName(inst)
            .leaderElection(home, lease, "restricted-replica")
            .listener(rec)
            .build()) {
      sync.start();
      await("restricted sync leads", sync::isLeader);
      await(
          "pull Secrets written and SA patched",
          () ->
              fx.sa(target, "default").isPresent()
                  && fx.pullSecrets(target, "default").containsAll(List.of(HZ_SECRET, SH_SECRET)));
      assertThat(sync.managedSecretNames()).containsExactlyInAnyOrder(HZ_SECRET, SH_SECRET);

      // drift repair through the per-name watches (the default resync is 10 minutes, far beyond
      // the wait): a deleted Secret is created again, an edited one rewritten
      fx.admin.deleteNamespacedSecret(HZ_SECRET, target).execute();
      Duration restored =
          await("deleted Secret restored", () -> fx.secret(target, HZ_SECRET).isPresent());
      V1Secret edited = fx.secret(target, HZ_SECRET).orElseThrow();
      edited.setData(
          Map.of(".dockerconfigjson", "{\"auths\":{}}".getBytes(StandardCharsets.UTF_8)));
      fx.admin.replaceNamespacedSecret(HZ_SECRET, target, edited).execute();
      Duration repaired =
          await(
              "edited Secret repaired",
              () -> "pw-cn-hangzhou-1".equals(fx.password(target, HZ_SECRET, HANGZHOU)));
      System.out.println(
          "[k8s-sync] restricted identity (per-name Secret watches): deleted Secret restored in "
              + restored.toMillis()
              + " ms, edited Secret repaired in "
              + repaired.toMillis()
              + " ms");

      // rotation: update
      tokens.rotateAll();
      sync.credentialsChanged();
      await(
          "rotated passwords written",
          () ->
              "pw-cn-hangzhou-2".equals(fx.password(target, HZ_SECRET, HANGZHOU))
                  && "pw-cn-shanghai-2".equals(fx.password(target, SH_SECRET, SHANGHAI)));

      // a registry leaves the configuration: its Secret is deleted, its name no longer managed
      sync.updateConfiguration(
          SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ));
      await(
          "SH Secret and entry removed",
          () ->
              fx.secret(target, SH_SECRET).isEmpty()
                  && fx.pullSecrets(target, "default").equals(List.of(HZ_SECRET)));
      await("SH no longer managed", () -> sync.managedSecretNames().equals(Set.of(HZ_SECRET)));

      // the namespace leaves the scope: delete + ServiceAccount update
      fx.label(target, Map.of());
      await(
          "cleaned up",
          () ->
              fx.secret(target, HZ_SECRET).isEmpty()
                  && fx.secret(target, SH_SECRET).isEmpty()
                  && fx.pullSecrets(target, "default").isEmpty());
      assertThat(rec.failures).as("no request of the sync was refused").isEmpty();
    }

    CoreV1Api asSync = new CoreV1Api(restricted);
    // reading, changing or deleting a Secret it does not manage
    assertForbidden(() -> asSync.readNamespacedSecret("private-stuff", target).execute());
    assertForbidden(
        () ->
            asSync
                .replaceNamespacedSecret(
                    "private-stuff",
                    target,
                    new V1Secret().metadata(new V1ObjectMeta().name("private-stuff")))
                .execute());
    assertForbidden(() -> asSync.deleteNamespacedSecret("private-stuff", target).execute());
    // listing without a name selector: cluster-wide, in a namespace, with only the label selector
    assertForbidden(() -> asSync.listSecretForAllNamespaces().execute());
    assertForbidden(() -> asSync.listNamespacedSecret(target).execute());
    assertForbidden(
        () ->
            asSync
                .listSecretForAllNamespaces()
                .labelSelector(PullSecretSync.MANAGED_LABEL + "=true")
                .execute());
    // a name selector for a name it does not manage
    assertForbidden(
        () ->
            asSync
                .listNamespacedSecret(target)
                .fieldSelector("metadata.name=private-stuff")
                .execute());
    // watching without a name selector, cluster-wide and in a namespace
    assertThat(
            httpStatus(
                asSync.listSecretForAllNamespaces().watch(true).timeoutSeconds(1).buildCall(null)))
        .isEqualTo(403);
    assertThat(
            httpStatus(
                asSync.listNamespacedSecret(target).watch(true).timeoutSeconds(1).buildCall(null)))
        .isEqualTo(403);
    // what it does use is allowed: a list and a watch selecting one managed name (other tests on
    // this API server may have left Secrets of that name; only that name is ever returned)
    assertThat(
            asSync
                .listSecretForAllNamespaces()
                .fieldSelector("metadata.name=" + HZ_SECRET)
                .execute()
                .getItems())
        .allSatisfy(x -> assertThat(x.getMetadata().getName()).isEqualTo(HZ_SECRET));
    assertThat(
            httpStatus(
                asSync
                    .listSecretForAllNamespaces()
                    .fieldSelector("metadata.name=" + HZ_SECRET)
                    .watch(true)
                    .timeoutSeconds(1)
                    .buildCall(null)))
        .isEqualTo(200);
  }

  @Test
  void domainsResolvedAtRunTimeGetTheirNamesFromTheFetchedCredentials() throws Exception {
    String inst = "rt-" + UUID.randomUUID().toString().substring(0, 6);
    String home = fx.namespace("acr-system", Map.of());
    String saName = "acr-sync-" + inst;
    RegistryTarget ee = RegistryTarget.enterprise("cn-beijing", "cri-" + inst.substring(3));
    AcrConfiguration config =
        SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, ee);
    FakeTokens tokens = new FakeTokens();
    assertThatThrownBy(() -> RbacManifest.secretNames(config))
        .hasMessageContaining("resolved at run time");
    List<String> names = RbacManifest.secretNames(config, tokens);
    String eeSecret = DockerConfig.secretName(FakeTokens.resolvedDomain(ee));
    assertThat(names).containsExactly(HZ_SECRET, eeSecret);
    fx.server.createFromYaml(RbacManifest.render(home, saName, "unused-lease", names), home);

    String target = fx.namespace("app", Map.of("acr-test", inst));
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.clientFor(home, saName))
            .configuration(config)
            .tokenProvider(tokens)
            .instanceName(inst)
            .listener(rec)
            .build()) {
      sync.start();
      await(
          "both pull Secrets written",
          () -> fx.pullSecrets(target, "default").containsAll(List.of(HZ_SECRET, eeSecret)));
      assertThat(sync.managedSecretNames()).containsExactlyInAnyOrderElementsOf(names);
      // the name learned at run time is watched: deleting its Secret is repaired at once
      fx.admin.deleteNamespacedSecret(eeSecret, target).execute();
      await("run-time named Secret restored", () -> fx.secret(target, eeSecret).isPresent());
      assertThat(rec.failures).isEmpty();
    }
  }

  /**
   * The documented way for names learned at run time: start with a manifest that grants only the
   * names known ahead, then grant the one {@code managedSecretNames()} shows. Until then the sync
   * creates that Secret but cannot watch it; a deletion in between gives no event, and the write
   * the cache never showed must not be taken for the cache's lag once it fills.
   */
  @Test
  void aSecretDeletedBeforeItsNameCouldBeWatchedIsRestoredOnceItCan() throws Exception {
    String inst = "late-" + UUID.randomUUID().toString().substring(0, 6);
    RegistryTarget ee = RegistryTarget.enterprise("cn-beijing", "cri-" + inst.substring(5));
    deleteBeforeTheGrantThenGrant(
        inst,
        SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, ee),
        DockerConfig.secretName(FakeTokens.resolvedDomain(ee)));
  }

  /**
   * The same for a name known ahead that the manifest does not grant yet (rendered for an older
   * configuration): start-up does not wait for a cache that cannot list.
   */
  @Test
  void aSecretOfANameKnownAheadButNotYetGrantedIsRestoredOnceGranted() throws Exception {
    String inst = "ahead-" + UUID.randomUUID().toString().substring(0, 6);
    deleteBeforeTheGrantThenGrant(
        inst,
        SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, SH),
        SH_SECRET);
  }

  /** Runs a sync granted only {@code HZ_SECRET}, deletes {@code late}'s Secret, then grants it. */
  private void deleteBeforeTheGrantThenGrant(String inst, AcrConfiguration config, String late)
      throws Exception {
    String home = fx.namespace("acr-system", Map.of());
    String saName = "acr-sync-" + inst;
    fx.server.createFromYaml(
        RbacManifest.render(home, saName, "unused-lease", List.of(HZ_SECRET)), home);

    String target = fx.namespace("app", Map.of("acr-test", inst));
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.clientFor(home, saName))
            .configuration(config)
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .build()) {
      sync.start();
      await(
          "both pull Secrets written",
          () ->
              fx.pullSecrets(target, "default").containsAll(List.of(HZ_SECRET, late))
                  && fx.secret(target, late).isPresent());
      assertThat(sync.managedSecretNames()).contains(late);
      fx.admin.deleteNamespacedSecret(late, target).execute();
      String grant = "acr-sync-late-" + inst;
      fx.server.createFromYaml(
          "apiVersion: rbac.authorization.k8s.io/v1\n"
              + "kind: ClusterRole\n"
              + "metadata: {name: "
              + grant
              + "}\n"
              + "rules:\n"
              + "- {apiGroups: [''], resources: [secrets], resourceNames: ["
              + late
              + "], verbs: [get, list, watch, update, patch, delete]}\n"
              + "---\n"
              + "apiVersion: rbac.authorization.k8s.io/v1\n"
              + "kind: ClusterRoleBinding\n"
              + "metadata: {name: "
              + grant
              + "}\n"
              + "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "
              + grant
              + "}\n"
              + "subjects: [{kind: ServiceAccount, name: "
              + saName
              + ", namespace: "
              + home
              + "}]\n",
          null);
      await(
          "Secret deleted before its name was watched restored",
          () -> fx.secret(target, late).isPresent());
    }
  }

  private static void assertForbidden(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
  }

  private static int httpStatus(okhttp3.Call call) throws java.io.IOException {
    try (okhttp3.Response response = call.execute()) {
      return response.code();
    }
  }

  @Test
  void aMissingPermissionIsReportedAsFailureAndEventAndRetried() throws Exception {
    String inst = "deny-" + UUID.randomUUID().toString().substring(0, 6);
    String user = "acr-sync-" + inst;
    // everything but creating Secrets
    fx.server.createFromYaml(
        "apiVersion: rbac.authorization.k8s.io/v1\n"
            + "kind: ClusterRole\n"
            + "metadata: {name: "
            + user
            + "}\n"
            + "rules:\n"
            + "- {apiGroups: [''], resources: [namespaces, serviceaccounts, secrets], verbs: [get, list, watch]}\n"
            + "- {apiGroups: [''], resources: [events], verbs: [create]}\n"
            + "---\n"
            + "apiVersion: rbac.authorization.k8s.io/v1\n"
            + "kind: ClusterRoleBinding\n"
            + "metadata: {name: "
            + user
            + "}\n"
            + "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "
            + user
            + "}\n"
            + "subjects: [{kind: User, name: "
            + user
            + ", apiGroup: rbac.authorization.k8s.io}]\n",
        null);
    String target = fx.namespace("deny", Map.of("acr-test", inst));
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.clientForUser(user))
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .retryBackoff(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(1))
            .listener(rec)
            .build()) {
      sync.start();
      await(
          "two failed attempts for " + target,
          () -> rec.failures.stream().filter(f -> f.namespace().equals(target)).count() >= 2);
      SyncFailure first =
          rec.failures.stream().filter(f -> f.namespace().equals(target)).findFirst().orElseThrow();
      assertThat(first.forbidden()).isTrue();
      assertThat(first.message()).contains("secrets").contains("create").contains(user);
      await(
          "a Forbidden event on the namespace",
          () ->
              fx.admin.listNamespacedEvent("default").execute().getItems().stream()
                  .anyMatch(
                      e ->
                          "Forbidden".equals(e.getReason())
                              && "Namespace".equals(e.getInvolvedObject().getKind())
                              && target.equals(e.getInvolvedObject().getName())));
      assertThat(fx.secret(target, HZ_SECRET)).isEmpty();
      long events =
          fx.admin.listNamespacedEvent("default").execute().getItems().stream()
              .filter(e -> target.equals(e.getInvolvedObject().getName()))
              .count();
      assertThat(events).as("one event however often it is retried").isEqualTo(1);
    }
  }
}
