package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The ValidatingAdmissionPolicy of the shipped RBAC manifest on the real API server (issue #14,
 * finding 4): RBAC lets the sync's identity create any Secret and update every ServiceAccount; the
 * policy lets it write only what the sync writes.
 */
@WithKubeApiServer
class SyncAdmissionPolicyIT {

  private static final String ROLE_ANNOTATION = "pod-identity.alibabacloud.com/role-name";

  private final SyncFixture fx;

  SyncAdmissionPolicyIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  @Test
  void theSyncIdentityCanWriteOnlyWhatTheSyncWrites() throws Exception {
    String inst = "vap-" + UUID.randomUUID().toString().substring(0, 6);
    String home = fx.namespace("acr-system", Map.of());
    String saName = "acr-sync-" + inst;
    AcrConfiguration config =
        SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ);
    String manifest = RbacManifest.render(home, saName, "lease", RbacManifest.secretNames(config));
    fx.server.createFromYaml(manifest, home);
    String policyName = saName + "-writes.acr-credential.io";
    AdmissionregistrationV1Api admission = new AdmissionregistrationV1Api(fx.admin.getApiClient());
    V1ValidatingAdmissionPolicy policy =
        admission.readValidatingAdmissionPolicy(policyName).execute();
    assertThat(policy.getSpec().getMatchConditions().get(0).getExpression())
        .contains("system:serviceaccount:" + home + ":" + saName);

    String target = fx.namespace("app", Map.of("acr-test", inst));
    await("default ServiceAccount", () -> fx.sa(target, "default").isPresent());
    CoreV1Api sync = new CoreV1Api(fx.server.clientFor(home, saName));

    // the escalation: a Secret with a managed name, of type service-account-token
    V1Secret tokenSecret =
        new V1Secret()
            .metadata(
                new V1ObjectMeta()
                    .name(HZ_SECRET)
                    .labels(
                        Map.of(
                            PullSecretSync.MANAGED_LABEL,
                            "true",
                            PullSecretSync.INSTANCE_LABEL,
                            inst))
                    .annotations(Map.of("kubernetes.io/service-account.name", "default")))
            .type("kubernetes.io/service-account-token");
    // the policy is enforced once the API server's policy informer has it: probe with a harmless
    // Secret that RBAC allows and the policy does not
    int[] probes = {0};
    await(
        "the policy is in force",
        () -> {
          String probe = "vap-probe-" + probes[0]++;
          try {
            sync.createNamespacedSecret(
                    target, new V1Secret().metadata(new V1ObjectMeta().name(probe)).type("Opaque"))
                .execute();
            fx.admin.deleteNamespacedSecret(probe, target).execute();
            return false;
          } catch (ApiException e) {
            return e.getCode() == 403 && e.getResponseBody().contains(policyName);
          }
        });
    ApiException denied =
        catchApi(() -> sync.createNamespacedSecret(target, tokenSecret).execute());
    assertThat(denied.getCode()).isEqualTo(403);
    assertThat(denied.getResponseBody())
        .contains(policyName)
        .contains("may only write Secrets of type kubernetes.io/dockerconfigjson");

    // a pull Secret without the sync's labels: denied too
    V1Secret unlabelled =
        new V1Secret()
            .metadata(new V1ObjectMeta().name(HZ_SECRET))
            .type("kubernetes.io/dockerconfigjson")
            .data(Map.of(".dockerconfigjson", "{\"auths\":{}}".getBytes(StandardCharsets.UTF_8)));
    assertThat(catchApi(() -> sync.createNamespacedSecret(target, unlabelled).execute()).getCode())
        .isEqualTo(403);

    // someone else's Secret with a managed name: the sync may not delete or take it over
    fx.admin.createNamespacedSecret(target, unlabelled).execute();
    assertThat(catchApi(() -> sync.deleteNamespacedSecret(HZ_SECRET, target).execute()).getCode())
        .isEqualTo(403);
    V1Secret takeOver = sync.readNamespacedSecret(HZ_SECRET, target).execute();
    takeOver
        .getMetadata()
        .setLabels(
            Map.of(PullSecretSync.MANAGED_LABEL, "true", PullSecretSync.INSTANCE_LABEL, inst));
    assertThat(
            catchApi(() -> sync.replaceNamespacedSecret(HZ_SECRET, target, takeOver).execute())
                .getCode())
        .isEqualTo(403);
    fx.admin.deleteNamespacedSecret(HZ_SECRET, target).execute();

