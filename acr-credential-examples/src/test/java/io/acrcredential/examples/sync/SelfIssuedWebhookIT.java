package io.acrcredential.examples.sync;

import static io.acrcredential.examples.SyncCommandIT.await;
import static io.acrcredential.examples.SyncCommandIT.quietly;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.examples.AcrConfigMaps;
import io.acrcredential.examples.FakeCloudEnv;
import io.acrcredential.examples.SyncProcess;
import io.acrcredential.examples.WebhookTls;
import io.acrcredential.k8s.webhook.RegistrationProblem;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook with no extra setup: the shipped jar's {@code sync} with only {@code
 * webhook-configuration: enable: true} in the ConfigMap (no certificate files, no registration made
 * by hand) issues its own CA and serving certificate into a Secret of its namespace, registers its
 * own MutatingWebhookConfiguration on the real API server ({@code --webhook-url}: the refresher
 * runs outside the cluster), and a Pod created in the same second as its new namespace gets the
 * pull Secret from it; the same after the serving certificate and then the CA have rotated (short
 * lifetimes); {@code enable: false} removes the registration.
 *
 * <p>Its registration selects every namespace but the refresher's own; the sync's scope is only
 * this run's namespaces, so other tests' Pods pass through unchanged, and the registration is
 * deleted at the end.
 */
@WithKubeApiServer
class SelfIssuedWebhookIT {

  static final String AK = "LTAI5tSelfIssuedHook1";
  static final String SECRET = "selfIssuedWebhookSecret01";
  static final String INSTANCE = "cri-selfissuedit1";
  static final String DOMAIN = "selfissuedit-registry.cn-hangzhou.cr.aliyuncs.com";
  static final String PASSWORD = "self-issued-webhook-password-01";
  static final String PULL_SECRET = DockerConfig.secretName(DOMAIN);
  static final String SCOPE_LABEL = "acr-selfissued-it-scope";

  private final LocalKubeApiServer server;
  private final ApiClient admin;
  private final CoreV1Api core;
  private final AdmissionregistrationV1Api admission;
  private final FakeAlibabaCloud cloud;
  private final String run = "siw-" + UUID.randomUUID().toString().substring(0, 8);
  @TempDir Path home;

  SelfIssuedWebhookIT(LocalKubeApiServer server) {
    this.server = server;
    this.admin = server.adminClient();
    this.core = new CoreV1Api(admin);
    this.admission = new AdmissionregistrationV1Api(admin);
    this.cloud =
        FakeCloudEnv.start(
            AK, SECRET, AcrInstance.of(INSTANCE, "selfissuedit", "cn-hangzhou"), PASSWORD);
  }

  @AfterEach
  void stopCloud() {
    cloud.close();
  }

