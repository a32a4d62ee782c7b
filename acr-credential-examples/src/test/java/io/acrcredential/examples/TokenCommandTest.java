package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.examples.CliHarness.Result;
import io.acrcredential.testing.FakeApi;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCommandTest {

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

  @Test
  void printsADockerConfigForThePersonalDomains() {
    Result r = cli.run("", "token", "--region", "cn-hangzhou");

    assertThat(r.exit()).as(r.stderr()).isZero();
    DockerConfig config = DockerConfig.decode(r.stdout().strip().getBytes(StandardCharsets.UTF_8));
    assertThat(config.auth("registry.cn-hangzhou.aliyuncs.com").get().password())
        .isEqualTo(CliHarness.PASSWORD);
    assertThat(config.auth("registry-vpc.cn-hangzhou.aliyuncs.com")).isPresent();
  }

  @Test
  void enterpriseWithExplicitDomainsAsJson() throws Exception {
    Result r =
        cli.run(
            "",
            "token",
            "--region=cn-hangzhou",
            "--instance-id",
            CliHarness.INSTANCE_ID,
            "--domain",
            "Reg.Example.com",
            "--domain",
            "127.0.0.1:5000",
            "--format",
            "json");

    assertThat(r.exit()).as(r.stderr()).isZero();
    JsonNode json = Json.MAPPER.readTree(r.stdout());
    assertThat(json.get("username").asText()).isEqualTo(CliHarness.USER);
    assertThat(json.get("domains").toString())
        .isEqualTo("[\"reg.example.com\",\"127.0.0.1:5000\"]");
    assertThat(cli.cloud.acr().callCount(FakeApi.LIST_INSTANCE_ENDPOINT)).isZero();
  }

  @Test
  void writesTheOutputFileAtomicallyWithMode0600() throws Exception {
    Path out = home.resolve("config.json");
    Files.writeString(out, "old");
    Result r = cli.run("", "token", "--region", "cn-hangzhou", "--output", out.toString());

    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr()).contains("Wrote the login").doesNotContain(CliHarness.PASSWORD);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
        .isEqualTo("rw-------");
    assertThat(DockerConfig.decode(Files.readAllBytes(out)).auths()).isNotEmpty();
    try (var files = Files.list(home)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void clearErrors() {
    Result noRegion = cli.run("", "token");
    assertThat(noRegion.exit()).isEqualTo(2);
    assertThat(noRegion.stderr())
        .isEqualTo("error: option '--region' is required; see 'token --help'\n");

    Result badRegion = cli.run("", "token", "--region", "hangzhou");
    assertThat(badRegion.exit()).isEqualTo(2);
    assertThat(badRegion.stderr()).contains("invalid region id 'hangzhou'");

    Result badFormat = cli.run("", "token", "--region", "cn-hangzhou", "--format", "yaml");
    assertThat(badFormat.stderr()).contains("invalid --format 'yaml'");

    Result badEndpoint =
        cli.run("", "token", "--region", "cn-hangzhou", "--acr-endpoint", "http://a b");
    assertThat(badEndpoint.exit()).isEqualTo(2);
    assertThat(badEndpoint.stderr()).contains("ACR endpoint");

    cli.env.remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    Result halfKey = cli.run("", "token", "--region", "cn-hangzhou");
    assertThat(halfKey.exit()).isEqualTo(1);
    assertThat(halfKey.stderr()).contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    assertThat(halfKey.stderr().lines().count()).isEqualTo(1);
  }

  @Test
  void endpointFromTheEnvironment() {
    cli.env.put("ACR_CREDENTIAL_ACR_ENDPOINT", "http://127.0.0.1:1");
    Result r = cli.run("", "token", "--region", "cn-hangzhou");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr()).startsWith("error: ").contains("127.0.0.1:1");
    assertThat(cli.cloud.acr().totalCalls()).isZero();
  }
}
