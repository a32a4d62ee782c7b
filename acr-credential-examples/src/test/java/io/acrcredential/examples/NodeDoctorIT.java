package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.sync.DoctorIT;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.SecretLayout;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.IssuedToken;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code doctor} on a real node: each failure of issue #17 is created for real (the kubelet itself
 * puts the Pod in ErrImagePull/ImagePullBackOff against a token-auth registry serving an ACR
 * instance's custom domain, as real ACR answers: Bearer challenge, token service that accepts only
 * logins the fake ACR issued), then the program's jar is run as a user would run it, with a
 * kubeconfig, and its exit code and conclusion asserted; a healthy Pod (Running) gets exit 0. The
 * kubelet runs with the shipped credential provider configuration, whose matchImages do not list
 * the custom domain. Every output, text and JSON, is scanned for every secret value.
 *
 * <p>One API server and node for the class; every scenario in its own namespaces.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeDoctorIT {

  static final String AK = "LTAI5tNodeDoctor00001";
  static final String AK_SECRET = "nodeDoctorSecret0123456789x";
  static final AcrInstance INSTANCE =
      AcrInstance.of("cri-nodedoctor01", "nodedoctor", "cn-hangzhou");

  /** The instance's custom domain, configured in acr-registry-info. */
  static final String DOMAIN = "registry.doctor-node.test";

  /** Served by the same registry but configured nowhere. */
  static final String OTHER = "images.doctor-node.test";

  private final String suffix = UUID.randomUUID().toString().substring(0, 6);
  private final String refresher = "node-doctor-" + suffix;
  private final List<String> outputs = new CopyOnWriteArrayList<>();
  private final long started = System.nanoTime();
  private Path tmp;
  private LocalKubeApiServer server;
  private LocalNode node;
  private CoreV1Api core;
  private FakeAlibabaCloud cloud;
  private NodeRegistry registry;
  private Path providerConfig;
  private Path bin;
  private Path trustStore;
  private String image;
  private String otherImage;

  @BeforeAll
  void start() throws Exception {
    NodeFixture.requireNode();
    tmp = Files.createTempDirectory("acr-node-doctor-");
    cloud = FakeAlibabaCloud.start();
    cloud.identities().addAccessKey(AK, AK_SECRET);
    cloud.acr().addInstance(INSTANCE);

    // the kubelet plugin as shipped (only its cache directory moved): ACR host names only
    bin = SyncProcess.installNodeBundle(tmp.resolve("opt-acr-credential"));
    providerConfig = tmp.resolve("credential-provider-config.yaml");
    Files.writeString(
        providerConfig,
        NodeFixture.withCacheDir(NodeFixture.shippedProviderConfig(), tmp.resolve("token-cache")));

    server = LocalKubeApiServer.builder().nodeAuthorization(true).start();
    node =
        LocalNode.builder(server)
            .credentialProvider(providerConfig, bin)
            .kubeletEnvironment(NodeFixture.kubeletEnvironment(cloud, tmp.resolve("home"), true))
            .start();
    core = new CoreV1Api(server.adminClient());
    registry =
        NodeRegistry.start(
            server, node, cloud.acr(), INSTANCE.instanceId(), "127.0.0.6", List.of(DOMAIN, OTHER));
    image = registry.pushNew(DOMAIN, "team/app");
    otherImage = registry.pushNew(OTHER, "team/app");
    trustStore = trustStore(server.caCertificatePem());
    DoctorIT.grantRefresher(server.adminClient(), refresher);
    System.out.printf(
        "[node-doctor] node and registry ready in %d ms%n",
        Duration.ofNanos(System.nanoTime() - started).toMillis());
  }

  @AfterAll
  void stop() {
    try {
      if (registry != null) { // the scenarios ran
        noOutputHeldASecret();
      }
    } finally {
      close();
    }
  }

  private void close() {
    System.out.printf(
        "[node-doctor] class ran %d s%n",
        Duration.ofNanos(System.nanoTime() - started).toSeconds());
    NodeFixture.closeAll(tmp, registry, node, server, cloud);
  }

  // ---------------------------------------------------------------- the scenarios

  @Test
  void healthyPodRunsAndDoctorExitsZero() throws Exception {
    Scenario s = scenario(Map.of());
    sync(s);
    String pod = "healthy";
    core.createNamespacedPod(s.ns, NodeRegistry.pod(node, pod, image)).execute();
    V1Pod running = node.awaitRunning(s.ns, pod, NodeRegistry.POD_START);
    assertThat(running.getStatus().getPhase()).isEqualTo("Running");
    Processes.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isZero();
    // the registry login went through the Docker token flow, as with real ACR
    assertThat(r.stdout())
        .contains("passed          registry login")
        .contains("https token login, manifest team/app: 200")
        .contains("passed          pod pull secrets")
        .contains("no problem found");
    assertThat(r.stdout()).doesNotContain("failed ");
  }

  @Test
  void namespaceNotWatched() throws Exception {
    Scenario s = scenario(Map.of());
    sync(s);
    String other = namespace("nd-other");
    String pod = failingPod(other, "unwatched", "default", image);
    Processes.Result r = doctor(s, "--pod", other + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusion(r))
        .isEqualTo(
            "namespace "
                + other
                + " is not in watch-namespace ("
                + s.cfg
                + "/acr-configuration); add it or use a selector");
  }

  @Test
  void serviceAccountNotIncluded() throws Exception {
    Scenario s = scenario(Map.of());
    sync(s);
    String pod = failingPod(s.ns, "builder-pod", "builder", image);
    Processes.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusion(r))
        .startsWith("ServiceAccount " + s.ns + "/builder is not in service-account (" + s.cfg)
        .contains("add builder there");
  }

  @Test
  void imageHostNotConfigured() throws Exception {
    Scenario s = scenario(Map.of());
    sync(s);
    String pod = failingPod(s.ns, "other-host", "default", otherImage);
    Processes.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusion(r))
        .startsWith("image host " + OTHER + " is not a domain of any registry in acr-registry-info")
        .contains("add its instance with domains: " + OTHER);
  }

  @Test
  void podOlderThanTheServiceAccountPatch() throws Exception {
    Scenario s = scenario(Map.of());
    String pod = failingPod(s.ns, "early", "default", image);
    sync(s);
    assertThat(pullSecretNames(s.ns, "default")).contains(s.secret);
    Processes.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.stdout()).contains("passed          service account pull secrets");
    assertThat(conclusion(r))
        .contains(
            "Pod "
                + s.ns
                + "/"
                + pod
                + " was created before its ServiceAccount listed the pull Secret "
                + s.secret)
        .contains("delete the Pod so its owner recreates it, or enable the webhook");
  }

  @Test
  void secretOwnedBySomeoneElse() throws Exception {
    Scenario s = scenario(Map.of());
    core.createNamespacedSecret(s.ns, DoctorFixture.unmanagedPullSecret(s.secret)).execute();
    sync(s, CliException.FAILURE);
    assertThat(outputs.get(outputs.size() - 1))
        .contains("left without a working pull Secret by a clash");
    String pod = failingPod(s.ns, "clash", "default", image);
    Processes.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusion(r))
        .startsWith(
            "Secret " + s.ns + "/" + s.secret + " is not managed by acr-credential: a clash");
  }

  @Test
  void tokenRevokedIsARegistry401() throws Exception {
    Scenario s = scenario(Map.of());
    sync(s);
    cloud.acr().revokeIssuedTokens();
    String pod = failingPod(s.ns, "revoked", "default", image);
    Processes.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.stdout()).contains("passed          acr");
    assertThat(conclusion(r))
        .startsWith(
            "the registry rejected the token in Secret " + s.ns + "/" + s.secret + " (401)");
  }

  /**
   * A login that really expired: the refresher wrote a short-lived login (FakeAcr issues it with an
   * 8-s life) into its Secret as it writes every login (data and {@code expires-at}), then stopped
   * before renewing it. The registry's token service refuses it once it expired (not revoked: no
   * revocation after it was issued), the kubelet's pull fails with 401, and doctor names the
   * expiry.
   */
  @Test
  void tokenExpiredIsARegistry401() throws Exception {
    Scenario s = scenario(Map.of());
    sync(s);
    IssuedToken login;
    cloud.acr().setTokenLifetime(Duration.ofSeconds(8));
    try {
      login = cloud.acr().issueLogin(AK, INSTANCE.instanceId());
    } finally {
      cloud.acr().setTokenLifetime(Duration.ofHours(1));
    }
    V1Secret secret = core.readNamespacedSecret(s.secret, s.ns).execute();
    assertThat(secret.getMetadata().getLabels())
        .containsEntry(PullSecretSync.MANAGED_LABEL, "true");
    secret.putDataItem(
        ".dockerconfigjson",
        DockerConfig.encode(
            new RegistryCredential(
                login.username(), login.password(), login.expiresAt(), List.of(DOMAIN))));
    secret
        .getMetadata()
        .putAnnotationsItem(PullSecretSync.EXPIRES_AT_ANNOTATION, login.expiresAt().toString());
    core.replaceNamespacedSecret(s.secret, s.ns, secret).execute();
    assertThat(cloud.acr().validLogin(login.username(), login.password()))
        .as("the login is good when written")
        .isPresent();
    long wait = Duration.between(Instant.now(), login.expiresAt()).toMillis() + 500;
    if (wait > 0) {
      Thread.sleep(wait);
    }
    assertThat(cloud.acr().validLogin(login.username(), login.password())).isEmpty();
    String pod = failingPod(s.ns, "expired", "default", registry.pushNew(DOMAIN, "team/app"));
    Processes.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusionLines(r))
        .containsExactly(
            "the token in Secret "
                + s.ns
                + "/"
                + s.secret
                + " expired at "
                + login.expiresAt()
                + ": the refresher did not renew it;",
            "check that it runs and leads ('acr-credential status') and read its log");
    assertThat(r.stdout()).doesNotContain("revoked");
  }

  @Test
  void acrRefusingWithForbiddenRam() throws Exception {
    Scenario s = scenario(Map.of());
    sync(s);
    cloud.acr().revokeIssuedTokens();
    cloud.acr().failAlways(FakeApi.GET_AUTHORIZATION_TOKEN, Failure.error("Forbidden.RAM"));
    try {
      String pod = failingPod(s.ns, "forbidden", "default", image);
      Processes.Result r = doctor(s, "--pod", s.ns + "/" + pod);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      List<String> lines = conclusionLines(r);
      assertThat(lines.get(0)).contains("the registry rejected Secret " + s.ns + "/" + s.secret);
      assertThat(lines.get(1))
          .isEqualTo(
              "ACR refuses tokens [Forbidden.RAM]: grant cr:GetAuthorizationToken on instance "
                  + INSTANCE.instanceId()
                  + " (acs:cr:cn-hangzhou:*:instance/"
                  + INSTANCE.instanceId()
                  + ")");
    } finally {
      cloud.acr().clearFailures();
    }
  }

  /**
   * The webhook is there to add the pull Secret to Pods created before the refresher patched their
   * ServiceAccount; registered (failurePolicy Ignore) but with no endpoint, it let this Pod through
   * without it. Its Service is headless: the API server refuses to call it without sending any
   * traffic.
   */
  @Test
  void webhookRegisteredButUnreachable() throws Exception {
    Scenario s = scenario(Map.of());
    String name = "node-doctor-" + suffix;
    V1Service service = DoctorFixture.endpointlessWebhookService(suffix);
    service.getSpec().clusterIP("None");
    core.createNamespacedService(s.cfg, service).execute();
    AdmissionregistrationV1Api admission = new AdmissionregistrationV1Api(server.adminClient());
    admission
        .createMutatingWebhookConfiguration(
            new V1MutatingWebhookConfiguration()
                .metadata(new V1ObjectMeta().name(name))
                .webhooks(
                    List.of(
                        DoctorFixture.podWebhookToService(s.cfg)
                            .timeoutSeconds(2)
                            .namespaceSelector(
                                new V1LabelSelector()
                                    .matchLabels(Map.of("kubernetes.io/metadata.name", s.ns))))))
        .execute();
    try {
      String pod = failingPod(s.ns, "unhooked", "default", image);
      sync(s);
      Processes.Result r =
          doctor(s, "--pod", s.ns + "/" + pod, "--webhook-configuration-name", name);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(conclusionLines(r))
          .containsExactly(
              "webhook pods.acr-credential.io is registered but Service "
                  + s.cfg
                  + "/webhook has no ready endpoint;",
              "with failurePolicy Ignore Pods are created without the webhook's pull Secrets;",
              "start the refresher with its certificate files (deploy/webhook-cert-manager) or"
                  + " delete the registration");
    } finally {
      admission.deleteMutatingWebhookConfiguration(name).execute();
    }
  }

  /**
   * A namespace no refresher watches, relying on the kubelet plugin, whose matchImages (the shipped
   * ones: ACR host names) do not list the instance's custom domain: the kubelet pulls anonymously.
   * Doctor, told the kubelet's configuration, names the plugin.
   */
  @Test
  void kubeletPluginNotMatchingTheImage() throws Exception {
    Scenario s = scenario(Map.of());
    sync(s);
    String other = namespace("nd-plugin");
    String pod = failingPod(other, "plugin", "default", image);
    Processes.Result r =
        doctor(
            s,
            "--pod",
            other + "/" + pod,
            "--credential-provider-config",
            providerConfig.toString());
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.stdout()).contains("failed          namespace");
    assertThat(conclusionLines(r))
        .containsExactly(
            "no matchImages pattern in " + providerConfig + " matches " + DOMAIN + ";",
            "add \"" + DOMAIN + "\" to the acr-credential provider's matchImages (a port must be",
            "written in the pattern too) and restart the kubelet");
  }

  // ---------------------------------------------------------------- scaffolding

  /** A scenario's namespaces: the ConfigMap's (also the instance name) and the workload's. */
  record Scenario(String cfg, String ns, String secret) {}

  Scenario scenario(Map<String, String> extra) throws Exception {
    String ns = namespace("nd");
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace", ns);
    data.put("service-account", "default");
    data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE.instanceId(), DOMAIN));
    data.putAll(extra);
    String cfg = AcrConfigMaps.create(server, "nd-cfg", data);
    return new Scenario(cfg, ns, SecretLayout.perDomain().secretNameFor(DOMAIN));
  }

  /** A namespace with its {@code default} ServiceAccount and a {@code builder} one. */
  String namespace(String prefix) throws Exception {
    String ns = server.createNamespace(prefix);
    NodeRegistry.awaitDefaultServiceAccount(core, ns);
    core.createNamespacedServiceAccount(
            ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name("builder")))
        .execute();
    return ns;
  }

  /**
   * Creates a Pod and waits until the kubelet reports its pull failed (ErrImagePull or
   * ImagePullBackOff, the registry answering 401).
   */
  String failingPod(String ns, String name, String serviceAccount, String ref) throws Exception {
    V1Pod pod = NodeRegistry.pod(node, name, ref);
    pod.getSpec().serviceAccountName(serviceAccount);
    long t0 = System.nanoTime();
    core.createNamespacedPod(ns, pod).execute();
    String failure = node.awaitPullFailure(ns, name, NodeRegistry.POD_START);
    System.out.printf(
        "[node-doctor] Pod %s/%s: pull failed after %d ms%n",
        ns, name, (System.nanoTime() - t0) / 1_000_000);
    assertThat(failure).contains("401 Unauthorized");
    String reason = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      V1Pod p = core.readNamespacedPod(name, ns).execute();
      List<V1ContainerStatus> statuses =
          p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
      if (statuses != null
          && !statuses.isEmpty()
          && statuses.get(0).getState() != null
          && statuses.get(0).getState().getWaiting() != null) {
        reason = statuses.get(0).getState().getWaiting().getReason();
        if ("ErrImagePull".equals(reason) || "ImagePullBackOff".equals(reason)) {
          return name;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("Pod " + ns + "/" + name + " waits with reason " + reason);
  }

  List<String> pullSecretNames(String ns, String sa) throws ApiException {
    V1ServiceAccount account = core.readNamespacedServiceAccount(sa, ns).execute();
    return account.getImagePullSecrets() == null
        ? List.of()
        : account.getImagePullSecrets().stream().map(V1LocalObjectReference::getName).toList();
  }

  Map<String, String> env() {
    return FakeCloudEnv.env(tmp.resolve("home"), server.kubeconfig(), cloud, AK, AK_SECRET);
  }

  /** {@code sync --once} in-process, as the refresher would write the Secret and patch. */
  void sync(Scenario s) {
    sync(s, 0);
  }

  /**
   * {@code sync --once} expecting this exit code ({@code sync --once} fails when a clash leaves a
   * namespace without its pull Secret).
   */
  void sync(Scenario s, int expectedExit) {
    CliHarness.Result r =
        DoctorFixture.runInProcess(
            env(),
            tmp,
            "sync",
            "--once",
            "--configmap",
            s.cfg + "/acr-configuration",
            "--instance",
            s.cfg);
    String output = r.stdout() + r.stderr();
    record(output);
    assertThat(r.exit()).as(output).isEqualTo(expectedExit);
  }

  /** The program as a user runs it with a kubeconfig, in text and in JSON: both must agree. */
  Processes.Result doctor(Scenario s, String... args) throws Exception {
    List<String> options =
        new ArrayList<>(
            List.of(
                "doctor",
                "--configmap",
                s.cfg + "/acr-configuration",
                "--instance",
                s.cfg,
                "--refresher-service-account",
                "kube-system/" + refresher));
    if (!List.of(args).contains("--webhook-configuration-name")) {
      options.addAll(List.of("--webhook-configuration-name", "node-doctor-none-" + suffix));
    }
    options.addAll(List.of(args));
    List<String> jsonOptions = new ArrayList<>(options);
    jsonOptions.addAll(List.of("--output", "json"));
    long t0 = System.nanoTime();
    // both at once: the class's run time is mostly these JVM starts
    CompletableFuture<Processes.Result> jsonRun =
        CompletableFuture.supplyAsync(() -> runProgram(jsonOptions));
    Processes.Result text = runProgram(options);
    Processes.Result json = jsonRun.join();
    long t1 = System.nanoTime();
    JsonNode report = new ObjectMapper().readTree(json.stdout());
    assertThat(json.exit()).as(json.toString()).isEqualTo(text.exit());
    assertThat(report.path("exitCode").asInt()).as(json + "\n" + text).isEqualTo(text.exit());
    List<String> lines = new ArrayList<>();
    report.path("conclusion").forEach(n -> lines.add(n.asText()));
    if (text.exit() != 0) {
      assertThat(lines).isEqualTo(conclusionLines(text));
    }
    System.out.printf(
        "[node-doctor] doctor text and json %d ms, exit %d: %s%n",
        (t1 - t0) / 1_000_000, text.exit(), String.join(" / ", lines));
    return text;
  }

  /**
   * The program as installed on a node ({@code bin/acr-credential} of the node bundle: its Java
   * runtime and AppCDS archive), trusting the registry's CA through the launcher's documented
   * {@code ACR_CREDENTIAL_JAVA_OPTS}.
   */
  Processes.Result runProgram(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(bin.resolve("acr-credential").toString());
    cmd.addAll(args);
    Map<String, String> env = env();
    env.put(
        "ACR_CREDENTIAL_JAVA_OPTS",
        "-Djavax.net.ssl.trustStore="
            + trustStore
            + " -Djavax.net.ssl.trustStoreType=PKCS12"
            + " -Djavax.net.ssl.trustStorePassword=changeit");
    Processes.Result r = Processes.run(cmd, env, "");
    record(r.stdout() + r.stderr());
    return r;
  }

  /** The registry's CA in a trust store of its own (the JDK's stays untouched). */
  Path trustStore(String caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry(
        "test-ca",
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.UTF_8))));
    Path file = tmp.resolve("truststore.p12");
    try (OutputStream out = Files.newOutputStream(file)) {
      ks.store(out, "changeit".toCharArray());
    }
    return file;
  }

  static List<String> conclusionLines(Processes.Result r) {
    return DoctorFixture.conclusionLines(r.stdout());
  }

  static String conclusion(Processes.Result r) {
    return String.join(" ", conclusionLines(r));
  }

  void record(String output) {
    outputs.add(output);
    assertNoSecret(output);
  }

  /** No output holds the AccessKey secret or any password ACR issued (plain or in Basic form). */
  void assertNoSecret(String output) {
    assertThat(output).doesNotContain(AK_SECRET);
    for (IssuedToken t : cloud.acr().issuedTokens()) {
      String basic =
          Base64.getEncoder()
              .encodeToString((t.username() + ":" + t.password()).getBytes(StandardCharsets.UTF_8));
      assertThat(output).doesNotContain(t.password()).doesNotContain(basic);
    }
  }

  /** Checked again at the end: tokens issued after an output was taken count too. */
  void noOutputHeldASecret() {
    assertThat(outputs).as("outputs recorded").isNotEmpty();
    assertThat(cloud.acr().issuedTokens()).isNotEmpty();
    outputs.forEach(this::assertNoSecret);
  }
}
