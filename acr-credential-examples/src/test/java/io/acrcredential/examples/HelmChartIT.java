package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.RbacManifest;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.ConfigParseResult;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.Pair;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1Secret;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import okhttp3.Call;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Helm chart ({@code deploy/helm/acr-credential}) with a real {@code helm} against the real
 * local API server: lint, template (defaults and {@code ci/full-values.yaml}), the library's RBAC,
 * a server-side dry-run of every rendered object, then install, upgrade and uninstall. The test API
 * server has no node, so the installed Deployment's container is run here as a process: the program
 * jar with the Deployment's own arguments and environment, authenticated only by a token of the
 * chart's ServiceAccount, against a fake ACR.
 */
@WithKubeApiServer
class HelmChartIT {

  static final String AK = "LTAI5tHelmChart00001";
  static final String SECRET = "helmChartSecret0123456789";
  static final String PASSWORD = "helm-chart-password-0123";
  static final String POD_NAME = "acr-credential-7c9d8f6b5-h3lm1";

  /** Not the default: ShippedServiceAccountIT applies deploy/ (same cluster objects) next to us. */
  static final String SERVICE_ACCOUNT = "acr-helm-it";

  /** Minimal CRDs for the kinds of other operators the chart can render (for the dry-run). */
  static final List<String[]> FOREIGN_KINDS =
      List.of(
          new String[] {"monitoring.coreos.com", "ServiceMonitor", "servicemonitors"},
          new String[] {"monitoring.coreos.com", "PrometheusRule", "prometheusrules"},
          new String[] {"cert-manager.io", "Issuer", "issuers"},
          new String[] {"cert-manager.io", "Certificate", "certificates"});

  private final LocalKubeApiServer server;
  private final ApiClient admin;
  private final CoreV1Api core;
  private final Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
  private final FakeAlibabaCloud cloud;
  @TempDir Path home;

  HelmChartIT(LocalKubeApiServer server) {
    this.server = server;
    this.admin = server.adminClient();
    this.core = new CoreV1Api(admin);
    this.cloud = FakeCloudEnv.start(AK, SECRET, null, PASSWORD);
  }

  @AfterEach
  void stopCloud() {
    cloud.close();
  }

  Helm helm() throws Exception {
    return Helm.locate(home, server.kubeconfig());
  }

  // ---------------------------------------------------------------- lint, template, library RBAC

