package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.WithKubeApiServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main job ({@code ./demo.sh}: {@code java -jar acr-credential-demo.jar demo}), as a
 * process: it must run to the end and report what a user is told it does.
 * {@code @WithKubeApiServer} only supplies the skip (or, in CI, the failure) when the Kubernetes
 * binaries are missing; the demo starts its own server.
 */
@WithKubeApiServer
class DemoCommandIT {

  @TempDir Path home;

  @Test
  void demoRunsEndToEndAndReportsEachStep() throws IOException, InterruptedException {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("HOME", home.toString());
    // The demo must not need any cloud credentials or endpoints from the environment.
    env.keySet().removeIf(k -> k.startsWith("ALIBABA_CLOUD_") || k.startsWith("ACR_CREDENTIAL_"));

    String jar = System.getProperty("acr.demo.jar");
    assertThat(jar).as("acr.demo.jar is set by the pom: run through mvn verify").isNotNull();
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            jar,
            "demo");
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    pb.redirectOutput(home.resolve("stdout").toFile());
    pb.redirectError(home.resolve("stderr").toFile());
    Process p = pb.start();
    boolean done = p.waitFor(180, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    Result r =
        new Result(
            done ? p.exitValue() : -1,
            Files.readString(home.resolve("stdout"), StandardCharsets.UTF_8),
            Files.readString(home.resolve("stderr"), StandardCharsets.UTF_8));

    assertThat(r.exit()).as(r.toString()).isZero();
    String out = r.stdout();
    assertThat(out)
        .as(r.toString())
        .contains("won the Lease")
        .contains("(1 GetAuthorizationToken call(s) for 2 namespaces)")
        .contains("4 Secret(s) written, 4 ServiceAccount(s) patched")
        .contains("team-c: no pull Secret (not in watch-namespace)")
        .contains("applied without a restart")
        .contains("new content in all 6 Secret(s) of 3 namespaces")
        .contains("tokens fetched so far: 2")
        .contains("Lease holder is now empty")
        .containsPattern("Done in \\d+ s\\.");
    Matcher rewritten = Pattern.compile("(\\d+) Secret\\(s\\) rewritten").matcher(out);
    assertThat(rewritten.find()).as(out).isTrue();
    assertThat(Integer.parseInt(rewritten.group(1))).isEqualTo(6);
    assertThat(out + r.stderr()).doesNotContain("Exception");
  }

  /** The demo's outcome. */
  record Result(int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }
}
