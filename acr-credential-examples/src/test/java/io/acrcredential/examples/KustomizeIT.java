package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Runs the real {@code kustomize build} (built by {@code test-infra/kustomize/build.sh} from the Go
 * module proxy, cached in ~/.cache/acr-credential) on every kustomization under {@code deploy/}, as
 * {@code kubectl apply -k} would, and creates every object it prints with a server-side dry run
 * ({@code dryRun=All}, {@code fieldValidation=Strict}) on the real API server.
 */
@WithKubeApiServer
class KustomizeIT {

  static final Path DEPLOY = Path.of("deploy");

  private static Path kustomize;

  @BeforeAll
  static void locate() throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "../test-infra/kustomize/build.sh");
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(30, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("test-infra/kustomize/build.sh did not finish in 30 minutes");
    }
    if (p.exitValue() != 0) {
      boolean required = "true".equals(System.getenv("ACR_KUBE_REQUIRED"));
      if (!required && p.exitValue() == 3) {
        Assumptions.abort("kustomize cannot be built here (no Go): " + out);
      }
      throw new AssertionError("test-infra/kustomize/build.sh failed with exit " + p.exitValue());
    }
    String[] lines = out.split("\n");
    kustomize = Path.of(lines[lines.length - 1]).resolve("kustomize");
    assertThat(kustomize).as("kustomize after test-infra/kustomize/build.sh").isExecutable();
  }

  /** Every directory under deploy/ with a kustomization.yaml, outside the Helm chart. */
  static List<Path> kustomizations() throws IOException {
    try (Stream<Path> files = Files.walk(DEPLOY)) {
      return files
          .filter(f -> f.getFileName().toString().equals("kustomization.yaml"))
          .map(Path::getParent)
          .filter(d -> !d.startsWith(DEPLOY.resolve("helm")))
          .filter(d -> !d.startsWith(DEPLOY.resolve("components"))) // built through the overlays
          .sorted()
          .toList();
    }
  }

  /**
   * The objects {@code kustomize build DIR} prints, in order; fails the test on a non-zero exit.
   */
  static List<Map<String, Object>> build(Path dir, Path home) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(kustomize.toString(), "build", dir.toString());
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.environment().put("HOME", home.toString());
    Path err = home.resolve("stderr");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("kustomize build " + dir + " did not finish in 2 minutes");
    }
    assertThat(p.exitValue())
        .as("kustomize build %s: %s", dir, Files.readString(err, StandardCharsets.UTF_8))
        .isZero();
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(out)) {
      if (doc != null) {
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) doc;
        objects.add(object);
      }
    }
    return objects;
  }

  @SuppressWarnings("unchecked")
  static String name(Map<String, Object> object) {
    Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
    Object ns = meta.get("namespace");
    return object.get("kind") + " " + (ns == null ? "" : ns + "/") + meta.get("name");
  }

  @Test
  void everyBaseAndOverlayBuildsAndPassesAServerSideDryRun(
      LocalKubeApiServer server, @TempDir Path home) throws Exception {
    ApiClient admin = server.adminClient();
    List<Path> dirs = kustomizations();
    assertThat(dirs)
        .as("kustomizations under deploy/")
        .containsExactly(
            DEPLOY,
            DEPLOY.resolve("base"),
            DEPLOY.resolve("webhook"),
            DEPLOY.resolve("webhook-cert-manager"));
    Map<Path, List<Map<String, Object>>> built = new LinkedHashMap<>();
    for (Path dir : dirs) {
      List<Map<String, Object>> objects = build(dir, home);
      List<String> accepted = new ArrayList<>();
      for (Map<String, Object> object : objects) {
        accepted.add(DeployManifestsIT.dryRun(admin, object));
      }
      System.out.println("[kustomize] " + dir + ": dry-run accepted " + accepted);
      built.put(dir, objects);
    }
    List<String> base = built.get(DEPLOY.resolve("base")).stream().map(KustomizeIT::name).toList();
    assertThat(base)
        .contains(
            "Deployment kube-system/acr-credential",
            "ServiceAccount kube-system/acr-credential",
            "ClusterRole acr-credential",
            "ConfigMap kube-system/acr-configuration",
            "PodDisruptionBudget kube-system/acr-credential",
            "NetworkPolicy kube-system/acr-credential");
    assertThat(built.get(DEPLOY).stream().map(KustomizeIT::name).toList())
        .as("deploy/ is the base")
        .containsExactlyElementsOf(base);
    List<String> baseEnv = env(deployment(built.get(DEPLOY)));
    // the webhook with nothing to set up: no registration or certificate shipped, the RBAC to
    // make and keep its own
    List<Map<String, Object>> webhook = built.get(DEPLOY.resolve("webhook"));
    assertThat(webhook.stream().map(KustomizeIT::name).toList())
        .containsAll(base)
        .contains(
            "Service kube-system/acr-credential-webhook",
            "NetworkPolicy kube-system/acr-credential-webhook",
            "ClusterRole acr-credential-webhook-registration",
            "Role kube-system/acr-credential-webhook-certificate")
        .doesNotContain("MutatingWebhookConfiguration acr-credential");
    assertThat(env(deployment(webhook)))
        .contains("ACR_CREDENTIAL_WEBHOOK_PORT")
        .doesNotContain("ACR_CREDENTIAL_WEBHOOK_CERT_FILE")
        .containsAll(baseEnv);
    // cert-manager: its registration, the patch-only RBAC and the certificate files
    List<Map<String, Object>> certManager = built.get(DEPLOY.resolve("webhook-cert-manager"));
    assertThat(certManager.stream().map(KustomizeIT::name).toList())
        .containsAll(base)
        .contains(
            "Service kube-system/acr-credential-webhook",
            "MutatingWebhookConfiguration acr-credential",
            "ClusterRole acr-credential-webhook-configuration")
        .doesNotContain("ClusterRole acr-credential-webhook-registration");
    // both patches reached the one Deployment (merged, not a second object)
    assertThat(env(deployment(certManager)))
        .contains(
            "ACR_CREDENTIAL_WEBHOOK_PORT",
            "ACR_CREDENTIAL_WEBHOOK_CERT_FILE",
            "ACR_CREDENTIAL_WEBHOOK_KEY_FILE")
        .containsAll(baseEnv);
  }

  private static Map<String, Object> deployment(List<Map<String, Object>> objects) {
    List<Map<String, Object>> found =
        objects.stream()
            .filter(o -> name(o).equals("Deployment kube-system/acr-credential"))
            .toList();
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  @SuppressWarnings("unchecked")
  private static List<String> env(Map<String, Object> deployment) {
    Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
    Map<String, Object> pod =
        (Map<String, Object>) ((Map<String, Object>) spec.get("template")).get("spec");
    Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
    return ((List<Map<String, Object>>) container.getOrDefault("env", List.of()))
        .stream().map(e -> (String) e.get("name")).toList();
  }
}