  @Test
  void chartLintsAndRendersTheLibrarysRbacAndEveryConfigurationKey() throws Exception {
    Helm helm = helm();
    assertThat(Files.readString(Helm.CHART.resolve("files/rbac.yaml"), StandardCharsets.UTF_8))
        .as("the chart's files/rbac.yaml is acr-credential-k8s's RBAC template (copy it again)")
        .isEqualTo(RbacManifest.template());

    Map<String, Object> chart = yaml.load(Files.readString(Helm.CHART.resolve("Chart.yaml")));
    String version = System.getProperty("acr.project.version", "");
    assertThat(version).as("acr.project.version (set by the pom)").isNotEmpty();
    assertThat(chart)
        .as("Chart.yaml version and appVersion follow the project version")
        .containsEntry("version", version.replace("-SNAPSHOT", ""))
        .containsEntry("appVersion", version.replace("-SNAPSHOT", ""));

    Map<String, Object> values = yaml.load(Files.readString(Helm.CHART.resolve("values.yaml")));
    @SuppressWarnings("unchecked")
    Map<String, Object> configuration = (Map<String, Object>) values.get("configuration");
    assertThat(configuration.keySet())
        .as("values.yaml offers every acr-configuration key the parser knows, and no other")
        .containsExactlyInAnyOrderElementsOf(AcrConfigParser.knownKeys());

    assertThat(helm.run("lint", Helm.CHART.toString(), "--strict")).contains("0 chart(s) failed");
    assertThat(
            helm.run("lint", Helm.CHART.toString(), "--strict", "-f", Helm.FULL_VALUES.toString()))
        .contains("0 chart(s) failed");

    // defaults
    List<Map<String, Object>> defaults = template(helm, "kube-system");
    Map<String, String> data = configMapData(defaults);
    assertThat(data)
        .containsOnlyKeys(
            "service-account", "watch-namespace", "expiring-threshold", "acr-registry-info");
    ConfigParseResult parsed = parse(defaults, data);
    assertThat(parsed.problems()).as("the default ConfigMap parses cleanly").isEmpty();
    assertRbacIsTheLibrarys(
        defaults, "kube-system", "acr-credential", "acr-credential-sync", parsed);
    assertThat(kinds(defaults))
        .doesNotContain(
            "MutatingWebhookConfiguration", "ServiceMonitor", "PrometheusRule", "Certificate");
    V1Container container = container(defaults);
    assertThat(container.getImage())
        .isEqualTo("ghcr.io/acr-credential/acr-credential:" + chart.get("appVersion"));
    assertThat(Files.readString(Path.of("deploy/base/deployment.yaml")))
        .as("deploy/base/deployment.yaml names the image the chart does")
        .contains("image: " + container.getImage() + "\n");
    Map<String, Object> baseDeployment =
        yaml.load(Files.readString(Path.of("deploy/base/deployment.yaml")));
    V1Container shipped = container(List.of(baseDeployment));
    for (String sized : List.of("JAVA_TOOL_OPTIONS", "MALLOC_ARENA_MAX")) {
      assertThat(env(container).get(sized))
          .as(
              "the chart's default %s is deploy/base/deployment.yaml's (both sized by the heap"
                  + " benchmark)",
              sized)
          .isNotNull()
          .isEqualTo(env(shipped).get(sized));
    }
    assertThat(container.getResources())
        .as("the chart's default resources are deploy/base/deployment.yaml's")
        .isEqualTo(shipped.getResources());

    // every value set
    List<Map<String, Object>> full = template(helm, "platform", "-f", Helm.FULL_VALUES.toString());
    Map<String, String> fullData = configMapData(full);
    Map<String, Object> fullValues = yaml.load(Files.readString(Helm.FULL_VALUES));
    @SuppressWarnings("unchecked")
    Map<String, Object> fullConfiguration = (Map<String, Object>) fullValues.get("configuration");
    for (var e : fullConfiguration.entrySet()) {
      if (e.getValue() != null) {
        assertThat(fullData).as("ConfigMap key " + e.getKey()).containsKey(e.getKey());
      }
    }
    assertThat(fullData.get("acr-registry-info"))
        .as("a pasted block string is written unchanged")
        .isEqualTo(fullConfiguration.get("acr-registry-info"));
    assertThat(fullData.get("webhook-configuration"))
        .as("webhook.enabled writes the webhook key from the webhook values")
        .contains("enable: true", "failure-policy: Fail", "timeout-seconds: 5");
    ConfigParseResult fullParsed = parse(full, fullData);
    assertThat(fullParsed.errors()).as("the full ConfigMap has no errors").isEmpty();
    assertRbacIsTheLibrarys(
        full, "platform", "acr-credential-full", "acr-credential-full", fullParsed);
    V1Deployment deployment = deployment(full);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
    V1Container c = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getImage())
        .isEqualTo("registry.cn-shanghai.aliyuncs.com/platform/acr-credential:0.1.0-custom");
    assertThat(env(c))
        .containsEntry("JAVA_TOOL_OPTIONS", "-Xmx160m -XX:+ExitOnOutOfMemoryError")
        .containsEntry("ACR_CREDENTIAL_REGION", "cn-shanghai")
        .containsEntry("ACR_CREDENTIAL_HTTP_PORT", "9090")
        .containsEntry("ACR_CREDENTIAL_WEBHOOK_PORT", "9443")
        .containsEntry("ALIBABA_CLOUD_ROLE_SESSION_NAME", "acr-credential");
    assertThat(c.getArgs()).containsSequence("--lease-name", "acr-credential-full");
    assertThat(c.getResources().getLimits().get("memory").toSuffixedString()).isEqualTo("512Mi");
    assertThat(kinds(full))
        .contains(
            "MutatingWebhookConfiguration",
            "ServiceMonitor",
            "PrometheusRule",
            "Issuer",
            "Certificate",
            "Service");
    Map<String, Object> rule = only(full, "PrometheusRule");
    Map<String, Object> alerts =
        yaml.load(Files.readString(Helm.CHART.resolve("files/alerts.yaml")));
    assertThat(rule.get("spec")).as("the PrometheusRule holds files/alerts.yaml").isEqualTo(alerts);
    @SuppressWarnings("unchecked")
    Map<String, Object> cmMeta = (Map<String, Object>) only(full, "ConfigMap").get("metadata");
    assertThat(cmMeta.get("annotations")).isEqualTo(Map.of("helm.sh/resource-policy", "keep"));

