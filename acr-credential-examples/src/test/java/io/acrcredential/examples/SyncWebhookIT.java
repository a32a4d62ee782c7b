package io.acrcredential.examples;

import static io.acrcredential.examples.SyncCommandIT.await;
import static io.acrcredential.examples.SyncCommandIT.quietly;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.acrcredential.core.DockerConfig;
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
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.IOException;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar's {@code sync} serving the Pod webhook to a real kube-apiserver: the process is
 * started with certificate files and {@code webhook-configuration: enable: true}, a
 * MutatingWebhookConfiguration points at its port, and Pods created at once in new namespaces get
 * the pull Secret names; a rotated certificate is served without a restart, and {@code enable:
 * false} stops serving while Pods are still admitted (failure policy Ignore).
 *
 * <p>The webhook configuration selects only namespaces labelled with this run's id, so other tests
 * sharing the API server never reach it; it is deleted at the end.
 */
@WithKubeApiServer
class SyncWebhookIT {

  static final String AK = "LTAI5tSyncWebhook01";
  static final String SECRET = "syncWebhookSecret0123456";
  static final String INSTANCE = "cri-webhookit1";
  static final String DOMAIN = "webhookit-registry.cn-hangzhou.cr.aliyuncs.com";
  static final String PASSWORD = "sync-webhook-password-0123";
  static final String PULL_SECRET = DockerConfig.secretName(DOMAIN);

  /** Namespaces in the sync's scope carry this label with the run's id. */
  static final String SCOPE_LABEL = "acr-webhook-it-scope";

  /** Namespaces the MutatingWebhookConfiguration selects carry this label with the run's id. */
  static final String SELECT_LABEL = "acr-webhook-it-select";

  static final Pattern MUTATED =
      Pattern.compile(
          "(?m)^acr_credential_webhook_reviews_total\\{result=\"mutated\"} (\\d+)(?:\\.0)?$");

  private final LocalKubeApiServer server;
  private final ApiClient admin;
  private final CoreV1Api core;
  private final AdmissionregistrationV1Api admission;
  private final FakeAlibabaCloud cloud;
  private final String run = "whit-" + UUID.randomUUID().toString().substring(0, 8);
  @TempDir Path home;

  SyncWebhookIT(LocalKubeApiServer server) {
    this.server = server;
    this.admin = server.adminClient();
    this.core = new CoreV1Api(admin);
    this.admission = new AdmissionregistrationV1Api(admin);
    this.cloud =
        FakeCloudEnv.start(
            AK, SECRET, AcrInstance.of(INSTANCE, "webhookit", "cn-hangzhou"), PASSWORD);
  }

  @AfterEach
  void stopCloud() {
    cloud.close();
  }

