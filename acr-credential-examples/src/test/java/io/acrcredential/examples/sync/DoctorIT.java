package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.examples.AcrConfigMaps;
import io.acrcredential.examples.CliHarness;
import io.acrcredential.examples.DoctorFixture;
import io.acrcredential.examples.FakeCloudEnv;
import io.acrcredential.examples.HtpasswdRegistry;
import io.acrcredential.examples.Processes;
import io.acrcredential.examples.SyncProcess;
import io.acrcredential.examples.TestNamespaces;
import io.acrcredential.examples.doctor.Doctor;
import io.acrcredential.examples.doctor.DoctorReport;
import io.acrcredential.examples.util.Json;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.SecretLayout;
import io.acrcredential.k8s.config.WebhookSettings;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.RbacAuthorizationV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.RbacV1Subject;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerState;
import io.kubernetes.client.openapi.models.V1ContainerStateWaiting;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LeaseSpec;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1PodStatus;
import io.kubernetes.client.openapi.models.V1PolicyRule;
import io.kubernetes.client.openapi.models.V1Role;
import io.kubernetes.client.openapi.models.V1RoleBinding;
import io.kubernetes.client.openapi.models.V1RoleRef;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code doctor} and {@code status} against the real API server, the fake ACR and Debian's {@code
 * docker-registry} (htpasswd) on loopback, mapped to an Enterprise Edition instance as a custom
 * domain. Each failure that needs no kubelet is created for real and the conclusion asserted; every
 * output is scanned for secret values.
 */
