package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.examples.CliHarness.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sync}'s webhook options are checked before anything connects: each mistake is a usage
 * error (exit 2) with one line naming the option to fix.
 */
class SyncWebhookOptionsTest {

  @TempDir Path home;
  private Path kubeconfig;
  private Path cert;
  private Path key;

  @BeforeEach
  void files() throws Exception {
    // parsed, never contacted: every case below fails before a request is made
    kubeconfig =
        Files.writeString(
            home.resolve("kubeconfig"),
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server:"
                + " https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n"
                + "    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n");
    cert = Files.writeString(home.resolve("tls.crt"), "not read by these tests\n");
    key = Files.writeString(home.resolve("tls.key"), "not read by these tests\n");
  }

  private Result sync(String... args) {
    List<String> all = new ArrayList<>(List.of("sync", "--kubeconfig", kubeconfig.toString()));
    all.addAll(List.of("--config", home.resolve("absent.yaml").toString()));
    all.addAll(List.of(args));
    try (CliHarness cli = new CliHarness(home)) {
      return cli.run("", all.toArray(String[]::new));
    }
  }

  private static void usage(Result r, String... fragments) {
    assertThat(r.exit()).as(r.stderr()).isEqualTo(2);
    assertThat(r.stderr().strip().lines()).hasSize(1);
    assertThat(r.stderr()).contains(fragments);
  }

  @Test
  void certificateAndKeyComeTogether() {
    usage(
        sync("--webhook-cert-file", cert.toString()),
        "give both --webhook-cert-file and --webhook-key-file",
        "missing --webhook-key-file");
    usage(sync("--webhook-key-file", key.toString()), "missing --webhook-cert-file");
  }

  @Test
  void unreadableFilesAndClashingPortsNameTheOption() {
    usage(
        sync(
            "--webhook-cert-file",
            home.resolve("nope.crt").toString(),
            "--webhook-key-file",
            key.toString()),
        "cannot read",
        "--webhook-cert-file");
    usage(
        sync(
            "--webhook-cert-file",
            cert.toString(),
            "--webhook-key-file",
            key.toString(),
            "--webhook-port",
            "9443",
            "--http-port",
            "9443"),
        "--webhook-port and --http-port are both 9443");
  }

  @Test
  void registrationNamesAreValidatedAndTheOptOutExcludesThem() {
    String[] served = {
      "--webhook-cert-file", cert.toString(), "--webhook-key-file", key.toString()
    };
    List<String> args = new ArrayList<>(List.of(served));
    args.addAll(List.of("--webhook-configuration-name", "Not_A_Name"));
    usage(sync(args.toArray(String[]::new)), "invalid --webhook-configuration-name 'Not_A_Name'");

    args = new ArrayList<>(List.of(served));
    args.addAll(List.of("--webhook-name", "bad name"));
    usage(sync(args.toArray(String[]::new)), "invalid --webhook-name 'bad name'");

    args = new ArrayList<>(List.of(served));
    args.addAll(List.of("--no-webhook-configuration-update", "--webhook-name", "pods.example.io"));
    usage(
        sync(args.toArray(String[]::new)),
        "--no-webhook-configuration-update and --webhook-name contradict each other");
  }

  @Test
  void helpListsTheWebhookOptions() {
    try (CliHarness cli = new CliHarness(home)) {
      Result help = cli.run("", "sync", "--help");
      assertThat(help.exit()).isZero();
      assertThat(help.stdout())
          .contains(
              "--webhook-port",
              "--webhook-cert-file",
              "--webhook-key-file",
              "--webhook-configuration-name",
              "--webhook-name",
              "--no-webhook-configuration-update");
    }
  }
}
