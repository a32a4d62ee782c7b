package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.examples.CliHarness.Result;
import io.acrcredential.examples.util.Json;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeApi;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Docker credential helper protocol: get, list, store, erase. */
class DockerCredentialHelperTest {

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

  Result helper(String stdin, String verb) {
    return cli.run(stdin, "docker-credential", verb);
  }

  JsonNode json(Result r) throws Exception {
    assertThat(r.exit()).as(r.stdout() + r.stderr()).isZero();
    return Json.MAPPER.readTree(r.stdout());
  }

  @Test
  void getPersonalEditionHost() throws Exception {
    JsonNode answer = json(helper("registry-vpc.cn-hangzhou.aliyuncs.com\n", "get"));

    assertThat(answer.get("ServerURL").asText()).isEqualTo("registry-vpc.cn-hangzhou.aliyuncs.com");
    assertThat(answer.get("Username").asText()).isEqualTo(CliHarness.USER);
    assertThat(answer.get("Secret").asText()).isEqualTo(CliHarness.PASSWORD);
    assertThat(cli.cloud.acr().callCount(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)).isEqualTo(1);
  }

  @Test
  void getEnterpriseHostLooksUpTheInstanceOnceAndCachesTheToken() throws Exception {
    String host = "https://myco-registry.cn-hangzhou.cr.aliyuncs.com/v2/";
    JsonNode first = json(helper(host, "get"));
    assertThat(first.get("ServerURL").asText()).isEqualTo(host);
    assertThat(
            cli.cloud.acr().lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).get().param("InstanceId"))
        .isEqualTo(CliHarness.INSTANCE_ID);

    json(helper("myco-registry-vpc.cn-hangzhou.cr.aliyuncs.com", "get"));
    json(helper(host, "get"));

    assertThat(cli.cloud.acr().callCount(FakeApi.LIST_INSTANCE)).isEqualTo(1);
    assertThat(cli.cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isEqualTo(1);
  }

  @Test
  void unknownEnterpriseInstanceIsAnErrorOnStdout() {
    Result r = helper("nosuch-registry.cn-hangzhou.cr.aliyuncs.com", "get");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stdout()).contains("nosuch");
  }

  @Test
  void notAcrIsNotFoundOnStdout() {
    for (String host :
        new String[] {
          "docker.io", "quay.io", "registry.cn-hangzhou.aliyuncs.com.evil.example", "not a host"
        }) {
      Result r = helper(host, "get");
      assertThat(r.exit()).as(host).isEqualTo(1);
      assertThat(r.stdout().strip()).as(host).isEqualTo("credentials not found in native keychain");
    }
    assertThat(cli.cloud.acr().totalCalls()).isZero();
  }

  @Test
  void customDomainsFromTheEnvironmentAndTheConfigFile() throws Exception {
    cli.env.put("ACR_CREDENTIAL_DOMAINS", "127.0.0.1:5000=cn-hangzhou/cri-golden01");
    assertThat(json(helper("127.0.0.1:5000", "get")).get("Secret").asText())
        .isEqualTo(CliHarness.PASSWORD);
    assertThat(
            cli.cloud.acr().lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).get().param("InstanceId"))
        .isEqualTo(CliHarness.INSTANCE_ID);

    cli.env.remove("ACR_CREDENTIAL_DOMAINS");
    Path config = home.resolve(".config/acr-credential/domains.json");
    Files.createDirectories(config.getParent());
    Files.writeString(
        config, "{\"domains\":{\"Registry.Example.com\":{\"region\":\"cn-shanghai\"}}}");
    json(helper("registry.example.com", "get"));
    assertThat(cli.cloud.acr().callCount(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)).isEqualTo(1);
  }

  @Test
  void badDomainConfigurationNamesTheProblem() throws Exception {
    Path config = home.resolve("domains.json");
    cli.env.put("ACR_CREDENTIAL_DOMAINS_FILE", config.toString());
    Result missing = helper("registry.example.com", "get");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.stdout()).contains(config.toString(), "does not exist");

    Files.writeString(
        config,
        "{\"domains\":{\"registry.example.com\":{\"region\":\"hangzhou\",\"instanceId\":\"cri-abc1\"}}}");
    assertThat(helper("registry.example.com", "get").stdout())
        .contains("registry.example.com", "region");

    Files.writeString(
        config, "{\"domains\":{\"registry.example.com\":{\"regoin\":\"cn-hangzhou\"}}}");
    assertThat(helper("registry.example.com", "get").stdout()).contains("unknown key 'regoin'");

    cli.env.remove("ACR_CREDENTIAL_DOMAINS_FILE");
    cli.env.put("ACR_CREDENTIAL_DOMAINS", "registry.example.com");
    assertThat(helper("registry.example.com", "get").stdout())
        .contains("ACR_CREDENTIAL_DOMAINS", "host=region");
  }

  @Test
  void acrFailureIsOneLineOnStdout() {
    cli.cloud
        .acr()
        .failAlways(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN, Failure.error("Forbidden.RAM"));
    Result r = helper("registry.cn-hangzhou.aliyuncs.com", "get");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stdout().lines().toList()).hasSize(1);
    assertThat(r.stdout()).contains("Forbidden.RAM").doesNotContain(CliHarness.SECRET);
  }

  @Test
  void listShowsHostsWithACachedToken() throws Exception {
    assertThat(json(helper("", "list")).size()).isZero();
    json(helper("registry.cn-hangzhou.aliyuncs.com", "get"));

    JsonNode list = json(helper("", "list"));
    assertThat(list.get("registry.cn-hangzhou.aliyuncs.com").asText()).isEqualTo(CliHarness.USER);
    assertThat(list.toString()).doesNotContain(CliHarness.PASSWORD);
  }

  @Test
  void storeAndEraseKeepNothing() throws Exception {
    Result store =
        helper(
            "{\"ServerURL\":\"registry.cn-hangzhou.aliyuncs.com\",\"Username\":\"u\",\"Secret\":\"s\"}",
            "store");
    assertThat(store.exit()).isZero();
    assertThat(store.stdout()).isEmpty();
    Result erase = helper("registry.cn-hangzhou.aliyuncs.com", "erase");
    assertThat(erase.exit()).isZero();
    assertThat(erase.stdout()).isEmpty();
    assertThat(json(helper("", "list")).size()).isZero();
    assertThat(cli.cloud.acr().totalCalls()).isZero();
  }

  @Test
  void verbIsRequired() {
    Result none = cli.run("", "docker-credential");
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.stderr()).contains("expected one verb");
    Result bad = cli.run("", "docker-credential", "fetch");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.stderr()).contains("unknown verb 'fetch'");
    assertThat(cli.run("", "docker-credential", "--help").stdout())
        .contains("get|list|store|erase");
  }
}
