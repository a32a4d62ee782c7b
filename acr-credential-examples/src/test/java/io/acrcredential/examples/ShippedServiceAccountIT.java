package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.gson.JsonElement;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.Pair;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.AuthenticationV1Api;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LeaseSpec;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1SelfSubjectReview;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.util.Config;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import okhttp3.Call;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The refresher under exactly the identity the shipped manifests grant: every file of {@code
 * deploy/kustomization.yaml} is applied unchanged (server-side apply) to the real API server, and
 * the jar's {@code sync} runs with the Deployment's own arguments and environment, authenticated
 * only by a TokenRequest token of the shipped ServiceAccount {@code kube-system/acr-credential}.
 * The shipped ConfigMap needs no change: the fake ACR gets an instance with the example's id and
 * domains, so the Secret names are the ones {@code rbac.yaml} grants.
 *
 * <p>If this fails with Forbidden, the shipped RBAC (rendered from acr-credential-k8s's {@code
 * rbac.yaml} template by {@code RbacManifest}) is insufficient.
 */
@WithKubeApiServer
class ShippedServiceAccountIT {

  static final Path DEPLOY = Path.of("deploy/base");
  static final String AK = "LTAI5tShippedSa0001";
  static final String SECRET = "shippedSaSecret0123456789";
  static final String PASSWORD = "shipped-sa-password-0123";
  static final String POD_NAME = "acr-credential-6f7d8c9b5-x2k4q";

  /** A log line about a request the API server denied. */
  static final Pattern FORBIDDEN_LINE =
      Pattern.compile("(?i)forbidden|HTTP 403|\\bcode\\W{0,3}403\\b|\\b403 ");

  private final LocalKubeApiServer server;
  private final ApiClient admin;
  private final CoreV1Api core;
  private final FakeAlibabaCloud cloud;
  @TempDir Path home;

  ShippedServiceAccountIT(LocalKubeApiServer server) {
    this.server = server;
    this.admin = server.adminClient();
    this.core = new CoreV1Api(admin);
    this.cloud = FakeCloudEnv.start(AK, SECRET, null, PASSWORD);
  }

  @AfterEach
  void stopCloud() {
    cloud.close();
  }