  @Test
  void theProgramServesThePodWebhookRotatesItsCertificateAndStopsWhenDisabled() throws Exception {
    // ---- certificate files, as a mounted kubernetes.io/tls Secret would provide them ----
    String cfg = AcrConfigMaps.create(server, "whcfg", config(true));
    try (SyncProcess.WithWebhook started =
        SyncProcess.startWithWebhook(
            server, "acr-webhook-it", home.resolve("tls"), env(), cfg, "--no-leader-election")) {
      SyncProcess p = started.process();
      Path certFile = started.certFile();
      Path keyFile = started.keyFile();
      LocalKubeApiServer.ServingCertificate first = started.certificate();
      BigInteger firstSerial = certificate(first.certificatePem()).getSerialNumber();
      // the rotated pair, written while the refresher runs
      LocalKubeApiServer.ServingCertificate second =
          server.issueServingCertificate("acr-webhook-it");
      BigInteger secondSerial = certificate(second.certificatePem()).getSerialNumber();
      assertThat(secondSerial).isNotEqualTo(firstSerial);
      int metricsPort = started.httpPort();
      int webhookPort = started.webhookPort();
      assertThat(webhookPort).isPositive().isNotEqualTo(metricsPort);
      p.awaitLog("first reconcile complete", Duration.ofSeconds(90));
      p.awaitLog(
          Pattern.quote("namespaces [] and those labelled " + SCOPE_LABEL + "=" + run),
          Duration.ofSeconds(5));
      assertThat(servedSerial(webhookPort)).as("the certificate served").isEqualTo(firstSerial);

      String webhookName = "acr-webhook-it-" + run;
      register(webhookName, "https://127.0.0.1:" + webhookPort + "/mutate-pods");
      try {
        awaitActive();
        HttpClient http = HttpClient.newHttpClient();
        long mutatedBefore = mutated(http, metricsPort);

        // ---- Pods created right after their namespace (and ServiceAccount) ----
        int withOwnEntry = 0;
        for (int i = 0; i < 3; i++) {
          String ns = namespace(true, true);
          serviceAccount(ns, "builder");
          // The ServiceAccount admission plugin never copies into a Pod that lists its own
          // entries, so the name after "mine" can only come from the webhook.
          assertThat(names(createPod(ns, "builder", "mine")))
              .as("Pod with its own entry in %s", ns)
              .containsExactly("mine", PULL_SECRET);
          withOwnEntry++;
          // Without entries: from the webhook, or from the ServiceAccount if the sync was faster.
          assertThat(names(createPod(ns, "builder")))
              .as("Pod without entries in %s", ns)
              .containsExactly(PULL_SECRET);
        }

        // ---- selected by the webhook configuration, outside the sync's scope: untouched ----
        String outside = namespace(false, true);
        serviceAccount(outside, "builder");
        assertThat(names(createPod(outside, "builder"))).isEmpty();
        assertThat(names(createPod(outside, "builder", "mine"))).containsExactly("mine");

        long mutatedAfter = mutated(http, metricsPort);
        assertThat(mutatedAfter - mutatedBefore)
            .as("acr_credential_webhook_reviews_total{result=\"mutated\"} increase")
            .isGreaterThanOrEqualTo(withOwnEntry);

        // ---- the certificate files are replaced: the new certificate is served ----
        writeAtomically(keyFile, second.privateKeyPem());
        writeAtomically(certFile, second.certificatePem());
        await(
            "a TLS handshake presenting the new certificate",
            Duration.ofSeconds(60),
            quietly(() -> secondSerial.equals(servedSerial(webhookPort))));
        p.awaitLog("webhook: loaded the changed certificate", Duration.ofSeconds(30));
        String rotated = namespace(true, true);
        serviceAccount(rotated, "builder");
        assertThat(names(createPod(rotated, "builder", "mine")))
            .as("Pod after the certificate rotation")
            .containsExactly("mine", PULL_SECRET);
        assertThat(mutated(http, metricsPort)).isGreaterThan(mutatedAfter);

        // ---- enable: false stops serving; Pods are still admitted (failurePolicy Ignore) ----
        AcrConfigMaps.replace(core, cfg, config(false));
        p.awaitLog("Pod webhook stopped", Duration.ofSeconds(60));
        Throwable refused = catchThrowable(() -> connect(webhookPort).close());
        assertThat(refused)
            .as("connecting to the webhook port")
            .isInstanceOf(ConnectException.class);
        String disabled = namespace(true, true);
        serviceAccount(disabled, "builder");
        V1Pod admitted = createPod(disabled, "builder", "mine");
        assertThat(admitted.getMetadata().getUid()).isNotBlank();
        assertThat(names(admitted)).as("Pod while the webhook is off").containsExactly("mine");
        assertThat(p.process.isAlive()).as("the refresher keeps running").isTrue();
      } finally {
        admission.deleteMutatingWebhookConfiguration(webhookName).execute();
      }

      p.terminate(Duration.ofSeconds(30));
      String log = p.output();
      System.out.println("[refresher] webhook IT output:\n" + log);
      assertThat(log)
          .doesNotContain(PASSWORD)
          .doesNotContain(SECRET)
          .doesNotContain("BEGIN")
          .doesNotContain("PRIVATE KEY");
      for (String pem :
          List.of(
              first.privateKeyPem(),
              first.certificatePem(),
              second.privateKeyPem(),
              second.certificatePem())) {
        for (String line : base64Lines(pem)) {
          assertThat(log).as("key or certificate material in the log").doesNotContain(line);
        }
      }
    }
  }

