package io.acrcredential.examples.sync;

import static io.acrcredential.examples.SyncCommandIT.await;
import static io.acrcredential.examples.SyncCommandIT.quietly;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.examples.AcrConfigMaps;
import io.acrcredential.examples.FakeCloudEnv;
import io.acrcredential.examples.SyncProcess;
import io.acrcredential.k8s.config.WebhookSettings;
import io.acrcredential.k8s.config.WebhookSettings.FailurePolicy;
import io.acrcredential.k8s.webhook.RegistrationProblem;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.RbacAuthorizationV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.util.Config;
import io.kubernetes.client.util.PatchUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The ConfigMap's {@code webhook-configuration} governs the MutatingWebhookConfiguration: the
 * shipped jar's {@code sync}, leading through a Lease, sets {@code failurePolicy} and {@code
 * timeoutSeconds} of the named entry only, applies ConfigMap edits live, repairs a manual change,
 * writes nothing in steady state, and leaves the other entry and the caBundle byte-identical; a
 * missing object is reported once (log and Event) and picked up when it is created. The overlay's
 * RBAC rule, bound to a ServiceAccount token, is enough for the same component and no more.
 *
 * <p>The webhook configurations of this test select only namespaces and objects labelled with the
 * run's id (none exist), so other tests' Pods never reach them; they are deleted at the end.
 */
@WithKubeApiServer
class SyncWebhookConfigurationIT {

  static final String AK = "LTAI5tSyncWebhookCfg1";
  static final String SECRET = "syncWebhookCfgSecret0123";
  static final String INSTANCE = "cri-webhookcfgit1";
  static final String DOMAIN = "webhookcfgit-registry.cn-hangzhou.cr.aliyuncs.com";
  static final String ENTRY = "pods.acr-credential.io";
  static final String OTHER = "other.acr-whcfg-it.io";

  private final LocalKubeApiServer server;
  private final ApiClient admin;
  private final CoreV1Api core;
  private final AdmissionregistrationV1Api admission;
  private final FakeAlibabaCloud cloud;
  private final String run = "whcfg-" + UUID.randomUUID().toString().substring(0, 8);
  @TempDir Path home;

  SyncWebhookConfigurationIT(LocalKubeApiServer server) {
    this.server = server;
    this.admin = server.adminClient();
    this.core = new CoreV1Api(admin);
    this.admission = new AdmissionregistrationV1Api(admin);
    this.cloud =
        FakeCloudEnv.start(
            AK,
            SECRET,
            AcrInstance.of(INSTANCE, "webhookcfgit", "cn-hangzhou"),
            "sync-webhook-cfg-password-01");
  }

  @AfterEach
  void stopCloud() {
    cloud.close();
  }

