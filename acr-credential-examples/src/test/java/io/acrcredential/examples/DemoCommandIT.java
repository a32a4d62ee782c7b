package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.WithKubeApiServer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main job, {@code java -jar acr-credential.jar demo}, as a process: it must run to
 * the end and report what a user is told it does. {@code @WithKubeApiServer} only supplies the skip
 * (or, in CI, the failure) when the Kubernetes binaries are missing; the demo starts its own
 * server.
 */
@WithKubeApiServer
class DemoCommandIT {

  @TempDir Path home;

  @Test
  void demoRunsEndToEndAndReportsEachStep() {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("HOME", home.toString());
    // The demo must not need any cloud credentials or endpoints from the environment.
    env.keySet().removeIf(k -> k.startsWith("ALIBABA_CLOUD_") || k.startsWith("ACR_CREDENTIAL_"));

    Processes.Result r =
        Processes.run(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                SyncProcess.jar().toString(),
                "demo"),
            env,
            "");

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
}