  @Test
  void enableTrueAloneServesTheWebhookWithItsOwnCertificateAndRegistrationThroughRotations()
      throws Exception {
    String cfg = AcrConfigMaps.create(server, "siw", config(true));
    String registration = "acr-selfissued-it-" + run;
    int port = SyncProcess.freeLoopbackPort();
    Duration wait = Duration.ofSeconds(90);
    // short lives, so that the serving certificate and then the CA rotate during the test
    try (SyncProcess p =
        SyncProcess.startSelfIssued(
            env(),
            cfg,
            port,
            registration,
            "12s",
            "48s",
            "--lease-namespace",
            cfg,
            "--identity",
            "siw-replica")) {
      try {
        p.awaitLog("Pod webhook certificate issued", wait);
        p.awaitLog("Pod webhook serving https://127\\.0\\.0\\.1:" + port + "/mutate-pods", wait);
        p.awaitLog("first reconcile complete", wait);
        p.awaitLog(
            java.util.regex.Pattern.quote("MutatingWebhookConfiguration " + registration)
                + ".* created",
            wait);

        // ---- the Secret and the registration the refresher made itself ----
        V1Secret stored =
            core.readNamespacedSecret(SelfIssuedCertificate.DEFAULT_SECRET, cfg).execute();
        assertThat(stored.getData()).containsKeys("ca.crt", "ca.key", "tls.crt", "tls.key");
        assertThat(stored.getMetadata().getLabels())
            .containsEntry(SelfIssuedCertificate.MANAGED_LABEL, "true");
        V1MutatingWebhookConfiguration own =
            admission.readMutatingWebhookConfiguration(registration).execute();
        V1MutatingWebhook hook = own.getWebhooks().get(0);
        assertThat(own.getWebhooks()).hasSize(1);
        assertThat(hook.getClientConfig().getUrl())
            .isEqualTo("https://127.0.0.1:" + port + "/mutate-pods");
        assertThat(hook.getClientConfig().getCaBundle()).isEqualTo(stored.getData().get("ca.crt"));
        assertThat(hook.getFailurePolicy()).isEqualTo("Ignore");
        assertThat(hook.getTimeoutSeconds()).isEqualTo(10);
        assertThat(hook.getNamespaceSelector().getMatchExpressions().get(0).getValues())
            .as("its own namespace left out")
            .containsExactly(cfg);
        BigInteger firstServing = serial(stored.getData().get("tls.crt"));
        assertThat(servedSerial(port, stored.getData().get("ca.crt"))).isEqualTo(firstServing);

        // ---- a Pod in the same second as its new namespace gets the pull Secret ----
        assertRaceWon("before any rotation");

        // ---- the serving certificate rotates (12 s life, renewed with 4 s left) ----
        p.awaitLog("Pod webhook certificate rotated", Duration.ofSeconds(60));
        await(
            "a new serving certificate served",
            Duration.ofSeconds(30),
            quietly(() -> !firstServing.equals(servedSerial(port, caBundle(registration)))));
        assertRaceWon("after the serving certificate rotated");

        // ---- the CA rotates: trusted first, then signing; the old one stays trusted ----
        X509Certificate firstCa =
            WebhookCertificates.certificates(stored.getData().get("ca.crt")).get(0);
        await(
            "a serving certificate signed by a new CA, with both CAs registered",
            Duration.ofSeconds(90),
            quietly(
                () -> {
                  byte[] bundle = caBundle(registration);
                  V1Secret now =
                      core.readNamespacedSecret(SelfIssuedCertificate.DEFAULT_SECRET, cfg)
                          .execute();
                  X509Certificate serving =
                      WebhookCertificates.certificates(now.getData().get("tls.crt")).get(0);
                  List<X509Certificate> trusted = WebhookCertificates.certificates(bundle);
                  return !WebhookCertificates.signedBy(serving, firstCa)
                      && trusted.contains(firstCa)
                      && trusted.size() == 2;
                }));
        assertRaceWon("after the CA rotated");
        assertThat(p.output()).contains("rotated");

        // ---- enable: false removes the registration ----
        AcrConfigMaps.replace(core, cfg, config(false));
        p.awaitLog("Pod webhook stopped", wait);
        await(
            "the registration removed",
            wait,
            quietly(
                () -> {
                  try {
                    admission.readMutatingWebhookConfiguration(registration).execute();
                    return false;
                  } catch (ApiException e) {
                    return e.getCode() == 404;
                  }
                }));
      } finally {
        try {
          admission.deleteMutatingWebhookConfiguration(registration).execute();
        } catch (ApiException e) {
          // removed by the refresher
        }
      }
      p.terminate(Duration.ofSeconds(30));
      String log = p.output();
      System.out.println("[refresher] self-issued webhook IT output:\n" + log);
      assertThat(log)
          .doesNotContain(PASSWORD)
          .doesNotContain(SECRET)
          .doesNotContain("BEGIN")
          .doesNotContain("PRIVATE KEY");
      V1Secret last =
          core.readNamespacedSecret(SelfIssuedCertificate.DEFAULT_SECRET, cfg).execute();
      for (String key : List.of("ca.key", "tls.key")) {
        String pem = new String(last.getData().get(key), StandardCharsets.US_ASCII);
        pem.lines()
            .filter(l -> !l.startsWith("-----") && l.length() >= 16)
            .forEach(l -> assertThat(log).as("key material in the log").doesNotContain(l));
      }
    }
  }

