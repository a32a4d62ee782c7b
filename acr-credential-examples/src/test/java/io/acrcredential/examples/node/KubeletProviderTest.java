package io.acrcredential.examples.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.examples.CliHarness;
import io.acrcredential.examples.CliHarness.Result;
import io.acrcredential.examples.cli.CredentialConfigTest;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.IssuedToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The kubelet credential provider protocol (v1), in-process against the fake ACR and STS. */
class KubeletProviderTest {

  static final String ROLE = "acs:ram::1234567890123456:role/team-puller";
  static final String PROVIDER = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1";
  static final String NODE_ROLE = "acs:ram::1234567890123456:role/KubernetesWorkerRole";

  @TempDir Path home;
  CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(home);
    cli.env.put("ACR_CREDENTIAL_DOMAINS", "registry.example.com:5000=cn-hangzhou/cri-golden01");
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  static String golden(String name) throws IOException {
    try (InputStream in =
        KubeletProviderTest.class.getResourceAsStream("/golden/kubelet/" + name)) {
      assertThat(in).as("golden file %s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
  }

  Result provide(String request, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "kubelet-credential-provider";
    System.arraycopy(args, 0, all, 1, args.length);
    return cli.run(request, all);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "personal",
        "enterprise",
        "distributed",
        "custom-domain",
        "not-acr",
        "docker-hub-short"
      })
  void answersWithTheGoldenResponse(String name) throws IOException {
    Result r = provide(golden(name + ".request.json"), "--credential-source", "default-chain");

    assertThat(r.stderr()).isEmpty();
    assertThat(r.exit()).isZero();
    assertThat(r.stdout().strip()).isEqualTo(golden(name + ".response.json"));
  }

  @Test
  void nonAcrImageMakesNoCall() throws IOException {
    provide(golden("not-acr.request.json"));
    assertThat(cli.cloud.acr().totalCalls()).isZero();
    assertThat(cli.cloud.metadata().totalCalls()).isZero();
  }

  @Test
  void usesTheNodeRamRoleAtTheEndOfTheDefaultChain() throws IOException {
    cli.env.remove("ALIBABA_CLOUD_ACCESS_KEY_ID");
    cli.env.remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    cli.cloud.identities().addRole(NODE_ROLE);
    cli.cloud.metadata().attachRole("KubernetesWorkerRole", NODE_ROLE);

    Result r = provide(golden("personal.request.json"));

    assertThat(r.stdout().strip()).isEqualTo(golden("personal.response.json"));
    assertThat(lastIssued().principal()).isEqualTo(NODE_ROLE);
    assertThat(cli.cloud.metadata().callCount(FakeApi.METADATA_CREDENTIALS)).isEqualTo(1);
  }

  @Test
  void secondInvocationIsServedFromTheDiskCacheWithAShorterCacheDuration() throws IOException {
    String request = golden("enterprise.request.json");
    assertThat(provide(request, "--credential-source", "default-chain").exit()).isZero();
    assertThat(cli.cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isEqualTo(1);
    assertThat(cli.cloud.acr().callCount(FakeApi.LIST_INSTANCE)).isEqualTo(1);

    cli.clock.advance(Duration.ofMinutes(20));
    Result again = provide(request, "--credential-source", "default-chain");

    assertThat(again.stdout()).contains("\"cacheDuration\":\"20m0s\"");
    assertThat(cli.cloud.acr().totalCalls()).isEqualTo(2);

    cli.clock.advance(Duration.ofMinutes(31)); // 9 minutes left: under the 10-minute margin
    Result late = provide(request, "--credential-source", "default-chain");
    assertThat(late.stdout()).contains("\"cacheDuration\":\"30m0s\"");
    assertThat(cli.cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isEqualTo(2);
  }

  @Test
  void serviceAccountTokenIsExchangedForTheAnnotatedRole() throws IOException {
    String token = CredentialConfigTest.jwt("system:serviceaccount:team:puller");
    cli.cloud.identities().trustOidc(ROLE, PROVIDER, token);

    Result r = provide(golden("service-account.request.json"));

    assertThat(r.stderr()).isEmpty();
    assertThat(r.stdout().strip()).isEqualTo(golden("service-account.response.json"));
    assertThat(lastIssued().principal()).isEqualTo(ROLE);
    assertThat(cli.cloud.sts().lastRequest(FakeApi.ASSUME_ROLE_WITH_OIDC).get().param("OIDCToken"))
        .isEqualTo(token);
    assertThat(cli.cloud.metadata().totalCalls()).isZero();

    // The same service account again: cached, no STS or ACR call.
    provide(golden("service-account.request.json"));
    assertThat(cli.cloud.sts().callCount(FakeApi.ASSUME_ROLE_WITH_OIDC)).isEqualTo(1);
    assertThat(cli.cloud.acr().totalCalls()).isEqualTo(1);
  }

  @Test
  void anotherServiceAccountNeverGetsTheCachedTokenOfTheSameRole() throws IOException {
    String token = CredentialConfigTest.jwt("system:serviceaccount:team:puller");
    cli.cloud.identities().trustOidc(ROLE, PROVIDER, token);
    assertThat(provide(golden("service-account.request.json")).exit()).isZero();

    // Another namespace annotates its service account with the same role; STS does not trust it.
    String other = CredentialConfigTest.jwt("system:serviceaccount:intruder:default");
    Result r = provide(golden("service-account.request.json").replace(token, other));

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr()).startsWith("error: ").doesNotContain(other);
    assertThat(cli.cloud.sts().callCount(FakeApi.ASSUME_ROLE_WITH_OIDC)).isEqualTo(2);
  }

  @Test
  void serviceAccountWithoutProviderArnIsAClearError() throws IOException {
    String request =
        golden("service-account.request.json")
            .replace(",\"acr-credential.io/oidc-provider-arn\":\"" + PROVIDER + "\"", "");
    Result r = provide(request);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr()).contains("acr-credential.io/oidc-provider-arn", "--oidc-provider-arn");

    String token = CredentialConfigTest.jwt("system:serviceaccount:team:puller");
    cli.cloud.identities().trustOidc(ROLE, PROVIDER, token);
    Result withArg = provide(request, "--oidc-provider-arn", PROVIDER);
    assertThat(withArg.exit()).isZero();
    assertThat(lastIssued().principal()).isEqualTo(ROLE);
  }

  @Test
  void acrFailureIsOneLineOnStderrAndNothingOnStdout() throws IOException {
    cli.cloud
        .acr()
        .failAlways(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN, Failure.error("Forbidden.RAM"));

    Result r = provide(golden("personal.request.json"), "--credential-source", "default-chain");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr().lines().toList()).hasSize(1);
    assertThat(r.stderr()).startsWith("error: ").contains("Forbidden.RAM");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          not json            | {"apiVersion":                                              | not valid JSON
          empty input         | ''                                                          | standard input is empty
          array               | []                                                          | must be a JSON object
          wrong apiVersion    | {"apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","kind":"CredentialProviderRequest","image":"a.b/c"} | unsupported apiVersion 'credentialprovider.kubelet.k8s.io/v1beta1'
          no apiVersion       | {"kind":"CredentialProviderRequest","image":"a.b/c"}        | unsupported apiVersion ''
          wrong kind          | {"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","image":"a.b/c"} | unexpected kind 'CredentialProviderResponse'
          missing image       | {"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest"} | no "image"
          empty image         | {"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":""} | no "image"
          numeric image       | {"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":7} | no "image"
          duplicate key       | {"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"a.b/c","image":"d.e/f"} | not valid JSON
          bad annotations     | {"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"a.b/c","serviceAccountAnnotations":[]} | serviceAccountAnnotations must be an object
          role without token  | {"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"a.b/c","serviceAccountAnnotations":{"acr-credential.io/role-arn":"acs:ram::1:role/r"}} | no serviceAccountToken
          """)
  void malformedRequestIsAClearErrorWithNothingOnStdout(
      String name, String request, String message) {
    Result r = provide(request);

    assertThat(r.exit()).as(name).isEqualTo(1);
    assertThat(r.stdout()).as(name).isEmpty();
    assertThat(r.stderr()).as(name).startsWith("error: ").contains(message);
    assertThat(r.stderr().lines().toList()).as(name).hasSize(1);
    assertThat(cli.cloud.acr().totalCalls()).isZero();
  }

  @Test
  void unknownOptionIsAUsageError() {
    Result r = provide("", "--no-such-option");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr()).contains("unknown option '--no-such-option'");
  }

  @Test
  void helpListsTheOptions() {
    Result r = provide("", "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.stdout())
        .contains("--credential-source", "--oidc-provider-arn", "ACR_CREDENTIAL_ACR_ENDPOINT");
  }

  @Test
  void goDurationFormat() {
    assertThat(KubeletCommand.goDuration(Duration.ofSeconds(1800))).isEqualTo("30m0s");
    assertThat(KubeletCommand.goDuration(Duration.ofSeconds(3601))).isEqualTo("1h0m1s");
    assertThat(KubeletCommand.goDuration(Duration.ofSeconds(59))).isEqualTo("59s");
    assertThat(KubeletCommand.goDuration(Duration.ofMillis(300))).isEqualTo("1s");
  }

  @Test
  void registryHostOfImages() {
    assertThat(KubeletCommand.registryHost("nginx")).isEqualTo("docker.io");
    assertThat(KubeletCommand.registryHost("library/nginx:1")).isEqualTo("docker.io");
    assertThat(KubeletCommand.registryHost("localhost/app")).isEqualTo("localhost");
    assertThat(KubeletCommand.registryHost("127.0.0.1:5000/a/b:1")).isEqualTo("127.0.0.1:5000");
    assertThat(KubeletCommand.registryHost("registry-vpc.cn-beijing.aliyuncs.com/a/b@sha256:00"))
        .isEqualTo("registry-vpc.cn-beijing.aliyuncs.com");
  }

  IssuedToken lastIssued() {
    List<IssuedToken> issued = cli.cloud.acr().issuedTokens();
    return issued.get(issued.size() - 1);
  }
}
