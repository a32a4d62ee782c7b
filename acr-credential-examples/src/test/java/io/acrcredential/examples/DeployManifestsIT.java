package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
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
      Map.of(
          "ServiceAccount", new String[] {"/api/v1", "serviceaccounts", "true"},
          "ConfigMap", new String[] {"/api/v1", "configmaps", "true"},
          "ClusterRole",
              new String[] {"/apis/rbac.authorization.k8s.io/v1", "clusterroles", "false"},
          "ClusterRoleBinding",
              new String[] {"/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", "false"},
          "Role", new String[] {"/apis/rbac.authorization.k8s.io/v1", "roles", "true"},
          "RoleBinding",
              new String[] {"/apis/rbac.authorization.k8s.io/v1", "rolebindings", "true"},
          "Deployment", new String[] {"/apis/apps/v1", "deployments", "true"},
          "PodDisruptionBudget", new String[] {"/apis/policy/v1", "poddisruptionbudgets", "true"});

  @Test
  void everyManifestPassesAServerSideDryRun(LocalKubeApiServer server) throws Exception {
    ApiClient admin = server.adminClient();
    List<String> files = new ArrayList<>();
    Object kustomization =
        new Yaml(new SafeConstructor(new LoaderOptions()))
            .load(Files.readString(Path.of("deploy/kustomization.yaml")));
    @SuppressWarnings("unchecked")
    List<String> resources = (List<String>) ((Map<String, Object>) kustomization).get("resources");
    files.addAll(resources);
    assertThat(files)
        .containsExactlyInAnyOrder(
            "rbac.yaml", "configmap-rbac.yaml", "configmap.yaml", "deployment.yaml", "pdb.yaml");
    List<String> accepted = new ArrayList<>();
    for (String file : files) {
      String text = Files.readString(Path.of("deploy", file), StandardCharsets.UTF_8);
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
            "ConfigMap kube-system/acr-configuration");
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
