package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.RbacManifest;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ConfigParseResult;
import io.acrcredential.k8s.config.RegistryEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shipped manifests agree with the code: RBAC rendered from the k8s module's template. */
class DeployManifestsTest {

  static final Path DEPLOY = Path.of("deploy/base");
  static final String HEADER =
      "# GENERATED from acr-credential-k8s's RBAC template (RbacManifest.render) for namespace\n"
          + "# kube-system, ServiceAccount acr-credential, Lease acr-credential-sync and the domains"
          + " of\n# configmap.yaml. Regenerate after changing either:\n"
          + "#   mvn -pl acr-credential-examples -am verify -Dtest=DeployManifestsTest"
          + " -Dacr.deploy.regenerate=true\n";

  static AcrConfiguration exampleConfiguration() throws IOException {
    String text = Files.readString(DEPLOY.resolve("configmap.yaml"), StandardCharsets.UTF_8);
    ConfigParseResult parsed =
        AcrConfigParser.forClusterRegion("cn-hangzhou")
            .parse(ConfigSource.FromFile.parse(text, "configmap.yaml"));
    assertThat(parsed.problems()).as("the example ConfigMap has no problems").isEmpty();
    return parsed.config();
  }

  static String expectedRbac() throws IOException {
    AcrConfiguration config = exampleConfiguration();
    List<String> domains =
        config.registries().stream()
            .map(RegistryEntry::target)
            .map(RegistryTarget::domains)
            .flatMap(List::stream)
            .toList();
    return HEADER
        + RbacManifest.render(
            "kube-system",
            "acr-credential",
            SyncCommand.DEFAULT_LEASE,
            RbacManifest.secretNames(config.secretLayout(), domains));
  }

  @Test
  void rbacIsTheRenderedTemplate() throws IOException {
    String expected = expectedRbac();
    Path file = DEPLOY.resolve("rbac.yaml");
    if (Boolean.getBoolean("acr.deploy.regenerate")) {
      Files.writeString(file, expected, StandardCharsets.UTF_8);
    }
    assertThat(Files.readString(file, StandardCharsets.UTF_8))
        .as(
            "deploy/base/rbac.yaml differs from the k8s module's RBAC template; regenerate it with"
                + " -Dacr.deploy.regenerate=true")
        .isEqualTo(expected);
  }

  /**
   * The NetworkPolicies open exactly the ports the containers serve: the probe/metrics port in the
   * base, the webhook port in the overlay, nothing else.
   */
  @Test
  @SuppressWarnings("unchecked")
  void networkPoliciesOpenOnlyTheServedPorts() throws IOException {
    org.yaml.snakeyaml.Yaml yaml =
        new org.yaml.snakeyaml.Yaml(
            new org.yaml.snakeyaml.constructor.SafeConstructor(
                new org.yaml.snakeyaml.LoaderOptions()));
    java.util.function.Function<String, List<Object>> policyPorts =
        file -> {
          try {
            java.util.Map<String, Object> policy =
                yaml.load(Files.readString(DEPLOY.resolve(file)));
            assertThat(policy.get("kind")).isEqualTo("NetworkPolicy");
            java.util.Map<String, Object> spec = (java.util.Map<String, Object>) policy.get("spec");
            assertThat((List<String>) spec.get("policyTypes")).containsExactly("Ingress");
            List<java.util.Map<String, Object>> ingress =
                (List<java.util.Map<String, Object>>) spec.get("ingress");
            return ingress.stream()
                .flatMap(rule -> ((List<java.util.Map<String, Object>>) rule.get("ports")).stream())
                .map(port -> port.get("port"))
                .toList();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        };
    assertThat(policyPorts.apply("networkpolicy.yaml"))
        .containsExactly(containerPort("deployment.yaml", "http"));
    assertThat(policyPorts.apply("../components/webhook-server/networkpolicy.yaml"))
        .containsExactly(
            containerPort("../components/webhook-server/deployment-patch.yaml", "webhook"));
  }

  @SuppressWarnings("unchecked")
  private static Object containerPort(String file, String name) throws IOException {
    org.yaml.snakeyaml.Yaml yaml =
        new org.yaml.snakeyaml.Yaml(
            new org.yaml.snakeyaml.constructor.SafeConstructor(
                new org.yaml.snakeyaml.LoaderOptions()));
    java.util.Map<String, Object> d = yaml.load(Files.readString(DEPLOY.resolve(file)));
    java.util.Map<String, Object> spec =
        (java.util.Map<String, Object>)
            ((java.util.Map<String, Object>)
                    ((java.util.Map<String, Object>) d.get("spec")).get("template"))
                .get("spec");
    for (java.util.Map<String, Object> c :
        (List<java.util.Map<String, Object>>) spec.get("containers")) {
      for (java.util.Map<String, Object> p : (List<java.util.Map<String, Object>>) c.get("ports")) {
        if (name.equals(p.get("name"))) {
          return p.get("containerPort");
        }
      }
    }
    throw new AssertionError("no container port " + name + " in " + file);
  }

  @Test
  void exampleConfigurationNamesExplicitDomains() throws IOException {
    AcrConfiguration config = exampleConfiguration();
    assertThat(config.registries()).hasSize(1);
    assertThat(config.registries().get(0).target().domains())
        .containsExactly(
            "example-registry.cn-hangzhou.cr.aliyuncs.com",
            "example-registry-vpc.cn-hangzhou.cr.aliyuncs.com");
  }

  @Test
  void deploymentRunsTheSyncCommandWithTheShippedServiceAccount() throws IOException {
    String deployment = Files.readString(DEPLOY.resolve("deployment.yaml"));
    assertThat(deployment)
        .contains("replicas: 2")
        .contains("serviceAccountName: acr-credential")
        .contains("args: [\"sync\", \"--configmap\", \"kube-system/acr-configuration\"")
        .contains("readOnlyRootFilesystem: true")
        .contains("runAsNonRoot: true");
    assertThat(Files.readString(DEPLOY.resolve("rbac.yaml")))
        .contains(
            "kind: ServiceAccount\nmetadata:\n  name: acr-credential\n  namespace: kube-system");
  }
}