    // a ServiceAccount's role annotation, or its labels: denied
    V1ServiceAccount sa = sync.readNamespacedServiceAccount("default", target).execute();
    Map<String, String> annotations = new HashMap<>();
    annotations.put(ROLE_ANNOTATION, "cluster-admin-role");
    sa.getMetadata().setAnnotations(annotations);
    ApiException roleChange =
        catchApi(() -> sync.replaceNamespacedServiceAccount("default", target, sa).execute());
    assertThat(roleChange.getCode()).isEqualTo(403);
    assertThat(roleChange.getResponseBody()).contains("may change only imagePullSecrets");
    V1ServiceAccount relabel = sync.readNamespacedServiceAccount("default", target).execute();
    relabel.getMetadata().setLabels(Map.of("team", "admins"));
    assertThat(
            catchApi(
                    () ->
                        sync.replaceNamespacedServiceAccount("default", target, relabel).execute())
                .getCode())
        .isEqualTo(403);

    // the one exception: the refresher's own webhook certificate, by name, type and label, in its
    // own namespace only
    String certName = saName + "-webhook-certificate";
    java.util.function.BiFunction<String, String, V1Secret> certificate =
        (name, type) ->
            new V1Secret()
                .metadata(
                    new V1ObjectMeta()
                        .name(name)
                        .labels(Map.of("acr-credential.io/webhook-certificate", "true")))
                .type(type)
                .data(Map.of("ca.crt", "x".getBytes(StandardCharsets.UTF_8)));
    ApiException elsewhere =
        catchApi(
            () ->
                sync.createNamespacedSecret(target, certificate.apply(certName, "Opaque"))
                    .execute());
    assertThat(elsewhere.getCode()).isEqualTo(403);
    assertThat(elsewhere.getResponseBody()).contains(policyName);
    assertThat(
            catchApi(
                    () ->
                        sync.createNamespacedSecret(
                                home, certificate.apply(saName + "-other", "Opaque"))
                            .execute())
                .getCode())
        .as("another name")
        .isEqualTo(403);
    assertThat(
            catchApi(
                    () ->
                        sync.createNamespacedSecret(
                                home, certificate.apply(certName, "acr-test/other"))
                            .execute())
                .getCode())
        .as("another type")
        .isEqualTo(403);
    V1Secret unlabelledCert = certificate.apply(certName, "Opaque");
    unlabelledCert.getMetadata().setLabels(null);
    assertThat(
            catchApi(() -> sync.createNamespacedSecret(home, unlabelledCert).execute()).getCode())
        .as("without the label")
        .isEqualTo(403);
    sync.createNamespacedSecret(home, certificate.apply(certName, "Opaque")).execute();
    fx.admin.deleteNamespacedSecret(certName, home).execute();

    // what the sync does is allowed: the whole sync runs as this identity
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    try (PullSecretSync running =
        PullSecretSync.builder()
            .apiClient(fx.server.clientFor(home, saName))
            .configuration(config)
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .listener(rec)
            .build()) {
      running.start();
      await(
          "pull Secret written and ServiceAccount updated under the policy",
          () ->
              fx.secret(target, HZ_SECRET).isPresent()
                  && fx.pullSecrets(target, "default").contains(HZ_SECRET));
      V1ServiceAccount written = fx.sa(target, "default").orElseThrow();
      assertThat(written.getMetadata().getAnnotations())
          .containsKey(Markers.SA_ANNOTATION_PREFIX + inst)
          .doesNotContainKey(ROLE_ANNOTATION);
      // the namespace leaves the scope: Secret deleted, ServiceAccount entry removed
      fx.label(target, Map.of());
      await(
          "cleaned up under the policy",
          () ->
              fx.secret(target, HZ_SECRET).isEmpty()
                  && fx.pullSecrets(target, "default").isEmpty());
    }
    assertThat(rec.failures).as("no write of the sync was denied").isEmpty();

    // and the policy is what denied the escalation: without its binding, RBAC alone allows it
    admission.deleteValidatingAdmissionPolicyBinding(policyName).execute();
    await(
        "without the binding the escalation goes through",
        () -> {
          try {
            sync.createNamespacedSecret(target, tokenSecret).execute();
            return true;
          } catch (ApiException e) {
            return false;
          }
        });
    assertThat(fx.secret(target, HZ_SECRET).orElseThrow().getType())
        .isEqualTo("kubernetes.io/service-account-token");
  }

  private interface ApiCall {
    Object call() throws ApiException;
  }

  private static ApiException catchApi(ApiCall call) {
    try {
      call.call();
    } catch (ApiException e) {
      return e;
    }
    throw new AssertionError("the request was allowed");
  }
}
