package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.Pair;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import okhttp3.Call;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Applies every shipped manifest with a server-side dry run ({@code dryRun=All}, {@code
 * fieldValidation=Strict}) against the real API server: schema, references and admission all check
 * them without changing the cluster.
 */
@WithKubeApiServer
class DeployManifestsIT {

  /** kind → [API prefix, plural, namespaced]. */
  static final Map<String, String[]> KINDS =
      Map.ofEntries(
          Map.entry("ServiceAccount", new String[] {"/api/v1", "serviceaccounts", "true"}),
          Map.entry("ConfigMap", new String[] {"/api/v1", "configmaps", "true"}),
          Map.entry(
              "ClusterRole",
              new String[] {"/apis/rbac.authorization.k8s.io/v1", "clusterroles", "false"}),
          Map.entry(
              "ClusterRoleBinding",
              new String[] {"/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", "false"}),
          Map.entry("Role", new String[] {"/apis/rbac.authorization.k8s.io/v1", "roles", "true"}),
          Map.entry(
              "RoleBinding",
              new String[] {"/apis/rbac.authorization.k8s.io/v1", "rolebindings", "true"}),
          Map.entry("Deployment", new String[] {"/apis/apps/v1", "deployments", "true"}),
          Map.entry("DaemonSet", new String[] {"/apis/apps/v1", "daemonsets", "true"}),
          Map.entry(
              "PodDisruptionBudget",
              new String[] {"/apis/policy/v1", "poddisruptionbudgets", "true"}),
          Map.entry("Service", new String[] {"/api/v1", "services", "true"}),
          Map.entry(
              "MutatingWebhookConfiguration",
              new String[] {
                "/apis/admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", "false"
              }),
          Map.entry(
              "ValidatingAdmissionPolicy",
              new String[] {
                "/apis/admissionregistration.k8s.io/v1", "validatingadmissionpolicies", "false"
              }),
          Map.entry(
              "ValidatingAdmissionPolicyBinding",
              new String[] {
                "/apis/admissionregistration.k8s.io/v1",
                "validatingadmissionpolicybindings",
                "false"
              }),
          Map.entry(
              "NetworkPolicy",
              new String[] {"/apis/networking.k8s.io/v1", "networkpolicies", "true"}));

