package io.acrcredential.examples.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.examples.CliHarness;
import io.acrcredential.examples.CliHarness.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a Pod author or a careless node admin controls on a node: the image name (so the registry
 * host and its region label) and the plugin's request. Hosts of unknown regions get no login, and
 * errors quote at most a short excerpt of the input.
 */
class HostileNodeInputTest {

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

  static String request(String apiVersion, String image) {
    return "{\"apiVersion\":\""
        + apiVersion
        + "\",\"kind\":\"CredentialProviderRequest\",\"image\":\""
        + image
        + "\"}";
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "registry.evil-region.aliyuncs.com",
        "registry.oss-cn-hangzhou.aliyuncs.com",
        "myco-registry.evil-region.cr.aliyuncs.com"
      })
  void hostsOfUnknownRegionsGetNoLogin(String host) {
    Result plugin =
        cli.run(
            request(KubeletCommand.API_VERSION, host + "/team/app:1"),
            "kubelet-credential-provider");
    assertThat(plugin.exit()).as(plugin.stderr()).isZero();
    assertThat(plugin.stdout()).contains("\"auth\":{}").doesNotContain(CliHarness.PASSWORD);

    Result helper = cli.run(host, "docker-credential", "get");
    assertThat(helper.exit()).isEqualTo(1);
    assertThat(helper.stdout()).doesNotContain(CliHarness.PASSWORD);

    assertThat(cli.cloud.acr().totalCalls()).isZero();
  }

  @Test
  void aKnownRegionStillGetsItsLoginAndUnknownOnesOnlyWhenTheUserOptsIn() {
    Result known = cli.run("registry.cn-hangzhou.aliyuncs.com", "docker-credential", "get");
    assertThat(known.stdout()).contains(CliHarness.PASSWORD);

    cli.env.put("ACR_CREDENTIAL_ALLOW_UNKNOWN_REGIONS", "true");
    Result optedIn =
        cli.run(
            request(KubeletCommand.API_VERSION, "registry.cn-newregion.aliyuncs.com/team/app:1"),
            "kubelet-credential-provider");
    assertThat(optedIn.stdout()).contains(CliHarness.PASSWORD);
  }

  @Test
  void aHugeApiVersionIsQuotedAsAShortExcerpt() {
    String apiVersion = "x".repeat(500_000);

    Result r =
        cli.run(
            request(apiVersion, "registry.cn-hangzhou.aliyuncs.com/a:1"),
            "kubelet-credential-provider");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr()).contains("unsupported apiVersion 'xxxx").contains("(500000 characters)");
    assertThat(r.stderr().length()).isLessThan(400);
  }

  @Test
  void controlCharactersInTheRequestCannotForgeLines() {
    Result r =
        cli.run(
            request("v1\\nerror: forged line", "registry.cn-hangzhou.aliyuncs.com/a:1"),
            "kubelet-credential-provider");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr().strip().lines()).hasSize(1);
    assertThat(r.stderr()).contains("\\u000a");
  }

  @Test
  void anOversizedRequestIsNotReadWhole() {
    String padding = " ".repeat(KubeletCommand.MAX_REQUEST + 1);
    Result r =
        cli.run(
            padding + request(KubeletCommand.API_VERSION, "registry.cn-hangzhou.aliyuncs.com/a:1"),
            "kubelet-credential-provider");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stderr()).contains("larger than 1024 KiB");
    assertThat(cli.cloud.acr().totalCalls()).isZero();
  }
}