  /**
   * With only the shipped RBAC (the library's manifest with its ValidatingAdmissionPolicy, plus
   * deploy/webhook/rbac.yaml, names pointed at this run's objects) bound to a ServiceAccount token:
   * two replicas issue the certificate at once and end with the same one, a rotation updates it,
   * and the leader creates, repairs, updates and removes its registration; the same identity is
   * refused another registration and another Secret.
   */
  @Test
  void theShippedRbacIsEnoughForTheCertificateAndTheRegistrationAndNoMore() throws Exception {
    String ns = server.createNamespace("siwsa");
    String sa = "acr-" + run;
    String registration = "acr-selfissued-rbac-" + run;
    String secretName = sa + "-webhook-certificate";
    server.createFromYaml(
        io.acrcredential.k8s.RbacManifest.render(ns, sa, "lease", List.of(PULL_SECRET)), ns);
    String overlay =
        java.nio.file.Files.readString(Path.of("deploy/webhook/rbac.yaml"), StandardCharsets.UTF_8);
    overlay =
        replace(
            overlay,
            "resourceNames: [\"acr-credential\"]",
            "resourceNames: [\"" + registration + "\"]");
    overlay = replace(overlay, "acr-credential-webhook-registration", sa + "-registration");
    overlay = replace(overlay, "acr-credential-webhook-certificate", secretName);
    overlay = replace(overlay, "namespace: kube-system", "namespace: " + ns);
    overlay = replace(overlay, "    name: acr-credential\n", "    name: " + sa + "\n");
    server.createFromYaml(overlay, ns);
    ApiClient token = server.clientFor(ns, sa);
    ApiClient watchToken = server.clientFor(ns, sa);
    watchToken.setReadTimeout(0);
    CoreV1Api asSa = new CoreV1Api(token);
    try {
      // the policy and the roles are in force once the API server's informers have them
      await(
          "the RBAC in force",
          Duration.ofSeconds(60),
          quietly(
              () -> {
                try {
                  asSa.readNamespacedSecret(secretName, ns).execute();
                  return true;
                } catch (ApiException e) {
                  return e.getCode() == 404;
                }
              }));
      // ---- two replicas at once: one creates, the other gets 409 and uses the winner's ----
      java.util.concurrent.atomic.AtomicReference<Instant> now =
          new java.util.concurrent.atomic.AtomicReference<>(Instant.now());
      java.time.Clock clock =
          new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
              return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
              return this;
            }

            @Override
            public Instant instant() {
              return now.get();
            }
          };
      SelfIssuedCertificate.Spec spec =
          new SelfIssuedCertificate.Spec(
              ns,
              secretName,
              WebhookCertificates.Hosts.ofHost("127.0.0.1"),
              new WebhookCertificates.Lifetimes(Duration.ofHours(40), Duration.ofHours(10)));
      try (SelfIssuedCertificate a = new SelfIssuedCertificate(token, spec, clock);
          SelfIssuedCertificate b = new SelfIssuedCertificate(token, spec, clock)) {
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.ExecutorService two =
            java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
          var fa =
              two.submit(
                  () -> {
                    together.await();
                    a.check();
                    return null;
                  });
          var fb =
              two.submit(
                  () -> {
                    together.await();
                    b.check();
                    return null;
                  });
          fa.get(60, java.util.concurrent.TimeUnit.SECONDS);
          fb.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
          two.shutdownNow();
        }
        BigInteger serial = a.current().orElseThrow().serving().getSerialNumber();
        assertThat(b.current().orElseThrow().serving().getSerialNumber())
            .as("both replicas serve the one certificate")
            .isEqualTo(serial);
        assertThat(
                a.keyManager()
                    .getCertificateChain(a.keyManager().chooseServerAlias("EC", null, null))[0]
                    .getSerialNumber())
            .isEqualTo(serial);
        // ---- seven hours later the serving certificate is due: updated by name ----
        now.set(now.get().plus(Duration.ofHours(7)));
        a.check();
        BigInteger rotated = a.current().orElseThrow().serving().getSerialNumber();
        assertThat(rotated).isNotEqualTo(serial);
        b.check();
        assertThat(b.current().orElseThrow().serving().getSerialNumber())
            .as("the other replica reloads the rotated certificate")
            .isEqualTo(rotated);