  @Test
  void everyManifestPassesAServerSideDryRun(LocalKubeApiServer server) throws Exception {
    ApiClient admin = server.adminClient();
    List<String> files = new ArrayList<>();
    Object kustomization =
        new Yaml(new SafeConstructor(new LoaderOptions()))
            .load(Files.readString(Path.of("deploy/base/kustomization.yaml")));
    @SuppressWarnings("unchecked")
    List<String> resources = (List<String>) ((Map<String, Object>) kustomization).get("resources");
    files.addAll(resources);
    assertThat(files)
        .containsExactlyInAnyOrder(
            "rbac.yaml",
            "configmap-rbac.yaml",
            "configmap.yaml",
            "deployment.yaml",
            "pdb.yaml",
            "networkpolicy.yaml");
    List<String> accepted = new ArrayList<>();
    for (String file : files) {
      String text = Files.readString(Path.of("deploy/base", file), StandardCharsets.UTF_8);
      for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
        if (doc == null) {
          continue;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) doc;
        String kind = (String) object.get("kind");
        String[] api = KINDS.get(kind);
        assertThat(api).as("known kind " + kind + " in " + file).isNotNull();
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
        String ns = (String) meta.get("namespace");
        if (api[2].equals("true")) {
          assertThat(ns).as(kind + " " + meta.get("name") + " names its namespace").isNotNull();
        }
        String path = api[0] + (api[2].equals("true") ? "/namespaces/" + ns : "") + "/" + api[1];
        JsonElement body = admin.getJSON().getGson().toJsonTree(object);
        JsonObject created = dryRunCreate(admin, path, body);
        assertThat(created.getAsJsonObject("metadata").get("name").getAsString())
            .isEqualTo(meta.get("name"));
        accepted.add(kind + " " + (ns == null ? "" : ns + "/") + meta.get("name"));
      }
    }
    System.out.println("[refresher] dry-run accepted: " + accepted);
    assertThat(accepted)
        .contains(
            "Deployment kube-system/acr-credential",
            "PodDisruptionBudget kube-system/acr-credential",
            "ServiceAccount kube-system/acr-credential",
            "ClusterRole acr-credential",
            "ConfigMap kube-system/acr-configuration",
            "ValidatingAdmissionPolicy acr-credential-writes.acr-credential.io",
            "ValidatingAdmissionPolicyBinding acr-credential-writes.acr-credential.io",
            "NetworkPolicy kube-system/acr-credential");
  }

  /**
   * The webhook overlay: its Service and MutatingWebhookConfiguration, and the base Deployment with
   * the overlay's patch merged the way a strategic-merge patch merges these lists (by name).
   */
  @Test
  @SuppressWarnings("unchecked")
  void webhookOverlayPassesAServerSideDryRun(LocalKubeApiServer server) throws Exception {
    ApiClient admin = server.adminClient();
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    Map<String, Object> kustomization =
        yaml.load(Files.readString(Path.of("deploy/webhook-cert-manager/kustomization.yaml")));
    assertThat((List<String>) kustomization.get("resources"))
        .containsExactly("../base", "mutatingwebhook.yaml", "rbac.yaml");
    assertThat((List<String>) kustomization.get("components"))
        .containsExactly("../components/webhook-server");
    List<String> accepted = new ArrayList<>();
    String registration = null;
    for (String file :
        List.of(
            "components/webhook-server/service.yaml",
            "webhook-cert-manager/mutatingwebhook.yaml",
            "components/webhook-server/networkpolicy.yaml")) {
      Map<String, Object> object =
          yaml.load(Files.readString(Path.of("deploy", file), StandardCharsets.UTF_8));
      accepted.add(dryRun(admin, object));
      if (object.get("kind").equals("MutatingWebhookConfiguration")) {
        registration = (String) ((Map<String, Object>) object.get("metadata")).get("name");
        assertThat(registration).isEqualTo(WebhookRegistration.DEFAULT_CONFIGURATION);
        Map<String, Object> hook = ((List<Map<String, Object>>) object.get("webhooks")).get(0);
        assertThat(hook.get("name")).isEqualTo(WebhookRegistration.DEFAULT_WEBHOOK);
        assertThat(hook)
            .containsEntry("failurePolicy", "Ignore")
            .containsEntry("sideEffects", "None")
            .containsEntry("timeoutSeconds", 10)
            .containsEntry("reinvocationPolicy", "IfNeeded")
            .containsEntry("admissionReviewVersions", List.of("v1"));
        Map<String, Object> service =
            (Map<String, Object>) ((Map<String, Object>) hook.get("clientConfig")).get("service");
        assertThat(service).containsEntry("path", "/mutate-pods");
      }
    }
    // the RBAC of the registration update: that one object by name, no create or delete, bound
    // to the base ServiceAccount
    List<String> rbacKinds = new ArrayList<>();
    for (Object doc :
        yaml.loadAll(
            Files.readString(
                Path.of("deploy/webhook-cert-manager/rbac.yaml"), StandardCharsets.UTF_8))) {
      Map<String, Object> object = (Map<String, Object>) doc;
      rbacKinds.add((String) object.get("kind"));
      accepted.add(dryRun(admin, object));
      if (object.get("kind").equals("ClusterRole")) {
        List<Map<String, Object>> rules = (List<Map<String, Object>>) object.get("rules");
        assertThat(rules).hasSize(1);
        assertThat(rules.get(0))
            .containsEntry("apiGroups", List.of("admissionregistration.k8s.io"))
            .containsEntry("resources", List.of("mutatingwebhookconfigurations"))
            .containsEntry("resourceNames", List.of(registration))
            .containsEntry("verbs", List.of("get", "list", "watch", "patch"));
      } else {
        assertThat((List<Map<String, Object>>) object.get("subjects"))
            .containsExactly(
                Map.of(
                    "kind",
                    "ServiceAccount",
                    "name",
                    "acr-credential",
                    "namespace",
                    "kube-system"));
        assertThat((Map<String, Object>) object.get("roleRef"))
            .containsEntry("kind", "ClusterRole")
            .containsEntry("name", "acr-credential-webhook-configuration");
      }
    }
    assertThat(rbacKinds).containsExactly("ClusterRole", "ClusterRoleBinding");
    Map<String, Object> deployment =
        yaml.load(Files.readString(Path.of("deploy/base/deployment.yaml")));
    Map<String, Object> podSpec = podSpec(deployment);
    Map<String, Object> container = ((List<Map<String, Object>>) podSpec.get("containers")).get(0);
    for (String file :
        List.of(
            "deploy/components/webhook-server/deployment-patch.yaml",
            "deploy/webhook-cert-manager/deployment-patch.yaml")) {
      Map<String, Object> patch = yaml.load(Files.readString(Path.of(file)));
      Map<String, Object> patchSpec = podSpec(patch);
      Map<String, Object> patchContainer =
          ((List<Map<String, Object>>) patchSpec.get("containers")).get(0);
      assertThat(patchContainer.get("name")).isEqualTo(container.get("name"));
      for (String list : List.of("env", "ports", "volumeMounts")) {
        if (patchContainer.containsKey(list)) {
          mergeByName(container, patchContainer, list);
        }
      }
      if (patchSpec.containsKey("volumes")) {
        mergeByName(podSpec, patchSpec, "volumes");
      }
    }
    assertThat((List<Map<String, Object>>) container.get("env"))
        .extracting(e -> e.get("name"))
        .contains(
            "ACR_CREDENTIAL_WEBHOOK_PORT",
            "ACR_CREDENTIAL_WEBHOOK_CERT_FILE",
            "ACR_CREDENTIAL_WEBHOOK_KEY_FILE");
    accepted.add(dryRun(admin, deployment));
    System.out.println("[refresher] webhook overlay dry-run accepted: " + accepted);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> podSpec(Map<String, Object> deployment) {
    Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
    Map<String, Object> template = (Map<String, Object>) spec.get("template");
    return (Map<String, Object>) template.get("spec");
  }

  @SuppressWarnings("unchecked")
  private static void mergeByName(Map<String, Object> into, Map<String, Object> from, String key) {
    List<Map<String, Object>> target =
        new ArrayList<>((List<Map<String, Object>>) into.getOrDefault(key, List.of()));
    for (Map<String, Object> item : (List<Map<String, Object>>) from.get(key)) {
      target.removeIf(t -> t.get("name").equals(item.get("name")));
      target.add(item);
    }
    into.put(key, target);
  }

  @SuppressWarnings("unchecked")
  static String dryRun(ApiClient admin, Map<String, Object> object) throws ApiException {
    String kind = (String) object.get("kind");
    String[] api = KINDS.get(kind);
    assertThat(api).as("known kind " + kind).isNotNull();
    Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
    String ns = (String) meta.get("namespace");
    String path = api[0] + (api[2].equals("true") ? "/namespaces/" + ns : "") + "/" + api[1];
    JsonObject created = dryRunCreate(admin, path, admin.getJSON().getGson().toJsonTree(object));
    assertThat(created.getAsJsonObject("metadata").get("name").getAsString())
        .isEqualTo(meta.get("name"));
    return kind + " " + (ns == null ? "" : ns + "/") + meta.get("name");
  }

  private static JsonObject dryRunCreate(ApiClient client, String path, JsonElement body)
      throws ApiException {
    List<Pair> query = new ArrayList<>();
    query.add(new Pair("dryRun", "All"));
    query.add(new Pair("fieldValidation", "Strict"));
    Call call = rawCall(client, "POST", path, query, body, "application/json");
    Type type = JsonObject.class;
    try {
      return client.<JsonObject>execute(call, type).getData();
    } catch (ApiException e) {
      throw new AssertionError(
          "dry-run create " + path + " rejected: HTTP " + e.getCode() + " " + e.getResponseBody(),
          e);
    }
  }

  /** A request the generated API has no method for (dry run, server-side apply), as a Call. */
  static Call rawCall(
      ApiClient client,
      String method,
      String path,
      List<Pair> query,
      Object body,
      String contentType)
      throws ApiException {
    Map<String, String> headers = new HashMap<>();
    headers.put("Accept", "application/json");
    headers.put("Content-Type", contentType);
    return client.buildCall(
        client.getBasePath(),
        path,
        method,
        query,
        new ArrayList<>(),
        body,
        headers,
        new HashMap<>(),
        new HashMap<>(),
        new String[] {"BearerToken"},
        null);
  }
}