    // a per-domain configuration without Secret names cannot be rendered
    Helm.Result missing =
        helm.tryRun("template", "x", Helm.CHART.toString(), "--set", "rbac.pullSecretNames=null");
    assertThat(missing.exit()).isNotZero();
    assertThat(missing.stderr()).contains("rbac.pullSecretNames is empty");
  }

  /** The server accepts every object the chart renders, with the defaults and with every value. */
  @Test
  void everyRenderedObjectPassesAServerSideDryRun() throws Exception {
    Helm helm = helm();
    createForeignCrds();
    String ns = server.createNamespace("helm-dry");
    List<String> accepted = new ArrayList<>();
    for (List<Map<String, Object>> objects :
        List.of(
            template(helm, ns, "--set", "serviceAccount.name=" + SERVICE_ACCOUNT),
            template(
                helm,
                ns,
                "-f",
                Helm.FULL_VALUES.toString(),
                "--set",
                "serviceAccount.name=" + SERVICE_ACCOUNT + "-full"))) {
      for (Map<String, Object> object : objects) {
        accepted.add(apply(object, true));
      }
    }
    System.out.println("[helm] dry-run accepted: " + accepted);
    assertThat(accepted)
        .contains(
            "Deployment " + ns + "/acr-credential",
            "ConfigMap " + ns + "/acr-configuration",
            "ClusterRole " + SERVICE_ACCOUNT,
            "MutatingWebhookConfiguration acr-credential",
            "ServiceMonitor " + ns + "/acr-credential",
            "PrometheusRule " + ns + "/acr-credential",
            "Certificate " + ns + "/acr-credential-webhook",
            "DaemonSet " + ns + "/acr-credential-node-installer");
  }

  /**
   * The chart's node installer runs the same containers as src/main/deploy/node-installer.yaml (the
   * manifest verify-installer-image.sh runs from the installer image): same commands, users,
   * capabilities, mounts and host paths; only the image name and the labels differ.
   */
  @Test
  @SuppressWarnings("unchecked")
  void nodeInstallerIsTheShippedManifest() throws Exception {
    Map<String, Object> rendered =
        template(helm(), "kube-system", "-f", Helm.FULL_VALUES.toString()).stream()
            .filter(o -> "DaemonSet".equals(o.get("kind")))
            .findFirst()
            .orElseThrow();
    Map<String, Object> shipped =
        (Map<String, Object>)
            yaml.load(Files.readString(Path.of("src/main/deploy/node-installer.yaml")));
    assertThat(podSpecWithoutImages(rendered)).isEqualTo(podSpecWithoutImages(shipped));
    assertThat(
            template(helm(), "kube-system").stream().filter(o -> "DaemonSet".equals(o.get("kind"))))
        .as("the node installer is off by default")
        .isEmpty();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> podSpecWithoutImages(Map<String, Object> daemonSet) {
    Map<String, Object> template =
        (Map<String, Object>) ((Map<String, Object>) daemonSet.get("spec")).get("template");
    Map<String, Object> spec = new java.util.TreeMap<>((Map<String, Object>) template.get("spec"));
    spec.remove("imagePullSecrets");
    for (String key : List.of("initContainers", "containers")) {
      List<Map<String, Object>> containers = new ArrayList<>();
      for (Map<String, Object> c : (List<Map<String, Object>>) spec.get(key)) {
        Map<String, Object> copy = new java.util.TreeMap<>(c);
        copy.remove("image");
        copy.remove("imagePullPolicy");
        containers.add(copy);
      }
      spec.put(key, containers);
    }
    return spec;
  }

  // ---------------------------------------------------------------- install, upgrade, uninstall

  @Test
  void installUpgradeUninstall() throws Exception {
    Helm helm = helm();
    String ns = server.createNamespace("helm");
    String release = "acr";
    // the chart's defaults, except names other ITs on this shared server also use: the
    // ServiceAccount (cluster-wide RBAC names), the Lease and the namespace kept in scope
    String target = server.createNamespace("helm-target");
    namespaceWithDefaultServiceAccount(target);
    helm.run(
        "install",
        release,
        Helm.CHART.toString(),
        "-n",
        ns,
        "--set",
        "serviceAccount.name=" + SERVICE_ACCOUNT,
        "--set",
        "leaseName=acr-helm-it",
        "--set-string",
        "configuration.watch-namespace=" + target);
    List<Map<String, Object>> installed = documents(helm.run("get", "manifest", release, "-n", ns));
    assertThat(kinds(installed)).contains("Deployment", "ConfigMap", "ServiceAccount");
    for (Map<String, Object> object : installed) {
      assertThat(exists(object)).as("installed: " + describe(object)).isTrue();
    }

    // the fake ACR answers for the chart's default (example) instance
    Map<String, String> data =
        core.readNamespacedConfigMap("acr-configuration", ns).execute().getData();
    String instanceId = ShippedServiceAccountIT.registryItem(data, "instanceId");
    String region = ShippedServiceAccountIT.registryItem(data, "regionId");
    List<String> domains =
        List.of(ShippedServiceAccountIT.registryItem(data, "domains").split(","));
    cloud.acr().addInstance(AcrInstance.of(instanceId, "example", region));
    List<String> secretNames = domains.stream().map(DockerConfig::secretName).toList();

    V1Deployment deployment =
        new AppsV1Api(admin).readNamespacedDeployment("acr-credential", ns).execute();
    assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo(SERVICE_ACCOUNT);
    V1Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    List<String> args = new ArrayList<>(container.getArgs());
    args.addAll(List.of("--http-address", "127.0.0.1", "--http-port", "0"));
    Map<String, String> env = new HashMap<>();
    for (V1EnvVar var : container.getEnv()) {
      if (var.getValueFrom() != null) {
        String field = var.getValueFrom().getFieldRef().getFieldPath();
        env.put(var.getName(), field.equals("metadata.name") ? POD_NAME : ns);
      } else if (!var.getName().equals("JAVA_TOOL_OPTIONS")
          && !var.getName().equals("ACR_CREDENTIAL_HTTP_PORT")) {
        env.put(var.getName(), var.getValue());
      }
    }
    FakeCloudEnv.put(env, home, server.kubeconfigFor(ns, SERVICE_ACCOUNT), cloud, AK, SECRET);

    Duration wait = Duration.ofMinutes(2);
    try (SyncProcess p = SyncProcess.start(env, args.toArray(String[]::new))) {
      Matcher http = p.awaitLog("HTTP on 127\\.0\\.0\\.1:(\\d+)", wait);
      int port = Integer.parseInt(http.group(1));
      p.awaitLog("first reconcile complete", wait);
      HttpClient client = HttpClient.newHttpClient();
      SyncCommandIT.await(
          "/readyz answers 200",
          wait,
          SyncCommandIT.quietly(() -> get(client, port, "/readyz") == 200));
      awaitPullSecrets(target, secretNames, wait);

      // upgrade: a changed value reaches the running refresher through the ConfigMap
      String added = server.createNamespace("helm-added");
      namespaceWithDefaultServiceAccount(added);
      helm.run(
          "upgrade",
          release,
          Helm.CHART.toString(),
          "-n",
          ns,
          "--reuse-values",
          "--set-string",
          "configuration.watch-namespace=" + target + "\\," + added,
          "--set",
          "keepConfigurationOnUninstall=true");
      assertThat(core.readNamespacedConfigMap("acr-configuration", ns).execute().getData())
          .containsEntry("watch-namespace", target + "," + added);
      p.awaitLog("ConfigMap " + ns + "/acr-configuration changed; applying it", wait);
      awaitPullSecrets(added, secretNames, wait);
      assertThat(p.process.isAlive()).as(p.output()).isTrue();
      p.terminate(Duration.ofSeconds(60));
      String output = p.output();
      assertThat(output).doesNotContain(PASSWORD).doesNotContain(SECRET);
      assertThat(output.lines().filter(l -> l.contains("Forbidden") || l.contains(" 403")))
          .as("requests the chart's RBAC denied")
          .isEmpty();
    }

    // uninstall: every object of the release is gone except the ConfigMap the user chose to keep
    List<Map<String, Object>> upgraded = documents(helm.run("get", "manifest", release, "-n", ns));
    helm.run("uninstall", release, "-n", ns, "--wait", "--timeout", "60s");
    List<String> left = new ArrayList<>();
    for (Map<String, Object> object : upgraded) {
      SyncCommandIT.await(
          describe(object) + " deleted or kept",
          Duration.ofSeconds(60),
          SyncCommandIT.quietly(() -> !exists(object) || "ConfigMap".equals(object.get("kind"))));
      if (exists(object)) {
        left.add(describe(object));
      }
    }
    assertThat(left).containsExactly("ConfigMap " + ns + "/acr-configuration");
    assertThat(helm.tryRun("status", release, "-n", ns).exit()).isNotZero();
  }

  // ---------------------------------------------------------------- helpers

  List<Map<String, Object>> template(Helm helm, String ns, String... more) throws Exception {
    List<String> args =
        new ArrayList<>(List.of("template", "acr", Helm.CHART.toString(), "-n", ns));
    args.addAll(List.of(more));
    return documents(helm.run(args.toArray(String[]::new)));
  }

  @SuppressWarnings("unchecked")
  List<Map<String, Object>> documents(String text) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object doc : yaml.loadAll(text)) {
      if (doc != null) {
        out.add((Map<String, Object>) doc);
      }
    }
    return out;
  }

  static List<String> kinds(List<Map<String, Object>> objects) {
    return objects.stream().map(o -> (String) o.get("kind")).toList();
  }

  static Map<String, Object> only(List<Map<String, Object>> objects, String kind) {
    List<Map<String, Object>> found =
        objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    assertThat(found).as("one " + kind).hasSize(1);
    return found.get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> configMapData(List<Map<String, Object>> objects) {
    return (Map<String, String>) only(objects, "ConfigMap").get("data");
  }

  V1Deployment deployment(List<Map<String, Object>> objects) {
    JsonElement json = admin.getJSON().getGson().toJsonTree(only(objects, "Deployment"));
    return admin.getJSON().getGson().fromJson(json, V1Deployment.class);
  }

  V1Container container(List<Map<String, Object>> objects) {
    return deployment(objects).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  static Map<String, String> env(V1Container c) {
    Map<String, String> env = new LinkedHashMap<>();
    for (V1EnvVar v : c.getEnv()) {
      env.put(v.getName(), v.getValue());
    }
    return env;
  }

  ConfigParseResult parse(List<Map<String, Object>> objects, Map<String, String> data) {
    String region = env(container(objects)).get("ACR_CREDENTIAL_REGION");
    return AcrConfigParser.forClusterRegion(region).parse(data);
  }

  /**
   * The chart's RBAC objects are, object for object, what {@link RbacManifest#render} gives for the
   * rendered configuration's Secret names (the chart adds the ConfigMap Role, and the webhook's
   * when enabled).
   */
  void assertRbacIsTheLibrarys(
      List<Map<String, Object>> objects,
      String ns,
      String serviceAccount,
      String lease,
      ConfigParseResult parsed) {
    List<String> domains =
        parsed.config().registries().stream()
            .map(RegistryEntry::target)
            .map(RegistryTarget::domains)
            .flatMap(List::stream)
            .toList();
    List<Map<String, Object>> expected =
        documents(
            RbacManifest.render(
                ns,
                serviceAccount,
                lease,
                RbacManifest.secretNames(parsed.config().secretLayout(), domains)));
    for (Map<String, Object> want : expected) {
      List<Map<String, Object>> got =
          objects.stream().filter(o -> describe(o).equals(describe(want))).toList();
      assertThat(got).as("the chart renders " + describe(want)).hasSize(1);
      assertThat(got.get(0)).as(describe(want) + " as the library renders it").isEqualTo(want);
    }
  }

  @SuppressWarnings("unchecked")
  static String describe(Map<String, Object> object) {
    Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
    Object ns = meta.get("namespace");
    return object.get("kind") + " " + (ns == null ? "" : ns + "/") + meta.get("name");
  }

  /** Where an object lives in the API: {group/version path, plural, namespaced}. */
  static String[] api(String kind) {
    String[] known = DeployManifestsIT.KINDS.get(kind);
    if (known != null) {
      return known;
    }
    for (String[] k : FOREIGN_KINDS) {
      if (k[1].equals(kind)) {
        return new String[] {"/apis/" + k[0] + "/v1", k[2], "true"};
      }
    }
    throw new AssertionError("unknown kind " + kind);
  }

  @SuppressWarnings("unchecked")
  static String path(Map<String, Object> object) {
    String[] api = api((String) object.get("kind"));
    Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
    return api[0]
        + (api[2].equals("true") ? "/namespaces/" + meta.get("namespace") : "")
        + "/"
        + api[1]
        + "/"
        + meta.get("name");
  }

  /** Server-side apply as the administrator; returns "Kind ns/name". */
  String apply(Map<String, Object> object, boolean dryRun) throws ApiException {
    byte[] body =
        admin.getJSON().getGson().toJsonTree(object).toString().getBytes(StandardCharsets.UTF_8);
    List<Pair> query = new ArrayList<>();
    query.add(new Pair("fieldManager", "acr-helm-it"));
    query.add(new Pair("force", "true"));
    query.add(new Pair("fieldValidation", "Strict"));
    if (dryRun) {
      query.add(new Pair("dryRun", "All"));
    }
    Call call =
        DeployManifestsIT.rawCall(
            admin, "PATCH", path(object), query, body, "application/apply-patch+yaml");
    try {
      admin.execute(call);
    } catch (ApiException e) {
      throw new AssertionError(
          "applying " + describe(object) + ": HTTP " + e.getCode() + " " + e.getResponseBody(), e);
    }
    return describe(object);
  }

  boolean exists(Map<String, Object> object) throws ApiException {
    Call call =
        DeployManifestsIT.rawCall(admin, "GET", path(object), List.of(), null, "application/json");
    try {
      admin.execute(call);
      return true;
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Structural CRDs for the prometheus-operator and cert-manager kinds the chart can render, open
   * to any spec: enough for the API server to accept (and dry-run) such objects.
   */
  void createForeignCrds() throws Exception {
    for (String[] k : FOREIGN_KINDS) {
      String name = k[2] + "." + k[0];
      Map<String, Object> crd =
          Map.of(
              "apiVersion",
              "apiextensions.k8s.io/v1",
              "kind",
              "CustomResourceDefinition",
              "metadata",
              Map.of("name", name),
              "spec",
              Map.of(
                  "group",
                  k[0],
                  "scope",
                  "Namespaced",
                  "names",
                  Map.of(
                      "kind",
                      k[1],
                      "plural",
                      k[2],
                      "singular",
                      k[1].toLowerCase(java.util.Locale.ROOT),
                      "listKind",
                      k[1] + "List"),
                  "versions",
                  List.of(
                      Map.of(
                          "name",
                          "v1",
                          "served",
                          true,
                          "storage",
                          true,
                          "schema",
                          Map.of(
                              "openAPIV3Schema",
                              Map.of(
                                  "type",
                                  "object",
                                  "x-kubernetes-preserve-unknown-fields",
                                  true))))));
      byte[] body =
          admin.getJSON().getGson().toJsonTree(crd).toString().getBytes(StandardCharsets.UTF_8);
      List<Pair> query =
          List.of(new Pair("fieldManager", "acr-helm-it"), new Pair("force", "true"));
      admin.execute(
          DeployManifestsIT.rawCall(
              admin,
              "PATCH",
              "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + name,
              query,
              body,
              "application/apply-patch+yaml"));
      SyncCommandIT.await(
          "CRD " + name + " served",
          Duration.ofSeconds(60),
          SyncCommandIT.quietly(
              () -> {
                admin.execute(
                    DeployManifestsIT.rawCall(
                        admin,
                        "GET",
                        "/apis/" + k[0] + "/v1/" + k[2],
                        List.of(),
                        null,
                        "application/json"));
                return true;
              }));
    }
  }

  void namespaceWithDefaultServiceAccount(String name) throws ApiException {
    TestNamespaces.ensureNamespace(core, name);
    TestNamespaces.ensureServiceAccount(core, name, "default");
  }

  void awaitPullSecrets(String ns, List<String> names, Duration wait) throws InterruptedException {
    SyncCommandIT.await(
        "pull Secrets " + names + " in " + ns,
        wait,
        SyncCommandIT.quietly(
            () -> {
              for (String name : names) {
                V1Secret s = core.readNamespacedSecret(name, ns).execute();
                if (!"kubernetes.io/dockerconfigjson".equals(s.getType())) {
                  return false;
                }
              }
              return true;
            }));
  }

  static int get(HttpClient client, int port, String path) throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