@WithKubeApiServer
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class DoctorIT {

  static final String AK = "LTAI5tDoctorIt00001";
  static final String AK_SECRET = "doctorItSecret0123456789abc";
  static final String INSTANCE = "cri-doctorit01";
  static final String USER = FakeCloudEnv.TOKEN_USER;
  static final String PASSWORD = "doctor-It-Registry-Password-42";
  static final String REVOKED = "doctor-It-Revoked-Password-77";

  private final LocalKubeApiServer server;
  private final CoreV1Api core;
  private final List<String> outputs = new CopyOnWriteArrayList<>();
  private final String suffix = UUID.randomUUID().toString().substring(0, 6);
  private final String refresher = "doctor-refresher-" + suffix;
  private FakeAlibabaCloud cloud;
  private Path tmp;
  private HtpasswdRegistry registry;
  private String host;

  DoctorIT(LocalKubeApiServer server) {
    this.server = server;
    this.core = new CoreV1Api(server.adminClient());
  }

  @BeforeAll
  void start() throws Exception {
    cloud =
        FakeCloudEnv.start(
            AK, AK_SECRET, AcrInstance.of(INSTANCE, "doctorit", "cn-hangzhou"), PASSWORD);
    tmp = Files.createTempDirectory("acr-doctor");
    registry = HtpasswdRegistry.start(tmp, USER, PASSWORD, "doctor-it");
    host = registry.host();
    registry.pushTinyImage("team/app", "1");

    grantRefresher(server.adminClient(), refresher);
  }

  /**
   * Creates the refresher's ServiceAccount {@code kube-system/NAME} with what the sync needs
   * (Secrets in any namespace: test domains vary), for doctor's RBAC check.
   */
  public static void grantRefresher(ApiClient admin, String refresher) throws ApiException {
    CoreV1Api core = new CoreV1Api(admin);
    RbacAuthorizationV1Api rbac = new RbacAuthorizationV1Api(admin);
    core.createNamespacedServiceAccount(
            "kube-system", new V1ServiceAccount().metadata(new V1ObjectMeta().name(refresher)))
        .execute();
    rbac.createClusterRole(
            new V1ClusterRole()
                .metadata(new V1ObjectMeta().name(refresher))
                .rules(
                    List.of(
                        new V1PolicyRule()
                            .apiGroups(List.of(""))
                            .resources(List.of("secrets"))
                            .verbs(List.of("create", "get", "update")),
                        new V1PolicyRule()
                            .apiGroups(List.of(""))
                            .resources(List.of("serviceaccounts"))
                            .verbs(List.of("get", "update")))))
        .execute();
    rbac.createClusterRoleBinding(
            new V1ClusterRoleBinding()
                .metadata(new V1ObjectMeta().name(refresher))
                .roleRef(
                    new V1RoleRef()
                        .apiGroup("rbac.authorization.k8s.io")
                        .kind("ClusterRole")
                        .name(refresher))
                .subjects(
                    List.of(
                        new RbacV1Subject()
                            .kind("ServiceAccount")
                            .name(refresher)
                            .namespace("kube-system"))))
        .execute();
  }

  @AfterAll
  void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
    if (cloud != null) {
      cloud.close();
    }
    if (tmp != null) {
      try (var files = Files.walk(tmp)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  // ---------------------------------------------------------------- the failures, one by one

  @Test
  void healthyPodExitsZeroThroughTheJar() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    String pod = pod(s.ns, "web", "default", host + "/team/app:1");
    Path plugin = tmp.resolve("providers-" + suffix + ".yaml");
    // the kubelet compares ports literally: the pattern names this registry's port
    Files.writeString(plugin, providerConfig("\"*.*.cr.aliyuncs.com\"", "\"" + host + "\""));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(SyncProcess.jar().toString());
    cmd.addAll(doctorArgs(s));
    cmd.addAll(
        List.of("--pod", s.ns + "/" + pod, "--credential-provider-config", plugin.toString()));
    Processes.Result r = Processes.run(cmd, env(), "");
    record(r.stdout() + r.stderr());
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.stdout())
        .contains("passed          registry login")
        .contains("passed          kubelet plugin")
        .contains("no problem found");
    assertThat(r.stdout()).doesNotContain("failed ");
  }

  @Test
  void namespaceNotWatched() throws Exception {
    Setup s = setup("default", "default");
    String other = server.createNamespace("dr-other");
    CliHarness.Result r = doctor(s, "--image", host + "/team/app:1", "--namespace", other);
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
    Setup s = setup("default", "default");
    sync(s);
    CliHarness.Result r =
        doctor(
            s,
            "--image",
            host + "/team/app:1",
            "--namespace",
            s.ns,
            "--service-account",
            "builder");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusion(r))
        .startsWith("ServiceAccount " + s.ns + "/builder is not in service-account (" + s.cfg)
        .contains("add builder there");
  }

  @Test
  void imageHostNotConfigured() throws Exception {
    Setup s = setup("default", "default");
    CliHarness.Result r =
        doctor(
            s,
            "--image",
            "other-registry.cn-hangzhou.cr.aliyuncs.com/team/app:1",
            "--namespace",
            s.ns);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.stdout())
        .contains("is ACR Enterprise Edition instance other in cn-hangzhou (public)");
    assertThat(conclusion(r))
        .startsWith(
            "image host other-registry.cn-hangzhou.cr.aliyuncs.com is not a domain of any registry")
        .contains("add its instance with domains: other-registry.cn-hangzhou.cr.aliyuncs.com");
  }

  @Test
  void podOlderThanTheServiceAccountPatch() throws Exception {
    Setup s = setup("default", "default");
    String pod = pod(s.ns, "early", "default", host + "/team/app:1");
    sync(s);
    CliHarness.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.stdout()).contains("passed          service account pull secrets");
    assertThat(conclusion(r))
        .contains("Pod " + s.ns + "/" + pod + " was created before its ServiceAccount listed")
        .contains("delete the Pod so its owner recreates it, or enable the webhook");
  }

  @Test
  void secretOwnedBySomeoneElse() throws Exception {
    Setup s = setup("default", "default");
    core.createNamespacedSecret(s.ns, DoctorFixture.unmanagedPullSecret(s.secret)).execute();
    sync(s);
    CliHarness.Result r = doctor(s, "--image", host + "/team/app:1", "--namespace", s.ns);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusion(r))
        .startsWith(
            "Secret " + s.ns + "/" + s.secret + " is not managed by acr-credential: a clash");
  }

  /** A Secret as Alibaba's helper writes it: one temporary login for one domain, no labels. */
  V1Secret alibabas(Setup s, String password) {
    String auth =
        Base64.getEncoder()
            .encodeToString((USER + ":" + password).getBytes(StandardCharsets.UTF_8));
    String json =
        "{\"auths\":{\""
            + host
            + "\":{\"username\":\""
            + USER
            + "\",\"password\":\""
            + password
            + "\",\"auth\":\""
            + auth
            + "\"}}}";
    return new V1Secret()
        .metadata(new V1ObjectMeta().name(s.secret))
        .type("kubernetes.io/dockerconfigjson")
        .data(Map.of(".dockerconfigjson", json.getBytes(StandardCharsets.UTF_8)));
  }

  /** Alibaba's helper's Secret and its ServiceAccount entry, before the refresher reconciles. */
  void alibabasHelperWrote(Setup s, String password) throws ApiException {
    core.createNamespacedSecret(s.ns, alibabas(s, password)).execute();
    V1ServiceAccount sa = core.readNamespacedServiceAccount("default", s.ns).execute();
    sa.addImagePullSecretsItem(new V1LocalObjectReference().name(s.secret));
    core.replaceNamespacedServiceAccount("default", s.ns, sa).execute();
  }

  @Test
  void alibabasSecretIsNotAClash() throws Exception {
    Setup s = setup("default", "default");
    alibabasHelperWrote(s, PASSWORD);
    CliHarness.Result r = doctor(s, "--image", host + "/team/app:1", "--namespace", s.ns);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.stdout())
        .containsPattern(
            "passed +secret +"
                + java.util.regex.Pattern.quote(
                    "Secret "
                        + s.ns
                        + "/"
                        + s.secret
                        + " was written by Alibaba's helper; the refresher (instance "
                        + s.cfg
                        + ") takes it over at its next reconcile"))
        .contains("passed          registry login")
        .doesNotContain("clash");
  }

  @Test
  void alibabasRejectedTokenNamesTheTakeOver() throws Exception {
    Setup s = setup("default", "default");
    alibabasHelperWrote(s, REVOKED);
    CliHarness.Result r = doctor(s, "--image", host + "/team/app:1", "--namespace", s.ns);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusionLines(r))
        .containsExactly(
            "the registry rejected the token Alibaba's helper wrote in Secret "
                + s.ns
                + "/"
                + s.secret
                + " (401);",
            "the refresher takes the Secret over at its next reconcile: check that it runs and",
            "leads ('acr-credential status') and read its log");
  }

  @Test
  void alibabasSecretWithTakeOverOffNamesTheKey() throws Exception {
    Setup s = setup("default", "default");
    Map<String, String> data = config(s.ns, "default");
    data.put("take-over-alibaba-secrets", "false");
    AcrConfigMaps.replace(core, s.cfg, data);
    alibabasHelperWrote(s, PASSWORD);
    CliHarness.Result r = doctor(s, "--image", host + "/team/app:1", "--namespace", s.ns);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusionLines(r))
        .containsExactly(
            "Secret "
                + s.ns
                + "/"
                + s.secret
                + " was written by Alibaba's helper and take-over-alibaba-secrets",
            "is false ("
                + s.cfg
                + "/acr-configuration): set it to true so the refresher takes the"
                + " Secret over,",
            "or delete the Secret so the refresher writes it");
  }

  @Test
  void tokenRevokedIsARegistry401() throws Exception {
    Setup s = setup("default", "default");
    cloud.acr().useFixedToken(USER, REVOKED);
    try {
      sync(s);
    } finally {
      cloud.acr().useFixedToken(USER, PASSWORD);
    }
    CliHarness.Result r = doctor(s, "--image", host + "/team/app:1", "--namespace", s.ns);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.stdout()).contains("passed          acr");
    assertThat(conclusion(r))
        .startsWith(
            "the registry rejected the token in Secret " + s.ns + "/" + s.secret + " (401)");
  }

  @Test
  void tokenExpiredPerOurAnnotation() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    V1Secret secret = core.readNamespacedSecret(s.secret, s.ns).execute();
    secret.getMetadata().putAnnotationsItem("acr-credential.io/expires-at", "2020-01-01T00:00:00Z");
    core.replaceNamespacedSecret(s.secret, s.ns, secret).execute();
    CliHarness.Result r = doctor(s, "--image", host + "/team/app:1", "--namespace", s.ns);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusion(r))
        .startsWith(
            "the token in Secret "
                + s.ns
                + "/"
                + s.secret
                + " expired at 2020-01-01T00:00:00Z: the refresher did not renew it");
  }

  @Test
  void acrRefusingWithForbiddenRam() throws Exception {
    Setup s = setup("default", "default");
    cloud.acr().useFixedToken(USER, REVOKED);
    try {
      sync(s);
      cloud.acr().failAlways(FakeApi.GET_AUTHORIZATION_TOKEN, Failure.error("Forbidden.RAM"));
      CliHarness.Result r = doctor(s, "--image", host + "/team/app:1", "--namespace", s.ns);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      List<String> lines = conclusionLines(r);
      assertThat(lines).hasSizeLessThanOrEqualTo(3);
      assertThat(lines.get(0)).contains("the registry rejected Secret " + s.ns + "/" + s.secret);
      assertThat(lines.get(1))
          .isEqualTo(
              "ACR refuses tokens [Forbidden.RAM]: grant cr:GetAuthorizationToken on instance "
                  + INSTANCE
                  + " (acs:cr:cn-hangzhou:*:instance/"
                  + INSTANCE
                  + ")");
      // the ConfigMap names no AccessKey: ACR is asked with this process's default chain
      assertThat(lines.get(2)).isEqualTo("to the default credential chain of this process");
    } finally {
      cloud.acr().clearFailures();
      cloud.acr().useFixedToken(USER, PASSWORD);
    }
  }

  /**
   * An Enterprise instance configured without domains: ACR's answer says which hosts it serves;
   * when ACR refuses, the region's only such instance is assumed and the ACR check says why. The
   * host is an ACR name, so no registry login (it would leave loopback).
   */
  @Test
  void instanceWithoutListedDomainsIsMatchedThroughAcr() throws Exception {
    String ns = namespace("dr-ee");
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace", ns);
    data.put("service-account", "default");
    data.put(
        "acr-registry-info", "- instanceId: \"" + INSTANCE + "\"\n  regionId: \"cn-hangzhou\"\n");
    String cfg = AcrConfigMaps.create(server, "dr-cfg", data);
    Setup s = new Setup(cfg, ns, "");
    sync(s);
    String image = "doctorit-registry-vpc.cn-hangzhou.cr.aliyuncs.com/team/app:1";
    CliHarness.Result ok = doctor(s, "--image", image, "--namespace", ns, "--skip-registry-login");
    assertThat(ok.exit()).as(ok.toString()).isZero();
    assertThat(ok.stdout())
        .contains(
            "doctorit-registry-vpc.cn-hangzhou.cr.aliyuncs.com is a domain of enterprise "
                + INSTANCE
                + " in cn-hangzhou (acr-registry-info[0]) (as ACR lists it)")
        .contains("not applicable  registry login");
    cloud.acr().failAlways(FakeApi.GET_AUTHORIZATION_TOKEN, Failure.error("Forbidden.RAM"));
    try {
      CliHarness.Result refused =
          doctor(s, "--image", image, "--namespace", ns, "--skip-registry-login");
      assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
      assertThat(refused.stdout()).contains("is assumed to be a domain of enterprise " + INSTANCE);
      assertThat(conclusionLines(refused).get(0))
          .startsWith("ACR refuses tokens [Forbidden.RAM]: grant cr:GetAuthorizationToken");
    } finally {
      cloud.acr().clearFailures();
    }
  }

  @Test
  void webhookRegisteredButUnreachable() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    String name = "doctor-it-" + suffix;
    core.createNamespacedService(s.cfg, DoctorFixture.endpointlessWebhookService(suffix)).execute();
    new AdmissionregistrationV1Api(server.adminClient())
        .createMutatingWebhookConfiguration(
            new V1MutatingWebhookConfiguration()
                .metadata(new V1ObjectMeta().name(name))
                .webhooks(
                    List.of(
                        DoctorFixture.podWebhookToService(s.cfg)
                            .objectSelector(
                                new V1LabelSelector().matchLabels(Map.of("doctor-it", suffix))))))
        .execute();
    try {
      CliHarness.Result r =
          doctor(
              s,
              "--image",
              host + "/team/app:1",
              "--namespace",
              s.ns,
              "--webhook-configuration-name",
              name);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(conclusionLines(r))
          .containsExactly(
              "webhook pods.acr-credential.io is registered but Service "
                  + s.cfg
                  + "/webhook has no ready endpoint;",
              "with failurePolicy Ignore Pods are created without the webhook's pull Secrets;",
              "start the refresher with its certificate files (deploy/webhook-cert-manager) or"
                  + " delete the registration");

      // the registration lacks the entry doctor is told to look for
      CliHarness.Result noEntry =
          doctor(
              s,
              "--image",
              host + "/team/app:1",
              "--namespace",
              s.ns,
              "--webhook-configuration-name",
              name,
              "--webhook-name",
              "other.acr-credential.io");
      assertThat(noEntry.exit()).as(noEntry.toString()).isEqualTo(1);
      assertThat(noEntry.stdout())
          .contains(
              "MutatingWebhookConfiguration " + name + " has no entry other.acr-credential.io");
      assertThat(conclusionLines(noEntry))
          .containsExactly(
              "MutatingWebhookConfiguration " + name + " has no webhook other.acr-credential.io;",
              "re-apply deploy/webhook/mutatingwebhook.yaml or pass --webhook-name");
    } finally {
      new AdmissionregistrationV1Api(server.adminClient())
          .deleteMutatingWebhookConfiguration(name)
          .execute();
    }
  }

  /** The certificate Secret as the refresher writes it (SelfIssuedCertificate). */
  V1Secret certificateSecret(String name, WebhookCertificates.State state, boolean labelled) {
    Map<String, String> labels = new HashMap<>();
    labels.put("app.kubernetes.io/managed-by", "acr-credential");
    if (labelled) {
      labels.put("acr-credential.io/webhook-certificate", "true");
    }
    return new V1Secret()
        .metadata(new V1ObjectMeta().name(name).labels(labels))
        .type("Opaque")
        .data(state.toData());
  }

  static WebhookCertificates.State issue(String namespace) {
    return WebhookCertificates.next(
        Optional.empty(),
        WebhookCertificates.Hosts.ofService(namespace, "webhook"),
        WebhookCertificates.Lifetimes.DEFAULT,
        Instant.now());
  }

  @Test
  void selfIssuedWebhookConclusionsPointAtTheRefresher() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    String name = "doctor-own-" + suffix;
    String certificate = "doctor-cert-" + suffix;
    core.createNamespacedService(s.cfg, DoctorFixture.endpointlessWebhookService(suffix)).execute();
    WebhookCertificates.State state = issue(s.cfg);
    core.createNamespacedSecret("kube-system", certificateSecret(certificate, state, true))
        .execute();
    // the very object the refresher registers, only narrowed to this test's Pods
    V1MutatingWebhookConfiguration own =
        WebhookRegistration.ownedConfiguration(
            new WebhookRegistration.Target(name, "pods.acr-credential.io"),
            new WebhookRegistration.Owned(s.cfg, Optional.empty(), "webhook", 443),
            new WebhookSettings(true, WebhookSettings.FailurePolicy.IGNORE, 5),
            state.toData().get("ca.crt"));
    own.getWebhooks()
        .get(0)
        .objectSelector(new V1LabelSelector().matchLabels(Map.of("doctor-it", suffix)));
    AdmissionregistrationV1Api admission = new AdmissionregistrationV1Api(server.adminClient());
    admission.createMutatingWebhookConfiguration(own).execute();
    String[] args = {
      "--image",
      host + "/team/app:1",
      "--namespace",
      s.ns,
      "--webhook-configuration-name",
      name,
      "--webhook-certificate-secret",
      certificate
    };
    try {
      // registered by the refresher, certificate fine, nothing serving
      CliHarness.Result r = doctor(s, args);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(r.stdout())
          .contains(
              "registered by the refresher (failurePolicy Ignore, certificate Secret kube-system/"
                  + certificate
                  + " valid until ")
          .contains(") but Service " + s.cfg + "/webhook has no ready endpoint");
      assertThat(conclusionLines(r))
          .containsExactly(
              "webhook pods.acr-credential.io is registered but Service "
                  + s.cfg
                  + "/webhook has no ready endpoint;",
              "with failurePolicy Ignore Pods are created without the webhook's pull Secrets;",
              "start the refresher (deploy/webhook: it serves with its own certificate), or set"
                  + " enable: false in webhook-configuration ("
                  + s.cfg
                  + "/acr-configuration)");

      // the refresher's registration lacks the entry doctor is told to look for
      String[] otherEntry = Arrays.copyOf(args, args.length + 2);
      otherEntry[args.length] = "--webhook-name";
      otherEntry[args.length + 1] = "other.acr-credential.io";
      r = doctor(s, otherEntry);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(r.stdout())
          .contains(
              "MutatingWebhookConfiguration "
                  + name
                  + " (the refresher's) has no entry other.acr-credential.io");
      assertThat(conclusionLines(r))
          .containsExactly(
              "MutatingWebhookConfiguration "
                  + name
                  + " is the refresher's but has no webhook other.acr-credential.io;",
              "the leading refresher repairs it at once: check that it runs and leads and read its",
              "log, or pass the refresher's --webhook-name to doctor");

      // a certificate from another CA than the registered caBundle
      core.replaceNamespacedSecret(
              certificate, "kube-system", certificateSecret(certificate, issue(s.cfg), true))
          .execute();
      r = doctor(s, args);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(conclusionLines(r))
          .containsExactly(
              "the caBundle of MutatingWebhookConfiguration " + name + " does",
              "not trust the certificate in Secret kube-system/"
                  + certificate
                  + "; with failurePolicy Ignore Pods are created without the webhook's pull"
                  + " Secrets;",
              "the leading refresher puts its CA there at once: check that it runs and leads");

      // a Secret of that name the refresher did not write
      core.replaceNamespacedSecret(
              certificate, "kube-system", certificateSecret(certificate, state, false))
          .execute();
      r = doctor(s, args);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(conclusionLines(r))
          .containsExactly(
              "Secret kube-system/"
                  + certificate
                  + " is not the refresher's certificate Secret (no label",
              "acr-credential.io/webhook-certificate), so no replica serves the webhook; with"
                  + " failurePolicy Ignore Pods are created without the webhook's pull Secrets;",
              "delete that Secret (the refresher issues its own) or give"
                  + " --webhook-certificate-secret");

      // enabled, but not registered (yet): the refresher registers it itself
      admission.deleteMutatingWebhookConfiguration(name).execute();
      Map<String, String> data = config(s.ns, "default");
      data.put("webhook-configuration", "enable: true\n");
      AcrConfigMaps.replace(core, s.cfg, data);
      r = doctor(s, args);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(conclusionLines(r))
          .containsExactly(
              "MutatingWebhookConfiguration " + name + " does not exist although",
              "webhook-configuration enables it ("
                  + s.cfg
                  + "/acr-configuration); the refresher registers it itself",
              "only with its certificate: Secret kube-system/"
                  + certificate
                  + " is not its (no label acr-credential.io/webhook-certificate); delete it or"
                  + " give --webhook-certificate-secret");
      core.deleteNamespacedSecret(certificate, "kube-system").execute();
      r = doctor(s, args);
      assertThat(conclusionLines(r).get(2))
          .isEqualTo(
              "while it leads (deploy/webhook): check that it runs and leads, read its log; with"
                  + " certificate files apply deploy/webhook-cert-manager");
    } finally {
      try {
        admission.deleteMutatingWebhookConfiguration(name).execute();
      } catch (ApiException e) {
        // deleted above
      }
      try {
        core.deleteNamespacedSecret(certificate, "kube-system").execute();
      } catch (ApiException e) {
        // deleted above
      }
    }
  }

  @Test
  void kubeletPluginNotMatchingTheImage() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    Path plugin = tmp.resolve("providers-miss-" + suffix + ".yaml");
    Files.writeString(plugin, providerConfig("\"*.cr.aliyuncs.com\"", "\"127.0.0.1\""));
    CliHarness.Result r =
        doctor(
            s,
            "--image",
            host + "/team/app:1",
            "--namespace",
            s.ns,
            "--credential-provider-config",
            plugin.toString());
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusionLines(r).get(0))
        .isEqualTo("no matchImages pattern in " + plugin + " matches " + host + ";");
  }

  @Test
  void refresherWithoutRbacIsNamed() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    CliHarness.Result r =
        doctor(
            s,
            "--image",
            host + "/team/app:1",
            "--namespace",
            s.ns,
            "--refresher-service-account",
            "kube-system/nobody-" + suffix);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(conclusion(r))
        .startsWith(
            "the refresher's ServiceAccount kube-system/nobody-"
                + suffix
                + " may not create secrets, update secrets/"
                + s.secret);
  }

  /**
   * No kubelet here: the test writes the Pod status and the Event the way the kubelet does after a
   * refused pull (the real-node harness will produce them for real).
   */
  @Test
  void kubeletReportedPullFailureIsShownWhenNothingElseExplainsIt() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    String image = host + "/team/app:1";
    String pod = pod(s.ns, "backoff", "default", image);
    V1Pod p = core.readNamespacedPod(pod, s.ns).execute();
    p.setStatus(
        new V1PodStatus()
            .phase("Pending")
            .containerStatuses(
                List.of(
                    new V1ContainerStatus()
                        .name("app")
                        .image(image)
                        .imageID("")
                        .ready(false)
                        .restartCount(0)
                        .state(
                            new V1ContainerState()
                                .waiting(
                                    new V1ContainerStateWaiting()
                                        .reason("ImagePullBackOff")
                                        .message("Back-off pulling image"))))));
    core.replaceNamespacedPodStatus(pod, s.ns, p).execute();
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    core.createNamespacedEvent(
            s.ns,
            new CoreV1Event()
                .metadata(new V1ObjectMeta().generateName(pod + "."))
                .involvedObject(
                    new V1ObjectReference()
                        .kind("Pod")
                        .namespace(s.ns)
                        .name(pod)
                        .uid(p.getMetadata().getUid()))
                .reason("Failed")
                .type("Warning")
                .firstTimestamp(now)
                .lastTimestamp(now)
                .count(1)
                .message(
                    "Failed to pull image \""
                        + image
                        + "\": failed to authorize: failed to fetch oauth token: 401 Unauthorized"))
        .execute();
    CliHarness.Result r = doctor(s, "--pod", s.ns + "/" + pod);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.stdout())
        .contains("failed          events                         kubelet: pull 401 unauthorized");
    assertThat(conclusionLines(r).get(0))
        .isEqualTo("the kubelet could not pull " + image + " (401 unauthorized);");
  }

  @Test
  void jsonOutputCarriesEveryCheck() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    CliHarness.Result r =
        doctor(s, "--image", host + "/team/app:1", "--namespace", s.ns, "--output", "json");
    assertThat(r.exit()).as(r.toString()).isZero();
    var json = Json.MAPPER.readTree(r.stdout());
    assertThat(json.get("exitCode").asInt()).isZero();
    List<String> names = new ArrayList<>();
    json.get("checks").forEach(c -> names.add(c.get("name").asText()));
    assertThat(names)
        .containsExactly(
            "image host",
            "configuration",
            "namespace",
            "service account",
            "registry",
            "acr",
            "rbac",
            "secret",
            "registry login",
            "service account pull secrets",
            "pod pull secrets",
            "webhook",
            "events",
            "kubelet plugin");
  }

  @Test
  void partialPermissionsNameTheMissingOne() throws Exception {
    Setup s = setup("default", "default");
    sync(s);
    String pod = pod(s.ns, "limited", "default", host + "/team/app:1");
    String user = "doctor-limited-" + suffix;
    RbacAuthorizationV1Api rbac = new RbacAuthorizationV1Api(server.adminClient());
    rbac.createNamespacedRole(
            s.ns,
            new V1Role()
                .metadata(new V1ObjectMeta().name("pods-only"))
                .rules(
                    List.of(
                        new V1PolicyRule()
                            .apiGroups(List.of(""))
                            .resources(List.of("pods"))
                            .verbs(List.of("get", "list")))))
        .execute();
    rbac.createNamespacedRoleBinding(
            s.ns,
            new V1RoleBinding()
                .metadata(new V1ObjectMeta().name("pods-only"))
                .roleRef(
                    new V1RoleRef()
                        .apiGroup("rbac.authorization.k8s.io")
                        .kind("Role")
                        .name("pods-only"))
                .subjects(List.of(new RbacV1Subject().kind("User").name(user))))
        .execute();
    ApiClient limited = server.clientForUser(user);
    awaitRbac(limited, s.ns);
    DoctorReport report =
        Doctor.run(
            new Doctor.Settings(
                limited,
                s.cfg,
                "acr-configuration",
                s.cfg,
                AcrConfigParser.withoutClusterRegion(),
                Optional.of(s.ns + "/" + pod),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                "kube-system/" + refresher,
                "doctor-none-" + suffix,
                "pods.acr-credential.io",
                "acr-credential-webhook-certificate",
                Optional.empty(),
                true,
                Duration.ofSeconds(5),
                Clock.systemUTC()));
    record(report.text() + report.json());
    assertThat(report.exitCode()).as(report.text()).isEqualTo(DoctorReport.NOT_CHECKED);
    assertThat(report.checks().get(1).outcome()).isEqualTo(Doctor.Outcome.UNKNOWN);
    assertThat(report.checks().get(1).detail())
        .startsWith(
            "cannot check: forbidden to get configmaps in namespace "
                + s.cfg
                + "; grant the user running doctor 'get' on configmaps in namespace "
                + s.cfg)
        .contains("User \"" + user + "\" cannot get resource \"configmaps\"");
    assertThat(report.conclusion().get(0))
        .isEqualTo("no failure found, but configuration could not be checked:");
  }

  @Test
  void statusShowsTokensNamespacesAndClashes() throws Exception {
    Setup s = setup("default", "default");
    String ns2 = namespace("dr-clash");
    AcrConfigMaps.replace(core, s.cfg, config(s.ns + "," + ns2, "default"));
    core.createNamespacedSecret(
            ns2,
            new V1Secret()
                .metadata(new V1ObjectMeta().name(s.secret))
                .type("Opaque")
                .data(Map.of("x", "y".getBytes(StandardCharsets.UTF_8))))
        .execute();
    sync(s);
    // written by Alibaba's helper after the refresher's last reconcile: not a clash
    String ns3 = namespace("dr-alibaba");
    AcrConfigMaps.replace(core, s.cfg, config(s.ns + "," + ns2 + "," + ns3, "default"));
    core.createNamespacedSecret(ns3, alibabas(s, PASSWORD)).execute();
    CliHarness.Result r =
        run(
            "status",
            "--configmap",
            s.cfg + "/acr-configuration",
            "--instance",
            s.cfg,
            "--output",
            "json");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    var json = Json.MAPPER.readTree(r.stdout());
    assertThat(json.get("tokens").get(0).get("domain").asText()).isEqualTo(host);
    assertThat(Instant.parse(json.get("tokens").get(0).get("expiresAt").asText()))
        .isAfter(Instant.now());
    assertThat(json.get("clashes").toString()).contains(ns2 + "/" + s.secret).doesNotContain(ns3);
    var third = new ArrayList<com.fasterxml.jackson.databind.JsonNode>();
    json.get("namespaces")
        .forEach(
            n -> {
              if (n.get("namespace").asText().equals(ns3)) {
                third.add(n);
              }
            });
    assertThat(third).hasSize(1);
    assertThat(third.get(0).get("alibabaSecrets").toString()).isEqualTo("[\"" + s.secret + "\"]");
    assertThat(third.get(0).get("clashingSecrets").toString()).isEqualTo("[]");
    assertThat(json.get("namespaces").toString())
        .contains("{\"namespace\":\"" + s.ns + "\",\"ok\":true");
    new CoordinationV1Api(server.adminClient())
        .createNamespacedLease(
            s.cfg,
            new V1Lease()
                .metadata(new V1ObjectMeta().name("acr-credential-sync"))
                .spec(
                    new V1LeaseSpec()
                        .holderIdentity("replica-a")
                        .leaseDurationSeconds(15)
                        .renewTime(OffsetDateTime.now(ZoneOffset.UTC))))
        .execute();
    // the refresher's own metrics text (SyncMetrics) after a refused refresh, served on loopback
    SyncMetrics metrics = new SyncMetrics(Clock.systemUTC());
    metrics.tokenFailed(
        RegistryTarget.enterprise("cn-hangzhou", INSTANCE),
        new TokenException(
            TokenException.Reason.PERMISSION_DENIED, "Forbidden.RAM", "not allowed"));
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/metrics",
        ex -> {
          byte[] body = metrics.render().getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    http.start();
    CliHarness.Result text;
    try {
      text =
          run(
              "status",
              "--configmap",
              s.cfg + "/acr-configuration",
              "--instance",
              s.cfg,
              "--metrics-url",
              "http://127.0.0.1:" + http.getAddress().getPort() + "/metrics");
    } finally {
      http.stop(0);
    }
    assertThat(text.stdout())
        .containsPattern(
            "  acr_credential_token_failures_total\\{[^}]*code=\"Forbidden.RAM\"[^}]*\\} 1");
    assertThat(text.stdout())
        .contains("leader: replica-a, renewed ")
        .contains("  " + s.ns + ": 1 Secret(s), ServiceAccounts in place")
        .contains("  " + ns2 + ": Secret " + s.secret + " CLASH (not ours: its type is not")
        .contains(
            "  "
                + ns3
                + ": Secret "
                + s.secret
                + " written by Alibaba's helper; the refresher takes it over at its next"
                + " reconcile")
        .contains("clashes: 1");
  }

  // ---------------------------------------------------------------- scaffolding

  /** The test's namespaces: the ConfigMap's (also the instance name) and the workload's. */
  record Setup(String cfg, String ns, String secret) {}

  Setup setup(String serviceAccounts, String... extra) throws Exception {
    String ns = namespace("dr");
    String cfg = AcrConfigMaps.create(server, "dr-cfg", config(ns, serviceAccounts));
    return new Setup(cfg, ns, SecretLayout.perDomain().secretNameFor(host));
  }

  Map<String, String> config(String namespaces, String serviceAccounts) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace", namespaces);
    data.put("service-account", serviceAccounts);
    data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE, host));
    return data;
  }

  String namespace(String prefix) throws ApiException {
    return TestNamespaces.withDefaultAndBuilder(server, core, prefix);
  }

  String pod(String ns, String name, String sa, String image) throws ApiException {
    V1PodSpec spec =
        new V1PodSpec()
            .serviceAccountName(sa)
            .containers(List.of(new V1Container().name("app").image(image)));
    // the client's empty overhead map is refused by the RuntimeClass plugin, and an absent
    // imagePullSecrets is what lets the ServiceAccount admission copy the ServiceAccount's list
    spec.overhead(null).nodeSelector(null).imagePullSecrets(null);
    core.createNamespacedPod(ns, new V1Pod().metadata(new V1ObjectMeta().name(name)).spec(spec))
        .execute();
    return name;
  }

  Map<String, String> env() {
    return FakeCloudEnv.env(tmp, server.kubeconfig(), cloud, AK, AK_SECRET);
  }

  /** The program in-process. */
  CliHarness.Result run(String... args) {
    CliHarness.Result r = DoctorFixture.runInProcess(env(), tmp, args);
    record(r.stdout() + r.stderr());
    return r;
  }

  void sync(Setup s) {
    run("sync", "--once", "--configmap", s.cfg + "/acr-configuration", "--instance", s.cfg);
  }

  List<String> doctorArgs(Setup s) {
    return List.of(
        "doctor",
        "--configmap",
        s.cfg + "/acr-configuration",
        "--instance",
        s.cfg,
        "--refresher-service-account",
        "kube-system/" + refresher,
        "--webhook-configuration-name",
        "doctor-none-" + suffix);
  }

  CliHarness.Result doctor(Setup s, String... args) {
    List<String> all = new ArrayList<>(doctorArgs(s));
    // an option given by the test replaces the default one
    for (int i = 1; i < all.size(); i += 2) {
      if (List.of(args).contains(all.get(i))) {
        all.remove(i);
        all.remove(i);
        i -= 2;
      }
    }
    all.addAll(List.of(args));
    return run(all.toArray(String[]::new));
  }

  static List<String> conclusionLines(CliHarness.Result r) {
    return DoctorFixture.conclusionLines(r.stdout());
  }

  static String conclusion(CliHarness.Result r) {
    return String.join(" ", conclusionLines(r));
  }

  /** Every output of this class is kept; none may hold a secret value. */
  void record(String output) {
    outputs.add(output);
    assertNoSecret(output);
  }

  static void assertNoSecret(String output) {
    String basic =
        Base64.getEncoder()
            .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    String revoked =
        Base64.getEncoder().encodeToString((USER + ":" + REVOKED).getBytes(StandardCharsets.UTF_8));
    assertThat(output)
        .doesNotContain(PASSWORD)
        .doesNotContain(REVOKED)
        .doesNotContain(AK_SECRET)
        .doesNotContain(basic)
        .doesNotContain(revoked);
  }

  @AfterAll
  void noOutputHeldASecret() {
    assertThat(outputs).as("outputs recorded").isNotEmpty();
    outputs.forEach(DoctorIT::assertNoSecret);
  }

  static String providerConfig(String... patterns) {
    return "apiVersion: kubelet.config.k8s.io/v1\n"
        + "kind: CredentialProviderConfig\n"
        + "providers:\n"
        + "  - name: acr-credential\n"
        + "    apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
        + "    defaultCacheDuration: 30m\n"
        + "    matchImages: ["
        + String.join(", ", patterns)
        + "]\n";
  }

  void awaitRbac(ApiClient client, String ns) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        new CoreV1Api(client).listNamespacedPod(ns).execute();
        return;
      } catch (ApiException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