  // ---- the process ----

  Map<String, String> env() {
    return FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);
  }

  Map<String, String> config(boolean webhook) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace-selector", SCOPE_LABEL + "=" + run);
    data.put("service-account", "default,builder");
    data.put("webhook-configuration", "enable: " + webhook + "\n");
    data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE, DOMAIN));
    return data;
  }

  // ---- the API server side ----

  private void register(String name, String url) throws ApiException {
    V1MutatingWebhookConfiguration config =
        new V1MutatingWebhookConfiguration()
            .metadata(new V1ObjectMeta().name(name))
            .addWebhooksItem(
                server.podCreateWebhook("pods.acr-credential.io", url, Map.of(SELECT_LABEL, run)));
    admission.createMutatingWebhookConfiguration(config).execute();
  }

  /** The API server picks a new webhook configuration up after a moment: probe with dry runs. */
  private void awaitActive() throws Exception {
    String probe = namespace(true, true);
    serviceAccount(probe, "builder");
    await(
        "the webhook configuration in effect",
        Duration.ofSeconds(90),
        quietly(() -> names(createPod(probe, "builder", true, "mine")).contains(PULL_SECRET)));
  }

  /** A new namespace, labelled into the sync's scope and/or the webhook's selection. */
  private String namespace(boolean inScope, boolean selected) throws ApiException {
    Map<String, String> labels = new HashMap<>();
    if (inScope) {
      labels.put(SCOPE_LABEL, run);
    }
    if (selected) {
      labels.put(SELECT_LABEL, run);
    }
    return TestNamespaces.generate(core, "whit-", labels);
  }

  private void serviceAccount(String ns, String name) throws ApiException {
    core.createNamespacedServiceAccount(
            ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name(name)))
        .execute();
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
            .addContainersItem(new V1Container().name("app").image(DOMAIN + "/team/app:1"));
    // The generated model starts maps and lists empty where kubectl sends nothing; an empty
    // overhead is refused by the RuntimeClass plugin, and an absent imagePullSecrets is the case
    // where the webhook's patch adds the whole list.
    spec.overhead(null).nodeSelector(null).imagePullSecrets(null);
    for (String s : pullSecrets) {
      spec.addImagePullSecretsItem(new V1LocalObjectReference().name(s));
    }
    V1Pod pod = new V1Pod().metadata(new V1ObjectMeta().generateName("app-")).spec(spec);
    var call = core.createNamespacedPod(ns, pod);
    if (dryRun) {
      call = call.dryRun("All");
    }
    return call.execute();
  }

  private static List<String> names(V1Pod pod) {
    List<String> names = new ArrayList<>();
    if (pod.getSpec().getImagePullSecrets() != null) {
      pod.getSpec().getImagePullSecrets().forEach(r -> names.add(r.getName()));
    }
    return names;
  }

  // ---- TLS, files, metrics ----

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    return s;
  }

  /** The serial number of the leaf certificate a fresh handshake (no resumed session) presents. */
  private BigInteger servedSerial(int port) throws Exception {
    return WebhookTls.servedSerial(port, List.of(certificate(server.caCertificatePem())));
  }

  private static X509Certificate certificate(String pem) throws Exception {
    return WebhookTls.certificate(pem);
  }

  /** Writes next to the target and renames, so the refresher never reads half a file. */
  private static void writeAtomically(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static long mutated(HttpClient http, int port) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    Matcher m = MUTATED.matcher(r.body());
    assertThat(m.find()).as("the mutated sample in /metrics:\n%s", r.body()).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** The base64 lines of a PEM text (long enough not to occur by chance). */
  private static List<String> base64Lines(String pem) {
    return pem.lines().filter(l -> !l.startsWith("-----") && l.length() >= 16).toList();
  }
}