  @Test
  void refresherRunsWithOnlyTheShippedServiceAccount() throws Exception {
    // ---- the shipped manifests, as `kubectl apply -k deploy` would create them ----
    List<Map<String, Object>> objects = shippedObjects();
    for (Map<String, Object> object : objects) {
      serverSideApply(object);
    }
    @SuppressWarnings("unchecked")
    String ns =
        objects.stream()
            .filter(o -> "ConfigMap".equals(o.get("kind")))
            .map(o -> (String) ((Map<String, Object>) o.get("metadata")).get("namespace"))
            .findFirst()
            .orElseThrow();
    V1ConfigMap shipped = core.readNamespacedConfigMap("acr-configuration", ns).execute();
    Map<String, String> shippedData = shipped.getData();
    V1Deployment deployment =
        new AppsV1Api(admin).readNamespacedDeployment("acr-credential", ns).execute();
    String serviceAccount = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();
    assertThat(serviceAccount).isEqualTo("acr-credential");

    // the fake ACR answers for the example instance; its standard domains are the example's
    String instanceId = registryItem(shippedData, "instanceId");
    String region = registryItem(shippedData, "regionId");
    List<String> domains = List.of(registryItem(shippedData, "domains").split(","));
    AcrInstance instance = AcrInstance.of(instanceId, "example", region);
    List<String> fakeDomains = new ArrayList<>(instance.internetDomains());
    fakeDomains.addAll(instance.vpcDomains());
    assertThat(fakeDomains).containsExactlyInAnyOrderElementsOf(domains);
    cloud.acr().addInstance(instance);
    List<String> secretNames = domains.stream().map(DockerConfig::secretName).toList();

    List<String> scope = List.of(shippedData.get("watch-namespace").split(","));
    assertThat(scope).contains("default");
    for (String n : scope) {
      namespaceWithDefaultServiceAccount(n);
      // a fresh cluster: the shipped scope includes "default", where another test's refresher of
      // the same (default) instance may have left its pull Secrets, whose still-valid tokens this
      // refresher would rightly reuse instead of asking its own fake ACR
      for (String name : secretNames) {
        if (secret(n, name).isPresent()) {
          core.deleteNamespacedSecret(name, n).execute();
        }
      }
    }
    // objects the ServiceAccount must not see, next to the ones it may
    core.createNamespacedConfigMap(
            ns,
            new V1ConfigMap()
                .metadata(new V1ObjectMeta().name("acr-it-unrelated"))
                .data(Map.of("k", "v")))
        .execute();
    core.createNamespacedSecret(
            ns,
            new V1Secret()
                .metadata(new V1ObjectMeta().name("acr-it-unrelated"))
                .stringData(Map.of("k", "v")))
        .execute();

    // ---- the ServiceAccount's own kubeconfig (TokenRequest token), and what it may not do ----
    Path kubeconfig = server.kubeconfigFor(ns, serviceAccount);
    ApiClient sa = Config.fromConfig(kubeconfig.toString());
    V1SelfSubjectReview whoami =
        new AuthenticationV1Api(sa).createSelfSubjectReview(new V1SelfSubjectReview()).execute();
    assertThat(whoami.getStatus().getUserInfo().getUsername())
        .isEqualTo("system:serviceaccount:" + ns + ":" + serviceAccount);
    CoreV1Api saCore = new CoreV1Api(sa);
    assertThat(saCore.readNamespacedConfigMap("acr-configuration", ns).execute().getData())
        .isEqualTo(shippedData);
    assertDenied(
        "reading another ConfigMap in " + ns,
        () -> saCore.readNamespacedConfigMap("acr-it-unrelated", ns).execute());
    assertDenied(
        "listing every ConfigMap in " + ns, () -> saCore.listNamespacedConfigMap(ns).execute());
    assertDenied(
        "changing its own configuration",
        () -> saCore.deleteNamespacedConfigMap("acr-configuration", ns).execute());
    assertDenied(
        "reading another Secret in " + ns,
        () -> saCore.readNamespacedSecret("acr-it-unrelated", ns).execute());
    assertDenied(
        "listing every Secret in " + scope.get(0),
        () -> saCore.listNamespacedSecret(scope.get(0)).execute());
    CoordinationV1Api saLeases = new CoordinationV1Api(sa);
    assertDenied(
        "reading another Lease in " + ns,
        () -> saLeases.readNamespacedLease("kube-scheduler", ns).execute());
    assertDenied(
        "creating a Lease outside " + ns,
        () ->
            saLeases
                .createNamespacedLease(
                    scope.get(0),
                    new V1Lease()
                        .metadata(new V1ObjectMeta().name("acr-credential-sync"))
                        .spec(new V1LeaseSpec().holderIdentity("x")))
                .execute());

    // ---- the refresher with the Deployment's arguments and environment ----
    V1Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    List<String> args = new ArrayList<>(container.getArgs());
    assertThat(args).containsSequence("sync", "--configmap", ns + "/acr-configuration");
    // not the pod's 0.0.0.0:8080: loopback and any free port
    args.addAll(List.of("--http-address", "127.0.0.1", "--http-port", "0"));
    Map<String, String> env = deploymentEnv(container, ns, POD_NAME);
    assertThat(env).containsEntry("POD_NAME", POD_NAME).containsEntry("POD_NAMESPACE", ns);
    FakeCloudEnv.put(env, home, kubeconfig, cloud, AK, SECRET);

    Duration wait = Duration.ofMinutes(2);
    try (SyncProcess p = SyncProcess.start(env, args.toArray(String[]::new))) {
      p.awaitLog("acr-credential sync \\S+ is leader", wait);
      p.awaitLog("first reconcile complete", wait);
      V1Lease lease =
          new CoordinationV1Api(admin).readNamespacedLease("acr-credential-sync", ns).execute();
      assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(POD_NAME);

      for (String n : scope) {
        awaitPullSecrets(n, secretNames, wait);
      }
      assertThat(cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isPositive();

      // drift repair through the by-name Secret watch: a deleted pull Secret comes back
      String victim = scope.get(scope.size() - 1);
      String victimUid = secret(victim, secretNames.get(0)).orElseThrow().getMetadata().getUid();
      core.deleteNamespacedSecret(secretNames.get(0), victim).execute();
      SyncCommandIT.await(
          "the deleted pull Secret in " + victim + " is restored",
          wait,
          SyncCommandIT.quietly(
              () ->
                  secret(victim, secretNames.get(0))
                      .map(s -> !s.getMetadata().getUid().equals(victimUid))
                      .orElse(false)));

      // a live edit of the ConfigMap: one more namespace in scope, no restart
      String added = server.createNamespace("team-new");
      namespaceWithDefaultServiceAccount(added);
      Map<String, String> wider = new LinkedHashMap<>(shippedData);
      wider.put("watch-namespace", shippedData.get("watch-namespace") + "," + added);
      AcrConfigMaps.replace(core, ns, wider);
      p.awaitLog("ConfigMap " + ns + "/acr-configuration changed; applying it", wait);
      awaitPullSecrets(added, secretNames, wait);

      // an invalid edit keeps the previous value and is reported as an Event on the ConfigMap
      Map<String, String> invalid = new LinkedHashMap<>(wider);
      invalid.put("expiring-threshold", "banana");
      AcrConfigMaps.replace(core, ns, invalid);
      p.awaitLog("expiring-threshold.*keeping the previous value", wait);
      SyncCommandIT.await(
          "an InvalidConfiguration Event on " + ns + "/acr-configuration from " + POD_NAME,
          wait,
          SyncCommandIT.quietly(
              () ->
                  core.listNamespacedEvent(ns).execute().getItems().stream()
                      .anyMatch(
                          e ->
                              "InvalidConfiguration".equals(e.getReason())
                                  && "acr-configuration".equals(e.getInvolvedObject().getName())
                                  && POD_NAME.equals(e.getReportingInstance()))));

      // the Lease is renewed (update by name) while it leads
      OffsetDateTime renewed = lease.getSpec().getRenewTime();
      SyncCommandIT.await(
          "a renewal of the Lease",
          wait,
          SyncCommandIT.quietly(
              () -> {
                V1LeaseSpec now =
                    new CoordinationV1Api(admin)
                        .readNamespacedLease("acr-credential-sync", ns)
                        .execute()
                        .getSpec();
                return POD_NAME.equals(now.getHolderIdentity())
                    && now.getRenewTime().isAfter(renewed);
              }));
      assertThat(p.process.isAlive()).as(p.output()).isTrue();

      p.terminate(Duration.ofSeconds(60));
      V1Lease after =
          new CoordinationV1Api(admin).readNamespacedLease("acr-credential-sync", ns).execute();
      assertThat(after.getSpec().getHolderIdentity()).as("lease released").isNullOrEmpty();

      String output = p.output();
      System.out.println("[refresher] shipped ServiceAccount run:\n" + output);
      List<String> lines = new ArrayList<>(p.stdout);
      lines.addAll(p.stderr);
      assertThat(
              lines.stream()
                  .filter(l -> FORBIDDEN_LINE.matcher(l).find() || l.contains("could not record")))
          .as("log lines about a request the shipped RBAC denied")
          .isEmpty();
      assertThat(output).doesNotContain(PASSWORD).doesNotContain(SECRET);
    }
  }

  /** Every object of the files {@code deploy/kustomization.yaml} lists, in its order. */
  static List<Map<String, Object>> shippedObjects() throws Exception {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    @SuppressWarnings("unchecked")
    Map<String, Object> kustomization =
        (Map<String, Object>) yaml.load(Files.readString(DEPLOY.resolve("kustomization.yaml")));
    assertThat(kustomization)
        .as("a namespace/prefix transformer would change what this test applies")
        .containsOnlyKeys("apiVersion", "kind", "resources");
    @SuppressWarnings("unchecked")
    List<String> files = (List<String>) kustomization.get("resources");
    List<Map<String, Object>> objects = new ArrayList<>();
    for (String file : files) {
      String text = Files.readString(DEPLOY.resolve(file), StandardCharsets.UTF_8);
      for (Object doc : yaml.loadAll(text)) {
        if (doc != null) {
          @SuppressWarnings("unchecked")
          Map<String, Object> object = (Map<String, Object>) doc;
          objects.add(object);
        }
      }
    }
    return objects;
  }

  /**
   * The environment the shipped Deployment gives its container ({@code fieldRef}s resolved for a
   * Pod {@code podName} in {@code ns}), without {@code JAVA_TOOL_OPTIONS}, which is sized for the
   * container.
   */
  static Map<String, String> deploymentEnv(V1Container container, String ns, String podName) {
    Map<String, String> env = new HashMap<>();
    for (V1EnvVar var : container.getEnv()) {
      if (var.getValueFrom() != null) {
        String field = var.getValueFrom().getFieldRef().getFieldPath();
        env.put(
            var.getName(),
            switch (field) {
              case "metadata.name" -> podName;
              case "metadata.namespace" -> ns;
              default -> throw new AssertionError("unexpected fieldRef " + field);
            });
      } else if (!var.getName().equals("JAVA_TOOL_OPTIONS")) { // sized for the container
        env.put(var.getName(), var.getValue());
      }
    }
    return env;
  }

  /** {@code kubectl apply --server-side} of one object, as the administrator. */
  void serverSideApply(Map<String, Object> object) throws ApiException {
    serverSideApply(admin, object);
  }

  /** {@code kubectl apply --server-side} of one object with {@code admin}. */
  static void serverSideApply(ApiClient admin, Map<String, Object> object) throws ApiException {
    String kind = (String) object.get("kind");
    String[] api = DeployManifestsIT.KINDS.get(kind);
    assertThat(api).as("known kind " + kind).isNotNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
    String name = (String) meta.get("name");
    String path =
        api[0]
            + (api[2].equals("true") ? "/namespaces/" + meta.get("namespace") : "")
            + "/"
            + api[1]
            + "/"
            + name;
    JsonElement json = admin.getJSON().getGson().toJsonTree(object);
    byte[] body = json.toString().getBytes(StandardCharsets.UTF_8); // JSON is YAML
    List<Pair> query = new ArrayList<>();
    query.add(new Pair("fieldManager", "acr-shipped-sa-it"));
    query.add(new Pair("force", "true"));
    query.add(new Pair("fieldValidation", "Strict"));
    Call call =
        DeployManifestsIT.rawCall(
            admin, "PATCH", path, query, body, "application/apply-patch+yaml");
    try {
      admin.execute(call);
    } catch (ApiException e) {
      throw new AssertionError(
          "applying " + kind + " " + name + ": HTTP " + e.getCode() + " " + e.getResponseBody(), e);
    }
  }

  /** A value of the first (only) item of the shipped {@code acr-registry-info}. */
  static String registryItem(Map<String, String> data, String key) {
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> items =
        (List<Map<String, Object>>)
            new Yaml(new SafeConstructor(new LoaderOptions())).load(data.get("acr-registry-info"));
    assertThat(items).hasSize(1);
    Object value = items.get(0).get(key);
    assertThat(value).as("acr-registry-info " + key).isInstanceOf(String.class);
    return (String) value;
  }

  /** Creates the namespace (unless it exists) and its {@code default} ServiceAccount. */
  void namespaceWithDefaultServiceAccount(String name) throws ApiException {
    TestNamespaces.ensureNamespace(core, name);
    TestNamespaces.ensureServiceAccount(core, name, "default");
  }

  Optional<V1Secret> secret(String ns, String name) throws ApiException {
    try {
      return Optional.of(core.readNamespacedSecret(name, ns).execute());
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Waits for every pull Secret in {@code ns} and for them in its default ServiceAccount. */
  void awaitPullSecrets(String ns, List<String> names, Duration timeout) throws Exception {
    SyncCommandIT.await(
        "pull Secrets " + names + " in " + ns + " and in its default ServiceAccount",
        timeout,
        SyncCommandIT.quietly(
            () -> {
              for (String name : names) {
                if (secret(ns, name).isEmpty()) {
                  return false;
                }
              }
              V1ServiceAccount a = core.readNamespacedServiceAccount("default", ns).execute();
              List<String> pulls =
                  a.getImagePullSecrets() == null
                      ? List.of()
                      : a.getImagePullSecrets().stream()
                          .map(V1LocalObjectReference::getName)
                          .toList();
              return pulls.containsAll(names);
            }));
    for (String name : names) {
      V1Secret s = secret(ns, name).orElseThrow();
      assertThat(s.getType()).isEqualTo("kubernetes.io/dockerconfigjson");
      assertThat(new String(s.getData().get(".dockerconfigjson"), StandardCharsets.UTF_8))
          .contains(PASSWORD);
    }
  }

  interface DeniedRequest {
    Object call() throws ApiException;
  }

  static void assertDenied(String what, DeniedRequest call) {
    ApiException e =
        catchThrowableOfType(
            ApiException.class,
            () -> {
              call.call();
              throw new AssertionError("allowed, but the shipped RBAC must deny it: " + what);
            });
    assertThat(e).as(what).isNotNull();
    assertThat(e.getCode()).as(what + ": " + e.getResponseBody()).isEqualTo(403);
  }
}
