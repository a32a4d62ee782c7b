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

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import java.nio.charset.StandardCharsets;
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
    String manifest =
        RbacManifest.render(
            home,
            saName,
            lease,
            RbacManifest.secretNames(SecretLayout.perDomain(), List.of(HANGZHOU, SHANGHAI)));
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
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(restricted)
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, SH))
            .tokenProvider(new FakeTokens())
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
      // drift repair (get + create) and rotation-style update (update) are allowed
      fx.admin.deleteNamespacedSecret(HZ_SECRET, target).execute();
      await("deleted Secret restored", () -> fx.secret(target, HZ_SECRET).isPresent());
      // leaving scope: delete + ServiceAccount update
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
    assertThatThrownBy(() -> asSync.readNamespacedSecret("private-stuff", target).execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    assertThatThrownBy(
            () ->
                asSync
                    .replaceNamespacedSecret(
                        "private-stuff",
                        target,
                        new V1Secret().metadata(new V1ObjectMeta().name("private-stuff")))
                    .execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    assertThatThrownBy(() -> asSync.deleteNamespacedSecret("private-stuff", target).execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
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