        // ---- the registration with the token: created, repaired, updated, removed ----
        java.util.List<RegistrationProblem> problems =
            new java.util.concurrent.CopyOnWriteArrayList<>();
        byte[] bundle =
            WebhookCertificates.pem(a.current().orElseThrow().trusted())
                .getBytes(StandardCharsets.US_ASCII);
        WebhookRegistration.Owned owned =
            new WebhookRegistration.Owned(
                ns, java.util.Optional.of("https://127.0.0.1:1/mutate-pods"), "unused", 443);
        try (WebhookRegistration reg =
            WebhookRegistration.builder(
                    token,
                    watchToken,
                    new WebhookRegistration.Target(registration, "pods.acr-credential.io"))
                .owned(owned)
                .onProblem(problems::add)
                .build()) {
          reg.caBundle(bundle);
          reg.manage(
              java.util.Optional.of(
                  new io.acrcredential.k8s.config.WebhookSettings(
                      true, io.acrcredential.k8s.config.WebhookSettings.FailurePolicy.IGNORE, 3)));
          await(
              "created with the token",
              Duration.ofSeconds(60),
              quietly(() -> hook(registration, "Ignore", 3)));
          assertThat(caBundle(registration)).isEqualTo(bundle);
          // deleted by hand: created again at once (watched by name)
          admission.deleteMutatingWebhookConfiguration(registration).execute();
          await(
              "created again",
              Duration.ofSeconds(60),
              quietly(() -> hook(registration, "Ignore", 3)));
          reg.manage(
              java.util.Optional.of(
                  new io.acrcredential.k8s.config.WebhookSettings(
                      true, io.acrcredential.k8s.config.WebhookSettings.FailurePolicy.IGNORE, 7)));
          await("updated", Duration.ofSeconds(60), quietly(() -> hook(registration, "Ignore", 7)));
          reg.remove();
          assertThat(
                  catchCode(
                      () -> admission.readMutatingWebhookConfiguration(registration).execute()))
              .isEqualTo(404);
          assertThat(problems).isEmpty();
        }
      }
      // ---- no more than that ----
      String other = "acr-selfissued-other-" + run;
      WebhookRegistration.Owned owned =
          new WebhookRegistration.Owned(
              ns, java.util.Optional.of("https://127.0.0.1:1/mutate-pods"), "unused", 443);
      var otherHook =
          WebhookRegistration.ownedConfiguration(
              new WebhookRegistration.Target(other, "pods.acr-credential.io"),
              owned,
              new io.acrcredential.k8s.config.WebhookSettings(
                  true, io.acrcredential.k8s.config.WebhookSettings.FailurePolicy.IGNORE, 3),
              "x".getBytes(StandardCharsets.US_ASCII));
      // create is allowed for any name (RBAC cannot limit it), but nothing else is
      new AdmissionregistrationV1Api(token).createMutatingWebhookConfiguration(otherHook).execute();
      try {
        assertThat(
                catchCode(
                    () ->
                        new AdmissionregistrationV1Api(token)
                            .readMutatingWebhookConfiguration(other)
                            .execute()))
            .isEqualTo(403);
        assertThat(
                catchCode(
                    () ->
                        new AdmissionregistrationV1Api(token)
                            .deleteMutatingWebhookConfiguration(other)
                            .execute()))
            .isEqualTo(403);
      } finally {
        admission.deleteMutatingWebhookConfiguration(other).execute();
      }
      assertThat(catchCode(() -> asSa.readNamespacedSecret("anything-else", ns).execute()))
          .isEqualTo(403);
      V1Secret foreign =
          new V1Secret()
              .metadata(
                  new V1ObjectMeta()
                      .name(secretName)
                      .labels(Map.of(SelfIssuedCertificate.MANAGED_LABEL, "true")))
              .type("Opaque");
      String elsewhere = server.createNamespace("siwsb");
      // RBAC allows this create (a create has no name at authorization time); the admission policy
      // refuses it, once the API server's policy informer has the policy: probe with a harmless
      // Secret of another name first (without the wait this failed once under load in CI)
      int[] probes = {0};
      await(
          "the admission policy in force",
          Duration.ofSeconds(60),
          () -> {
            String probe = "vap-probe-" + probes[0]++;
            try {
              asSa.createNamespacedSecret(
                      elsewhere,
                      new V1Secret().metadata(new V1ObjectMeta().name(probe)).type("Opaque"))
                  .execute();
              new CoreV1Api(admin).deleteNamespacedSecret(probe, elsewhere).execute();
              return false;
            } catch (ApiException e) {
              return e.getCode() == 403;
            }
          });
      assertThat(catchCode(() -> asSa.createNamespacedSecret(elsewhere, foreign).execute()))
          .as("the certificate Secret outside the refresher's namespace")
          .isEqualTo(403);
    } finally {
      try {
        admission.deleteMutatingWebhookConfiguration(registration).execute();
      } catch (ApiException e) {
        // removed
      }
      var rbac = new io.kubernetes.client.openapi.apis.RbacAuthorizationV1Api(admin);
      for (String name : List.of(sa, sa + "-registration")) {
        try {
          rbac.deleteClusterRoleBinding(name).execute();
          rbac.deleteClusterRole(name).execute();
        } catch (ApiException e) {
          // absent
        }
      }
      try {
        admission
            .deleteValidatingAdmissionPolicyBinding(sa + "-writes.acr-credential.io")
            .execute();
        admission.deleteValidatingAdmissionPolicy(sa + "-writes.acr-credential.io").execute();
      } catch (ApiException e) {
        // absent
      }
    }
  }

  private interface Call {
    Object call() throws ApiException;
  }

  private static int catchCode(Call c) {
    try {
      c.call();
    } catch (ApiException e) {
      return e.getCode();
    }
    throw new AssertionError("the request was allowed");
  }

  private static String replace(String text, String from, String to) {
    assertThat(text).as("deploy/webhook/rbac.yaml names " + from).contains(from);
    return text.replace(from, to);
  }

  private boolean hook(String registration, String policy, int timeout) throws ApiException {
    V1MutatingWebhook h =
        admission.readMutatingWebhookConfiguration(registration).execute().getWebhooks().get(0);
    return policy.equals(h.getFailurePolicy())
        && Integer.valueOf(timeout).equals(h.getTimeoutSeconds());
  }

  /**
   * A namespace, its ServiceAccount and a Pod created at once (same second): the Pod lists its own
   * entry, which the ServiceAccount admission plugin never adds to, so the pull Secret can only
   * come from the webhook.
   */
  private void assertRaceWon(String when) throws ApiException {
    Instant start = Instant.now();
    String ns =
        core.createNamespace(
                new V1Namespace()
                    .metadata(
                        new V1ObjectMeta().generateName("siw-").labels(Map.of(SCOPE_LABEL, run))))
            .execute()
            .getMetadata()
            .getName();
    core.createNamespacedServiceAccount(
            ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name("builder")))
        .execute();
    V1PodSpec spec =
        new V1PodSpec()
            .serviceAccountName("builder")
            .addContainersItem(new V1Container().name("app").image(DOMAIN + "/team/app:1"));
    spec.overhead(null).nodeSelector(null).imagePullSecrets(null);
    spec.addImagePullSecretsItem(new V1LocalObjectReference().name("mine"));
    V1Pod pod =
        core.createNamespacedPod(
                ns, new V1Pod().metadata(new V1ObjectMeta().generateName("app-")).spec(spec))
            .execute();
    Duration took = Duration.between(start, Instant.now());
    List<String> names = new ArrayList<>();
    pod.getSpec().getImagePullSecrets().forEach(r -> names.add(r.getName()));
    System.out.println("[refresher] " + when + ": namespace + Pod in " + took.toMillis() + " ms");
    // a second on an idle machine; the proof is the entry below, which only the webhook adds
    assertThat(took)
        .as("namespace and Pod one right after the other")
        .isLessThan(Duration.ofSeconds(10));
    assertThat(names).as("the Pod's pull Secrets %s", when).containsExactly("mine", PULL_SECRET);
  }

  private byte[] caBundle(String registration) throws ApiException {
    return admission
        .readMutatingWebhookConfiguration(registration)
        .execute()
        .getWebhooks()
        .get(0)
        .getClientConfig()
        .getCaBundle();
  }

  private static BigInteger serial(byte[] pem) throws Exception {
    return WebhookCertificates.certificates(pem).get(0).getSerialNumber();
  }

  /** The leaf a fresh handshake presents, verified against the bundle and the name 127.0.0.1. */
  private static BigInteger servedSerial(int port, byte[] bundle) throws Exception {
    return WebhookTls.servedSerial(port, WebhookCertificates.certificates(bundle));
  }

  Map<String, String> env() {
    return FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);
  }

  /** Only {@code enable} in webhook-configuration: Alibaba's defaults for the rest. */
  Map<String, String> config(boolean webhook) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace-selector", SCOPE_LABEL + "=" + run);
    data.put("service-account", "default,builder");
    data.put("webhook-configuration", "enable: " + webhook + "\n");
    data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE, DOMAIN));
    return data;
  }
}
