package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.examples.CliHarness.Result;
import io.acrcredential.examples.cli.Command;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

  @TempDir Path home;
  CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(home);
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  /** The version in this module's POM (its parent's), which the build filters into a resource. */
  static String pomVersion() throws java.io.IOException {
    String pom = java.nio.file.Files.readString(Path.of("pom.xml"));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "<artifactId>acr-credential-parent</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(pom);
    assertThat(m.find()).as("parent version in pom.xml").isTrue();
    return m.group(1);
  }

  @Test
  void versionIsTheBuildsAlsoOutsideTheJar() throws Exception {
    // these tests run from target/classes, without a jar manifest: the build's resource decides
    Result r = cli.run("", "--version");
    assertThat(r.exit()).isZero();
    assertThat(r.stdout().strip()).isEqualTo("acr-credential " + pomVersion());
    assertThat(Main.version()).isEqualTo(pomVersion()).doesNotContain("development", "${");
  }

  @Test
  void helpListsEveryCommandAndEachHasItsOwn() {
    Result r = cli.run("", "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.stdout()).contains("token", "kubelet-credential-provider", "docker-credential");
    for (String command : Main.commands().keySet()) {
      Result help = cli.run("", command, "--help");
      assertThat(help.exit()).as(command).isZero();
      assertThat(help.stdout()).as(command).startsWith("Usage:").contains("--help");
    }
  }

  @Test
  void eachListedCommandIsFoundByItsNameAndNothingElseIs() {
    for (Map.Entry<String, Command> e : Main.commands().entrySet()) {
      Command found = Main.command(e.getKey(), List.of());
      assertThat(found).as(e.getKey()).isNotNull();
      assertThat(found.getClass()).as(e.getKey()).isEqualTo(e.getValue().getClass());
    }
    assertThat(Main.command("demo", List.of())).isNull();
    assertThat(Main.command("sink", List.of())).isNull();
  }

  @Test
  void noCommandOrUnknownCommandIsAUsageError() {
    assertThat(cli.run("").exit()).isEqualTo(2);
    Result r = cli.run("", "sink");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.stderr()).contains("unknown command 'sink'", "token");
  }

  @Test
  void debugAddsTheStackTrace() {
    Result plain =
        cli.run("", "token", "--region", "cn-hangzhou", "--acr-endpoint", "http://127.0.0.1:1");
    assertThat(plain.stderr().lines().count()).isEqualTo(1);
    Result debug =
        cli.run(
            "",
            "--debug",
            "token",
            "--region",
            "cn-hangzhou",
            "--acr-endpoint",
            "http://127.0.0.1:1");
    assertThat(debug.stderr()).contains("\tat ");
  }
}
