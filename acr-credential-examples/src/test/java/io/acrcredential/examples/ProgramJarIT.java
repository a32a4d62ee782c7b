package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.examples.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The packaged program ({@code target/acr-credential.jar}, also what the image holds) carries only
 * what runs in production: no test code, no fakes, no kube harness, no JUnit, none of the excluded
 * libraries. The integration tests that run this jar as a process (sync, webhook, kubelet plugin,
 * Docker helper) prove that the program works without them.
 */
class ProgramJarIT {

  /** Class-path prefixes that must not be in the program jar, with why. */
  static final Map<String, String> FORBIDDEN =
      Map.ofEntries(
          Map.entry("org/junit/", "JUnit"),
          Map.entry("org/opentest4j/", "JUnit"),
          Map.entry("org/assertj/", "AssertJ"),
          Map.entry("io/acrcredential/testing/", "the fakes (acr-credential-testing)"),
          Map.entry("io/acrcredential/kube/testing/", "the kube harness"),
          Map.entry("io/acrcredential/examples/sync/DemoCommand", "the demo (acr-credential-demo)"),
          Map.entry(
              "io/acrcredential/examples/sync/DemoFixturesCommand",
              "the demo (acr-credential-demo)"),
          Map.entry("io/acrcredential/examples/DemoMain", "the demo (acr-credential-demo)"),
          Map.entry("com/google/protobuf/", "protobuf"),
          Map.entry("io/kubernetes/client/proto/", "client-java-proto"),
          Map.entry("io/kubernetes/client/openapi/models/V1PodFluent", "client-java-api-fluent"),
          Map.entry("io/github/bucket4j/", "bucket4j"),
          Map.entry("com/github/benmanes/caffeine/", "caffeine"),
          Map.entry("org/apache/commons/compress/", "commons-compress (client-java's kubectl cp)"),
          Map.entry("org/apache/commons/io/", "commons-io"),
          Map.entry(
              "io/kubernetes/client/openapi/apis/AppsV1Api",
              "client-java API groups the program never calls"),
          Map.entry(
              "io/kubernetes/client/openapi/apis/CustomObjectsApi",
              "client-java API groups the program never calls"),
          Map.entry("org/checkerframework/", "checker-qual"),
          Map.entry("org/bouncycastle/pqc/", "Bouncy Castle's post-quantum algorithms"),
          Map.entry(
              "META-INF/versions/9/org/bouncycastle/pqc/",
              "Bouncy Castle's post-quantum algorithms"),
          Map.entry(
              "org/bouncycastle/jcajce/provider/asymmetric/",
              "Bouncy Castle's JCA provider algorithms"),
          Map.entry("org/bouncycastle/cms/", "Bouncy Castle's CMS"));

  static final long MAX_BYTES = 25_000_000;

  @Test
  void programJarHoldsNoTestCodeAndNoExcludedLibrary() throws IOException {
    Path jar = SyncProcess.jar();
    long size = Files.size(jar);
    System.out.printf("program jar %s: %.1f MB%n", jar, size / 1e6);
    List<String> entries;
    try (JarFile f = new JarFile(jar.toFile())) {
      entries = f.stream().map(ZipEntry::getName).toList();
    }
    assertThat(entries).contains("io/acrcredential/examples/Main.class");
    assertThat(entries).contains("io/acrcredential/k8s/PullSecretSync.class");
    for (Map.Entry<String, String> forbidden : FORBIDDEN.entrySet()) {
      assertThat(entries)
          .as("%s in the program jar", forbidden.getValue())
          .noneMatch(e -> e.startsWith(forbidden.getKey()));
    }
    assertThat(entries)
        .as("test classes in the program jar")
        .noneMatch(
            e -> e.startsWith("io/acrcredential/") && e.matches(".*(Test|IT)(\\$.*)?\\.class"));
    assertThat(size).as("program jar size in bytes").isLessThanOrEqualTo(MAX_BYTES);
  }

  @Test
  void programJarPointsToTheDemoJar() {
    Processes.Result r =
        Processes.run(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                SyncProcess.jar().toString(),
                "demo"),
            Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")),
            "");
    assertThat(r.exit()).as(r.toString()).isEqualTo(CliException.USAGE);
    assertThat(r.stderr()).as(r.toString()).contains("./demo.sh").contains("acr-credential-demo");
  }
}