  @Test
  void theLeaderKeepsTheNamedEntrysFailurePolicyAndTimeoutEqualToTheConfigMap() throws Exception {
    String cfg = AcrConfigMaps.create(server, "whcfg", config("Ignore", 10, "15m"));
    String name = "acr-whcfg-it-" + run;
    Duration wait = Duration.ofSeconds(90);
    try (SyncProcess.WithWebhook started =
        SyncProcess.startWithWebhook(
            server,
            "acr-whcfg-it",
            home.resolve("tls"),
            env(),
            cfg,
            "--lease-namespace",
            cfg,
            "--identity",
            "whcfg-replica",
            "--webhook-configuration-name",
            name)) {
      SyncProcess p = started.process();
      p.awaitLog("first reconcile complete", wait);

      // ---- not there yet: reported once, as a log line and an Event on the ConfigMap, with the
      // program's flag added to the library's message ----
      p.awaitLog(
          Pattern.quote("MutatingWebhookConfiguration " + name)
              + ".* does not exist.*--webhook-configuration-name",
          wait);
      await(
          "an InvalidConfiguration Event naming " + name,
          wait,
          quietly(
              () ->
                  events(cfg).stream()
                      .anyMatch(
                          e ->
                              "InvalidConfiguration".equals(e.getReason())
                                  && e.getMessage().contains(name)
                                  && e.getMessage().contains("does not exist")
                                  && e.getMessage().contains("--webhook-configuration-name"))));

      // ---- created by an administrator: only the named entry's two fields are set ----
      register(name);
      try {
        V1MutatingWebhookConfiguration created =
            admission.readMutatingWebhookConfiguration(name).execute();
        await("the ConfigMap's Ignore/10 on " + ENTRY, wait, quietly(() -> is(name, "Ignore", 10)));
        p.awaitLog(Pattern.quote(name) + ".*set failurePolicy Ignore, timeoutSeconds 10", wait);
        assertUntouched(created, admission.readMutatingWebhookConfiguration(name).execute());

        // ---- steady state: a configuration change that does not concern it writes nothing ----
        String rv = resourceVersion(name);
        AcrConfigMaps.replace(core, cfg, config("Ignore", 10, "20m"));
        p.awaitLog("reconcile after configuration complete", wait);
        assertThat(resourceVersion(name)).as("no write in steady state").isEqualTo(rv);

        // ---- a ConfigMap edit is applied live ----
        AcrConfigMaps.replace(core, cfg, config("Fail", 5, "20m"));
        await("the ConfigMap's Fail/5 on " + ENTRY, wait, quietly(() -> is(name, "Fail", 5)));
        assertUntouched(created, admission.readMutatingWebhookConfiguration(name).execute());

        // ---- a manual change is repaired ----
        patchEntry(name, "Ignore", 20);
        p.awaitLog(
            Pattern.quote(
                "set failurePolicy Fail, timeoutSeconds 5 from the configuration (was"
                    + " failurePolicy Ignore, timeoutSeconds 20)"),
            wait);
        await("the manual change repaired", wait, quietly(() -> is(name, "Fail", 5)));
        V1MutatingWebhookConfiguration after =
            admission.readMutatingWebhookConfiguration(name).execute();
        assertUntouched(created, after);
        assertThat(count(p.output(), "set failurePolicy"))
            .as("writes: creation, ConfigMap edit, repair")
            .isEqualTo(3);
        assertThat(count(p.output(), "does not exist")).as("reported once").isEqualTo(1);
      } finally {
        admission.deleteMutatingWebhookConfiguration(name).execute();
      }
    }
  }

