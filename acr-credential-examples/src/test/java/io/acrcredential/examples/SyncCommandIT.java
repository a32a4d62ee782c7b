package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real jar's {@code sync} against the real API server and the fake Alibaba Cloud. */
@WithKubeApiServer
public class SyncCommandIT {

  static final String AK = "LTAI5tSyncIt000001";
  static final String SECRET = "syncItSecret0123456789abc";
  static final String INSTANCE = "cri-syncit01";
  static final String DOMAIN = "syncit-registry.cn-hangzhou.cr.aliyuncs.com";
  static final String PASSWORD = "sync-it-password-0123";

  private final LocalKubeApiServer server;
  private final ApiClient admin;
  private final CoreV1Api core;
  private final FakeAlibabaCloud cloud;
  @TempDir Path home;

  SyncCommandIT(LocalKubeApiServer server) {
    this.server = server;
    this.admin = server.adminClient();
    this.core = new CoreV1Api(admin);
    this.cloud =
        FakeCloudEnv.start(AK, SECRET, AcrInstance.of(INSTANCE, "syncit", "cn-hangzhou"), PASSWORD);
  }

  @AfterEach
  void stopCloud() {
    cloud.close();
  }

  Map<String, String> env() {
    return FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);
  }

  /** A namespace with ServiceAccounts {@code default} and {@code builder}. */
  String namespace(String prefix) throws ApiException {
    return TestNamespaces.withDefaultAndBuilder(server, core, prefix);
  }

  static Map<String, String> config(String namespaces, String threshold) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace", namespaces);
    data.put("service-account", "default,builder");
    data.put("expiring-threshold", threshold);
    data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE, DOMAIN));
    return data;
  }

  Optional<V1Secret> pullSecret(String ns) throws ApiException {
    try {
      return Optional.of(core.readNamespacedSecret(DockerConfig.secretName(DOMAIN), ns).execute());
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  List<String> imagePullSecrets(String ns, String sa) throws ApiException {
    V1ServiceAccount a = core.readNamespacedServiceAccount(sa, ns).execute();
    return a.getImagePullSecrets() == null
        ? List.of()
        : a.getImagePullSecrets().stream().map(V1LocalObjectReference::getName).toList();
  }

  public static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  public interface Check {
    boolean test() throws Exception;
  }

  public static BooleanSupplier quietly(Check c) {
    return () -> {
      try {
        return c.test();
      } catch (Exception e) {
        return false;
      }
    };
  }

  @Test
  void onceWritesPullSecretsAndPatchesServiceAccounts() throws Exception {
    String ns1 = namespace("once");
    String ns2 = namespace("once");
    String cfg = AcrConfigMaps.create(server, "cfg", config(ns1 + "," + ns2, "15m"));

    Processes.Result r =
        Processes.run(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                SyncProcess.jar().toString(),
                "sync",
                "--once",
                "--configmap",
                cfg + "/acr-configuration",
                "--instance",
                cfg),
            env(),
            "");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.stdout())
        .contains("synced 2 namespace(s) in scope: 2 Secret(s) created")
        .contains("4 ServiceAccount(s) patched");
    assertThat(r.stderr()).as("no log noise with --once").isEmpty();
    for (String ns : List.of(ns1, ns2)) {
      V1Secret s = pullSecret(ns).orElseThrow();
      assertThat(s.getType()).isEqualTo("kubernetes.io/dockerconfigjson");
      DockerConfig dc = DockerConfig.decode(s.getData().get(".dockerconfigjson"));
      assertThat(dc.toString()).doesNotContain(PASSWORD);
      assertThat(new String(s.getData().get(".dockerconfigjson"), StandardCharsets.UTF_8))
          .contains(DOMAIN)
          .contains(PASSWORD);
      assertThat(imagePullSecrets(ns, "default")).contains(DockerConfig.secretName(DOMAIN));
      assertThat(imagePullSecrets(ns, "builder")).contains(DockerConfig.secretName(DOMAIN));
    }
    assertThat(cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isEqualTo(1);
  }

  /** What Alibaba's helper leaves in a namespace: its Secret for DOMAIN, listed by the SA. */
  private void alibabaSecret(String ns, String username) throws ApiException {
    String auth =
        java.util.Base64.getEncoder()
            .encodeToString((username + ":old-token").getBytes(StandardCharsets.UTF_8));
    String json =
        "{\"auths\":{\""
            + DOMAIN
            + "\":{\"username\":\""
            + username
            + "\",\"password\":\"old-token\",\"auth\":\""
            + auth
            + "\"}}}";
    core.createNamespacedSecret(
            ns,
            new V1Secret()
                .metadata(new V1ObjectMeta().name(DockerConfig.secretName(DOMAIN)))
                .type("kubernetes.io/dockerconfigjson")
                .data(Map.of(".dockerconfigjson", json.getBytes(StandardCharsets.UTF_8))))
        .execute();
    V1ServiceAccount sa = core.readNamespacedServiceAccount("default", ns).execute();
    sa.setImagePullSecrets(
        List.of(new V1LocalObjectReference().name(DockerConfig.secretName(DOMAIN))));
    core.replaceNamespacedServiceAccount("default", ns, sa).execute();
  }

  @Test
  void onceNamesEveryTakeOverAndClashAndFailsWhileAClashLeavesANamespaceWithoutPullSecret()
      throws Exception {
    String name = DockerConfig.secretName(DOMAIN);
    String switched = namespace("switched");
    alibabaSecret(switched, "cr_temp_user");
    String users = namespace("users");
    alibabaSecret(users, "dev@1234567890"); // the user's own login under that name
    String plain = namespace("plain");
    String cfg =
        AcrConfigMaps.create(server, "cfg", config(switched + "," + users + "," + plain, "15m"));

    Processes.Result r = once(env(), "--configmap", cfg + "/acr-configuration", "--instance", cfg);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.stdout())
        .contains("synced 3 namespace(s) in scope: 1 Secret(s) created")
        .contains("1 taken over from Alibaba's helper, 1 clash(es)")
        .contains("  taken over from Alibaba's helper: Secret " + switched + "/" + name)
        .contains(
            "  clash: Secret "
                + users
                + "/"
                + name
                + " is not acr-credential's and was left untouched: its login for "
                + DOMAIN
                + " is not a temporary ACR login")
        .doesNotContain(PASSWORD)
        .doesNotContain("old-token");
    assertThat(r.stderr().strip())
        .isEqualTo(
            "error: 1 namespace(s) left without a working pull Secret by a clash ("
                + users
                + "): rename or delete those Secrets, or see the migration guide"
                + " (docs/migrating-from-alibaba-helper.md)");
    String taken =
        new String(
            pullSecret(switched).orElseThrow().getData().get(".dockerconfigjson"),
            StandardCharsets.UTF_8);
    assertThat(taken).contains(PASSWORD).doesNotContain("old-token");
    assertThat(
            new String(
                pullSecret(users).orElseThrow().getData().get(".dockerconfigjson"),
                StandardCharsets.UTF_8))
        .as("the user's Secret is not written")
        .contains("old-token");

    // the user removes their Secret: the next run creates ours there and succeeds
    core.deleteNamespacedSecret(name, users).execute();
    Processes.Result again =
        once(env(), "--configmap", cfg + "/acr-configuration", "--instance", cfg);
    assertThat(again.exit()).as(again.toString()).isZero();
    assertThat(again.stdout())
        .contains("synced 3 namespace(s) in scope: 1 Secret(s) created")
        .doesNotContain("clash")
        .doesNotContain("taken over");
  }

  private Processes.Result once(Map<String, String> env, String... args) {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                SyncProcess.jar().toString(),
                "sync",
                "--once"));
    cmd.addAll(List.of(args));
    return Processes.run(cmd, env, "");
  }

  private static void assertOneErrorLine(Processes.Result r, String... fragments) {
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    List<String> lines = r.stderr().lines().toList();
    assertThat(lines).as(r.toString()).hasSize(1);
    assertThat(lines.get(0)).startsWith("error: ").contains(fragments).doesNotContain("\tat ");
    assertThat(r.stderr()).doesNotContain(SECRET).doesNotContain(PASSWORD);
  }

  @Test
  void onceWithBadConfigurationFailsWithOneLine() throws Exception {
    String ns = namespace("bad");
    String cfg = AcrConfigMaps.create(server, "cfg", config(ns, "banana"));
    Processes.Result r = once(env(), "--configmap", cfg + "/acr-configuration");
    assertOneErrorLine(r, "invalid configuration in ConfigMap " + cfg, "expiring-threshold");
    assertThat(pullSecret(ns)).isEmpty();
  }

  @Test
  void onceWithMissingConfigMapFailsWithOneLine() throws Exception {
    String cfg = server.createNamespace("nocfg");
    Processes.Result r = once(env(), "--configmap", cfg + "/acr-configuration");
    assertOneErrorLine(r, "ConfigMap " + cfg + "/acr-configuration does not exist");
  }

  @Test
  void onceWithUnreachableApiServerFailsWithOneLine() throws Exception {
    Path kubeconfig = home.resolve("unreachable.kubeconfig");
    Files.writeString(
        kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
            + "    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\n"
            + "users:\n- name: u\n  user:\n    token: not-a-real-token\n"
            + "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
            + "current-context: x\n");
    Map<String, String> env = env();
    env.put("KUBECONFIG", kubeconfig.toString());
    Path file = home.resolve("config.yaml");
    Files.writeString(
        file,
        "watch-namespace: default\nacr-registry-info: |\n  - instanceId: \""
            + INSTANCE
            + "\"\n    regionId: \"cn-hangzhou\"\n");
    Processes.Result r = once(env, "--config", file.toString());
    assertOneErrorLine(r, "cannot reach the Kubernetes API server at https://127.0.0.1:1");
  }

  @Test
  void onceWithAcrFailureFailsWithOneLine() throws Exception {
    String ns = namespace("acrfail");
    String cfg = AcrConfigMaps.create(server, "cfg", config(ns, "15m"));
    cloud.acr().failAlways(FakeApi.GET_AUTHORIZATION_TOKEN, Failure.error("NoPermission"));
    Processes.Result r = once(env(), "--configmap", cfg + "/acr-configuration");
    assertOneErrorLine(r, "cannot get a registry token for enterprise " + INSTANCE, "NoPermission");
    assertThat(pullSecret(ns)).isEmpty();
  }

  @Test
  void daemonSyncsWatchesTheConfigMapServesMetricsAndReleasesTheLeaseOnSigterm() throws Exception {
    String ns1 = namespace("daemon");
    String cfg = AcrConfigMaps.create(server, "cfg", config(ns1, "15m"));
    String identity = "it-replica-" + cfg;
    try (SyncProcess p =
        SyncProcess.startSync(env(), cfg, "--identity", identity, "--lease-duration", "6s")) {
      Matcher http = p.awaitLog("HTTP on 127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(60));
      String version = MainTest.pomVersion();
      assertThat(p.stderr.get(0))
          .as("the first log line names the build's version")
          .contains("acr-credential " + version + " sync starting");
      int port = Integer.parseInt(http.group(1));
      p.awaitLog("first reconcile complete (\\d+) ms after process start", Duration.ofSeconds(60));
      assertThat(pullSecret(ns1)).isPresent();
      assertThat(imagePullSecrets(ns1, "builder")).contains(DockerConfig.secretName(DOMAIN));

      HttpClient http1 = HttpClient.newHttpClient();
      assertThat(get(http1, port, "/healthz").statusCode()).isEqualTo(200);
      assertThat(get(http1, port, "/readyz").statusCode()).isEqualTo(200);
      String metrics = get(http1, port, "/metrics").body();
      assertThat(metrics)
          .contains(
              "acr_credential_tokens_fetched_total{registry=\"" + INSTANCE + "@cn-hangzhou\"} 1")
          .contains("acr_credential_secrets_written_total{operation=\"created\"} 1")
          .contains("acr_credential_service_accounts_patched_total 2")
          .contains("acr_credential_reconcile_duration_seconds_count 1")
          .contains("acr_credential_leader 1")
          .containsPattern(
              "acr_credential_token_expiry_timestamp_seconds\\{domain=\""
                  + DOMAIN.replace(".", "\\.")
                  + "\",registry=\""
                  + INSTANCE
                  + "@cn-hangzhou\"} 1\\.[0-9]+E9\n")
          .contains("acr_credential_namespaces_failing 0")
          .contains("acr_credential_secret_clashes_total 0")
          .contains("acr_credential_build_info{version=\"" + version + "\"}")
          .contains("jvm_memory_used_bytes{area=\"heap\"}")
          .doesNotContain(PASSWORD)
          .doesNotContain(SECRET);

      assertThat(
              cloud
                  .acr()
                  .lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN)
                  .orElseThrow()
                  .header("User-Agent"))
          .as("the ACR call names the program's real version")
          .endsWith(" acr-credential/" + version);

      // a ConfigMap edit is applied live: a second namespace comes into scope
      String ns2 = namespace("daemon");
      long edit = System.nanoTime();
      AcrConfigMaps.replace(core, cfg, config(ns1 + "," + ns2, "15m"));
      await(
          "the new namespace gets its pull Secret",
          Duration.ofSeconds(30),
          quietly(
              () ->
                  pullSecret(ns2).isPresent()
                      && imagePullSecrets(ns2, "default")
                          .contains(DockerConfig.secretName(DOMAIN))));
      System.out.println(
          "[refresher] ConfigMap edit -> Secret in the new namespace after "
              + Duration.ofNanos(System.nanoTime() - edit).toMillis()
              + " ms");

      // an invalid edit keeps the previous value, and says so in the log and in an Event
      AcrConfigMaps.replace(core, cfg, config(ns1 + "," + ns2, "banana"));
      p.awaitLog("expiring-threshold.*keeping the previous value", Duration.ofSeconds(30));
      await(
          "an InvalidConfiguration event",
          Duration.ofSeconds(30),
          quietly(
              () ->
                  core.listNamespacedEvent(cfg).execute().getItems().stream()
                      .map(CoreV1Event::getReason)
                      .anyMatch("InvalidConfiguration"::equals)));
      assertThat(pullSecret(ns2)).as("scope unchanged by the bad edit").isPresent();

      V1Lease before =
          new CoordinationV1Api(admin).readNamespacedLease("acr-credential-sync", cfg).execute();
      assertThat(before.getSpec().getHolderIdentity()).isEqualTo(identity);

      Duration stop = p.terminate(Duration.ofSeconds(20));
      System.out.println("[refresher] SIGTERM -> exit after " + stop.toMillis() + " ms");
      assertThat(stop).isLessThan(Duration.ofSeconds(10));
      V1Lease after =
          new CoordinationV1Api(admin).readNamespacedLease("acr-credential-sync", cfg).execute();
      assertThat(after.getSpec().getHolderIdentity()).as("lease released").isNullOrEmpty();
      System.out.println("[refresher] daemon output:\n" + p.output());
      assertThat(p.stderr)
          .as("log lines after SIGTERM")
          .anyMatch(l -> l.contains("SyncCommand - stopped"));
      assertThat(String.join("\n", p.stderr)).doesNotContain(PASSWORD).doesNotContain(SECRET);
    }
  }

  @Test
  void daemonKeepsRunningThroughAnAcrOutage() throws Exception {
    String ns = namespace("outage");
    String cfg = AcrConfigMaps.create(server, "cfg", config(ns, "15m"));
    cloud.acr().failAlways(FakeApi.GET_AUTHORIZATION_TOKEN, Failure.serverError(503));
    try (SyncProcess p =
        SyncProcess.startSync(env(), cfg, "--no-leader-election", "--log-format", "json")) {
      p.awaitLog("\"level\":\"WARN\".*unavailable", Duration.ofSeconds(60));
      assertThat(p.process.isAlive()).isTrue();
      assertThat(pullSecret(ns)).isEmpty();
      // The outage is visible to `kubectl describe configmap`, not only in the logs.
      await(
          "a TokenRefreshFailed Event on the ConfigMap",
          Duration.ofSeconds(30),
          quietly(
              () ->
                  core.listNamespacedEvent(cfg).execute().getItems().stream()
                      .anyMatch(
                          e ->
                              "TokenRefreshFailed".equals(e.getReason())
                                  && "acr-configuration".equals(e.getInvolvedObject().getName())
                                  && e.getMessage()
                                      .startsWith(
                                          "cannot refresh the ACR token for enterprise " + INSTANCE)
                                  && e.getMessage().contains("no valid token is held")
                                  && !e.getMessage().contains(SECRET))));
      cloud.acr().clearFailures();
      await(
          "the Secret once ACR is back",
          Duration.ofSeconds(60),
          quietly(() -> pullSecret(ns).isPresent()));
      assertThat(p.process.isAlive()).isTrue();
      for (String line : p.stderr) {
        assertThat(line).as("every log line is JSON").startsWith("{\"timestamp\":").endsWith("}");
      }
    }
  }

  private static HttpResponse<String> get(HttpClient client, int port, String path)
      throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
