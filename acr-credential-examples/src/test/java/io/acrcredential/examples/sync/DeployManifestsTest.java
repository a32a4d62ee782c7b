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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  /** The value of a plain (quoted) environment variable of the shipped Deployment. */
  static String shippedEnv(String name) throws IOException {
    Matcher m =
        Pattern.compile("- name: " + name + "\\s*\\n\\s*value: \"([^\"]*)\"")
            .matcher(Files.readString(DEPLOY.resolve("deployment.yaml")));
    assertThat(m.find()).as("deploy/base/deployment.yaml sets %s", name).isTrue();
    return m.group(1);
  }

  /**
   * Debian's openjdk-17, which the image's runtime is jlink'ed from (src/image/build-base.sh; else
   * the JDK 17 the build runs on), starts with the shipped JVM options and prints no warning: an
   * option it does not know stops a JVM at start, and a deprecated or ignored one is a warning.
   */
  @Test
  void shippedJvmOptionsStartTheJdkWithoutWarnings() throws Exception {
    String options = shippedEnv("JAVA_TOOL_OPTIONS");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    try (var jdks = Files.newDirectoryStream(Path.of("/usr/lib/jvm"), "java-17-openjdk-*")) {
      for (Path jdk : jdks) {
        if (Files.isExecutable(jdk.resolve("bin/java"))) {
          java = jdk.resolve("bin/java");
        }
      }
    } catch (IOException e) {
      // no Debian JDKs: the running one
    }
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("JAVA_TOOL_OPTIONS", options);
    env.put("MALLOC_ARENA_MAX", shippedEnv("MALLOC_ARENA_MAX"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue())
        .as("java -version with JAVA_TOOL_OPTIONS=%s:%n%s", options, out)
        .isZero();
    assertThat(out)
        .as("java -version with the shipped options")
        .contains("Picked up JAVA_TOOL_OPTIONS: " + options)
        .containsIgnoringCase("openjdk version \"17.")
        .doesNotContainIgnoringCase("warning")
        .doesNotContainIgnoringCase("unrecognized");
  }
}