  /**
   * The overlay's ClusterRole (its resourceNames pointed at this test's object) bound to a
   * ServiceAccount: the component gets, watches and patches that object with the token, and is
   * denied any other.
   */
  @Test
  void theOverlaysRbacRuleIsEnoughForThatObjectAndNoOther() throws Exception {
    String ns = server.createNamespace("whcfgsa");
    core.createNamespacedServiceAccount(
            ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name("acr-credential")))
        .execute();
    String name = "acr-whcfg-rbac-" + run;
    String other = "acr-whcfg-rbac-other-" + run;
    List<Object> docs = new ArrayList<>();
    new Yaml(new SafeConstructor(new LoaderOptions()))
        .loadAll(
            Files.readString(
                Path.of("deploy/webhook-cert-manager/rbac.yaml"), StandardCharsets.UTF_8))
        .forEach(docs::add);
    @SuppressWarnings("unchecked")
    Map<String, Object> roleDoc = (Map<String, Object>) docs.get(0);
    @SuppressWarnings("unchecked")
    Map<String, Object> rule = ((List<Map<String, Object>>) roleDoc.get("rules")).get(0);
    assertThat(rule.get("resourceNames"))
        .isEqualTo(List.of(WebhookRegistration.DEFAULT_CONFIGURATION));
    rule.put("resourceNames", List.of(name));
    ((Map<String, Object>) roleDoc.get("metadata")).put("name", "acr-whcfg-it-" + run);
    V1ClusterRole role =
        admin.getJSON().deserialize(admin.getJSON().serialize(roleDoc), V1ClusterRole.class);
    RbacAuthorizationV1Api rbac = new RbacAuthorizationV1Api(admin);
    rbac.createClusterRole(role).execute();
    @SuppressWarnings("unchecked")
    Map<String, Object> bindingDoc = (Map<String, Object>) docs.get(1);
    ((Map<String, Object>) bindingDoc.get("metadata")).put("name", "acr-whcfg-it-" + run);
    ((Map<String, Object>) bindingDoc.get("roleRef")).put("name", "acr-whcfg-it-" + run);
    ((List<Map<String, Object>>) bindingDoc.get("subjects")).get(0).put("namespace", ns);
    V1ClusterRoleBinding binding =
        admin
            .getJSON()
            .deserialize(admin.getJSON().serialize(bindingDoc), V1ClusterRoleBinding.class);
    rbac.createClusterRoleBinding(binding).execute();
    register(name);
    register(other);
    try {
      Path kubeconfig = server.kubeconfigFor(ns, "acr-credential");
      ApiClient sa = Config.fromConfig(kubeconfig.toString());
      ApiClient saWatch = Config.fromConfig(kubeconfig.toString());
      saWatch.setReadTimeout(0);
      V1MutatingWebhookConfiguration before =
          admission.readMutatingWebhookConfiguration(name).execute();
      List<RegistrationProblem> problems = new CopyOnWriteArrayList<>();
      try (WebhookRegistration reg =
          WebhookRegistration.builder(sa, saWatch, new WebhookRegistration.Target(name, ENTRY))
              .onProblem(problems::add)
              .build()) {
        reg.manage(Optional.of(new WebhookSettings(true, FailurePolicy.FAIL, 4)));
        await(
            "Fail/4 set with the token",
            Duration.ofSeconds(60),
            quietly(() -> is(name, "Fail", 4)));
        // the watch works with the token too: a manual change is repaired
        patchEntry(name, "Ignore", 9);
        await(
            "repaired with the token", Duration.ofSeconds(60), quietly(() -> is(name, "Fail", 4)));
        assertUntouched(before, admission.readMutatingWebhookConfiguration(name).execute());
        assertThat(problems).isEmpty();
      }
      V1MutatingWebhookConfiguration otherBefore =
          admission.readMutatingWebhookConfiguration(other).execute();
      try (WebhookRegistration reg =
          WebhookRegistration.builder(sa, saWatch, new WebhookRegistration.Target(other, ENTRY))
              .onProblem(problems::add)
              .build()) {
        reg.manage(Optional.of(new WebhookSettings(true, FailurePolicy.FAIL, 4)));
        await("a denial reported", Duration.ofSeconds(60), () -> !problems.isEmpty());
        assertThat(problems.get(0).kind()).isEqualTo(RegistrationProblem.Kind.FORBIDDEN);
        assertThat(problems.get(0).message())
            .contains(
                "forbidden", other, "mutatingwebhookconfigurations", "patch", "resourceNames");
      }
      assertThat(resourceVersion(other)).isEqualTo(otherBefore.getMetadata().getResourceVersion());
    } finally {
      admission.deleteMutatingWebhookConfiguration(name).execute();
      admission.deleteMutatingWebhookConfiguration(other).execute();
      rbac.deleteClusterRoleBinding("acr-whcfg-it-" + run).execute();
      rbac.deleteClusterRole("acr-whcfg-it-" + run).execute();
    }
  }

  // ---- helpers ----

  Map<String, String> env() {
    return FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);
  }

  Map<String, String> config(String policy, int timeout, String threshold) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace-selector", "acr-whcfg-it-scope=" + run);
    data.put("expiring-threshold", threshold);
    data.put(
        "webhook-configuration",
        "enable: true\nfailure-policy: " + policy + "\ntimeout-seconds: " + timeout + "\n");
    data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE, DOMAIN));
    return data;
  }

  List<CoreV1Event> events(String ns) throws ApiException {
    return core.listNamespacedEvent(ns).execute().getItems();
  }

  /**
   * Two entries; both select only namespaces and objects labelled with this run's id, which no
   * object has, and point at a closed port.
   */
  private void register(String name) throws ApiException {
    V1MutatingWebhookConfiguration config =
        new V1MutatingWebhookConfiguration()
            .metadata(
                new V1ObjectMeta()
                    .name(name)
                    .putAnnotationsItem("acr-whcfg-it/note", "kept")
                    .putLabelsItem("acr-whcfg-it", run));
    for (String[] entry :
        List.of(new String[] {OTHER, "Fail", "3"}, new String[] {ENTRY, "Fail", "30"})) {
      config.addWebhooksItem(
          server
              .podCreateWebhook(
                  entry[0], "https://127.0.0.1:1/" + entry[0], Map.of("acr-whcfg-it-select", run))
              .failurePolicy(entry[1])
              .timeoutSeconds(Integer.parseInt(entry[2]))
              .objectSelector(
                  new V1LabelSelector().matchLabels(Map.of("acr-whcfg-it-select", run))));
    }
    admission.createMutatingWebhookConfiguration(config).execute();
  }

  private boolean is(String name, String policy, int timeout) throws ApiException {
    V1MutatingWebhook hook =
        entry(admission.readMutatingWebhookConfiguration(name).execute(), ENTRY);
    return policy.equals(hook.getFailurePolicy())
        && Integer.valueOf(timeout).equals(hook.getTimeoutSeconds());
  }

  private String resourceVersion(String name) throws ApiException {
    return admission
        .readMutatingWebhookConfiguration(name)
        .execute()
        .getMetadata()
        .getResourceVersion();
  }

  /** An administrator's JSON patch of the entry's two fields (what someone editing it does). */
  private void patchEntry(String name, String policy, int timeout) throws ApiException {
    V1MutatingWebhookConfiguration current =
        admission.readMutatingWebhookConfiguration(name).execute();
    int index = current.getWebhooks().indexOf(entry(current, ENTRY));
    String json =
        "[{\"op\":\"replace\",\"path\":\"/webhooks/"
            + index
            + "/failurePolicy\",\"value\":\""
            + policy
            + "\"},{\"op\":\"replace\",\"path\":\"/webhooks/"
            + index
            + "/timeoutSeconds\",\"value\":"
            + timeout
            + "}]";
    PatchUtils.patch(
        V1MutatingWebhookConfiguration.class,
        () -> admission.patchMutatingWebhookConfiguration(name, new V1Patch(json)).buildCall(null),
        V1Patch.PATCH_FORMAT_JSON_PATCH,
        admin);
  }

  /** Everything but the named entry's failurePolicy and timeoutSeconds is byte-identical. */
  private void assertUntouched(
      V1MutatingWebhookConfiguration before, V1MutatingWebhookConfiguration after) {
    assertThat(json(entry(after, OTHER))).isEqualTo(json(entry(before, OTHER)));
    assertThat(entry(after, ENTRY).getClientConfig().getCaBundle())
        .isEqualTo(entry(before, ENTRY).getClientConfig().getCaBundle())
        .isEqualTo(server.caCertificatePem().getBytes(StandardCharsets.US_ASCII));
    assertThat(json(normalized(entry(after, ENTRY))))
        .isEqualTo(json(normalized(entry(before, ENTRY))));
    assertThat(after.getWebhooks())
        .extracting(V1MutatingWebhook::getName)
        .containsExactly(OTHER, ENTRY);
    assertThat(after.getMetadata().getAnnotations())
        .isEqualTo(before.getMetadata().getAnnotations());
    assertThat(after.getMetadata().getLabels()).isEqualTo(before.getMetadata().getLabels());
  }

  private V1MutatingWebhook normalized(V1MutatingWebhook hook) {
    V1MutatingWebhook copy = admin.getJSON().deserialize(json(hook), V1MutatingWebhook.class);
    return copy.failurePolicy(null).timeoutSeconds(null);
  }

  private String json(Object o) {
    return admin.getJSON().serialize(o);
  }

  private static V1MutatingWebhook entry(V1MutatingWebhookConfiguration c, String name) {
    return c.getWebhooks().stream().filter(h -> h.getName().equals(name)).findFirst().orElseThrow();
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
