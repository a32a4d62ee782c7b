package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.examples.CliHarness.Result;
import io.acrcredential.examples.util.Json;
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
    Path out = home.resolve("new-dir").resolve("config.json");
    Result r = cli.run("", "token", "--region", "cn-hangzhou", "--output", out.toString());

    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr()).contains("Wrote the login").doesNotContain(CliHarness.PASSWORD);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
        .isEqualTo("rw-------");
    assertThat(DockerConfig.decode(Files.readAllBytes(out)).auths()).isNotEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.getParent())))
        .isEqualTo("rwx------");
    try (var files = Files.list(out.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void anExistingDockerConfigKeepsEverythingElse() throws Exception {
    Path out = home.resolve("config.json");
    String other =
        "{\"auths\":{\"quay.io\":{\"auth\":\"dXNlcjpwdw==\"},"
            + "\"registry.cn-hangzhou.aliyuncs.com\":{\"auth\":\"b2xkOm9sZA==\"}},"
            + "\"credHelpers\":{\"gcr.io\":\"gcloud\"},\"psFormat\":\"table\"}";
    Files.writeString(out, other);

    Result r = cli.run("", "token", "--region", "cn-hangzhou", "--output", out.toString());

    assertThat(r.exit()).as(r.stderr()).isZero();
    JsonNode merged = Json.MAPPER.readTree(out.toFile());
    assertThat(merged.get("credHelpers").toString()).isEqualTo("{\"gcr.io\":\"gcloud\"}");
    assertThat(merged.get("psFormat").asText()).isEqualTo("table");
    assertThat(merged.get("auths").get("quay.io").get("auth").asText()).isEqualTo("dXNlcjpwdw==");
    DockerConfig config = DockerConfig.decode(Files.readAllBytes(out));
    assertThat(config.auth("registry.cn-hangzhou.aliyuncs.com").get().password())
        .as("our own stale entry is replaced")
        .isEqualTo(CliHarness.PASSWORD);
    assertThat(config.auth("registry-vpc.cn-hangzhou.aliyuncs.com")).isPresent();
  }

  @Test
  void aFileThatIsNotADockerConfigIsNeverOverwritten() throws Exception {
    for (String content : new String[] {"old notes, not JSON", "[1,2]", "{\"auths\":[]}"}) {
      Path out = home.resolve("precious.txt");
      Files.writeString(out, content);

      Result r = cli.run("", "token", "--region", "cn-hangzhou", "--output", out.toString());

      assertThat(r.exit()).as(content).isEqualTo(1);
      assertThat(r.stderr())
          .startsWith("error: refusing to overwrite " + out)
          .doesNotContain(content);
      assertThat(r.stderr().strip().lines()).hasSize(1);
      assertThat(Files.readString(out)).isEqualTo(content);
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
