package io.acrcredential.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The real {@code helm} built by {@code test-infra/helm/build.sh} (from the Go module proxy, cached
 * in ~/.cache/acr-credential), run as a child process with its own empty home, cache and config
 * directories.
 */
final class Helm {

  static final Path CHART = Path.of("deploy/helm/acr-credential");
  static final Path FULL_VALUES = CHART.resolve("ci/full-values.yaml");

  private final Path binary;
  private final Path home;
  private final Path kubeconfig;

  private Helm(Path binary, Path home, Path kubeconfig) {
    this.binary = binary;
    this.home = home;
    this.kubeconfig = kubeconfig;
  }

  /**
   * Builds helm unless cached; skips the test when Go is missing, unless ACR_KUBE_REQUIRED=true
   * (CI).
   */
  static Helm locate(Path home, Path kubeconfig) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "../test-infra/helm/build.sh");
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(30, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("test-infra/helm/build.sh did not finish in 30 minutes");
    }
    if (p.exitValue() != 0) {
      boolean required = "true".equals(System.getenv("ACR_KUBE_REQUIRED"));
      if (!required && p.exitValue() == 3) {
        Assumptions.abort("helm cannot be built here (no Go): " + out);
      }
      throw new AssertionError("test-infra/helm/build.sh failed with exit " + p.exitValue());
    }
    String[] lines = out.split("\n");
    Path binary = Path.of(lines[lines.length - 1]).resolve("helm");
    if (!Files.isExecutable(binary)) {
      throw new AssertionError(binary + " is missing after test-infra/helm/build.sh");
    }
    return new Helm(binary, home, kubeconfig);
  }

  /** Runs helm with the arguments; fails the test on a non-zero exit. Returns stdout. */
  String run(String... args) throws IOException, InterruptedException {
    Result r = tryRun(args);
    if (r.exit != 0) {
      throw new AssertionError(
          "helm " + String.join(" ", args) + " exited " + r.exit + "\n" + r.stdout + r.stderr);
    }
    return r.stdout;
  }

  record Result(int exit, String stdout, String stderr) {}

  Result tryRun(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.environment().put("HOME", home.toString());
    pb.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
    pb.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
    pb.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
    if (kubeconfig != null) {
      pb.environment().put("KUBECONFIG", kubeconfig.toString());
    }
    Path out = Files.createTempFile(home, "helm", ".out");
    Path err = Files.createTempFile(home, "helm", ".err");
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("helm " + String.join(" ", args) + " did not finish in 3 minutes");
    }
    return new Result(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
