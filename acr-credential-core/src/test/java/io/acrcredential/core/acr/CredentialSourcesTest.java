package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.FakeClock;
import io.acrcredential.testing.IssuedToken;
import io.acrcredential.testing.SessionCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every credential source end to end: STS, ECS metadata (IMDSv2), RRSA/OIDC, default chain. */
class CredentialSourcesTest {

  static final String AK = "LTAI5tCredentialSources01";
  static final String SECRET = "credentialSourcesSecret12345";
  static final String ROLE = "acs:ram::1234567890123456:role/acr-puller";
  static final String PROVIDER_ARN = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1";
  static final String OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.fakeOidcTokenPayload.sig";
  static final String REGION = "cn-hangzhou";
  static final RegistryTarget PERSONAL = RegistryTarget.personal(REGION);
  static final RegistryTarget EE = RegistryTarget.enterprise(REGION, "cri-src001");

  @TempDir Path dir;
  FakeClock clock;
  FakeAlibabaCloud cloud;

  @BeforeEach
  void start() {
    clock = FakeClock.atSystemTime();
    cloud = FakeAlibabaCloud.start(clock);
    // The SDK stamps requests with the real time; the fake clock may run ahead of it.
    cloud.acr().setMaxClockSkew(Duration.ofDays(1));
    cloud.sts().setMaxClockSkew(Duration.ofDays(1));
    cloud.identities().addAccessKey(AK, SECRET);
    cloud.acr().addInstance(AcrInstance.of("cri-src001", "src", REGION));
  }

  @AfterEach
  void stop() {
    cloud.close();
  }

  AcrTokenProvider provider(AlibabaCredentials credentials) {
    return AcrTokenProvider.builder()
        .credentials(credentials)
        .endpoint("http://" + cloud.acr().endpoint())
        .stsEndpoint("http://" + cloud.sts().endpoint())
        .metadataEndpoint("http://" + cloud.metadata().endpoint())
        .readTimeout(Duration.ofSeconds(3))
        .clock(clock)
        .build();
  }

  RegistryCredential fetchAndCheck(AcrTokenProvider p, RegistryTarget target) {
    RegistryCredential c = p.fetch(target);
    assertThat(cloud.acr().acceptsLogin(c.username(), c.password())).isTrue();
    return c;
  }

  String lastPrincipal() {
    List<IssuedToken> issued = cloud.acr().issuedTokens();
    return issued.get(issued.size() - 1).principal();
  }

  @Test
  void assumedRoleIsCachedAndRenewedBeforeExpiry() {
    cloud.identities().addRole(ROLE, AK);
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.accessKey(AK, SECRET)
                .assumeRole(ROLE, "node-7", Duration.ofSeconds(3600)))) {
      fetchAndCheck(p, PERSONAL);
      fetchAndCheck(p, EE);

      assertThat(lastPrincipal()).isEqualTo(ROLE);
      assertThat(cloud.sts().callCount(FakeApi.ASSUME_ROLE)).isEqualTo(1);
      var assume = cloud.sts().lastRequest(FakeApi.ASSUME_ROLE).get();
      assertThat(assume.param("RoleArn")).isEqualTo(ROLE);
      assertThat(assume.param("RoleSessionName")).isEqualTo("node-7");
      assertThat(assume.param("DurationSeconds")).isEqualTo("3600");
      assertThat(assume.param("AccessKeyId")).isEqualTo(AK);

      clock.advance(Duration.ofMinutes(44));
      fetchAndCheck(p, PERSONAL);
      assertThat(cloud.sts().callCount(FakeApi.ASSUME_ROLE)).isEqualTo(1);

      clock.advance(Duration.ofMinutes(2)); // within 15 minutes of the session's end
      fetchAndCheck(p, PERSONAL);
      assertThat(cloud.sts().callCount(FakeApi.ASSUME_ROLE)).isEqualTo(2);
    }
  }

  @Test
  void assumeRoleFailuresNameTheRoleAndPermission() {
    cloud.identities().addRole(ROLE); // trusts nobody
    try (AcrTokenProvider p = provider(AlibabaCredentials.accessKey(AK, SECRET).assumeRole(ROLE))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.PERMISSION_DENIED);
      assertThat(e.getMessage()).contains(ROLE).contains("sts:AssumeRole").contains("trust policy");
    }
    String missing = "acs:ram::1234567890123456:role/nope";
    try (AcrTokenProvider p =
        provider(AlibabaCredentials.accessKey(AK, SECRET).assumeRole(missing))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
      assertThat(e.getMessage()).contains(missing);
    }
    cloud.identities().addRole(ROLE, AK).setMaxSessionDuration(ROLE, Duration.ofHours(1));
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.accessKey(AK, SECRET).assumeRole(ROLE, null, Duration.ofHours(2)))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
      assertThat(e.getMessage()).contains("expireDuration");
    }
  }

  @Test
  void assumeRoleArgumentsAreValidated() {
    AlibabaCredentials base = AlibabaCredentials.accessKey(AK, SECRET);
    assertThatThrownBy(() -> base.assumeRole(ROLE, null, Duration.ofSeconds(899)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("900 to 43200");
    assertThatThrownBy(() -> base.assumeRole(ROLE, null, Duration.ofSeconds(43201)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> base.assumeRole("arn:aws:iam::1:role/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("assumeRoleARN");
    assertThatThrownBy(() -> base.assumeRole(ROLE, "bad name", Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("session name");
    assertThatThrownBy(() -> AlibabaCredentials.accessKey(AK, " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("accessKeySecret");
  }

  @Test
  void ecsRamRoleByNameUsesImdsV2() {
    cloud.metadata().attachRole("worker-role", ROLE).requireImdsV2(true);
    try (AcrTokenProvider p = provider(AlibabaCredentials.ecsRamRole("worker-role"))) {
      fetchAndCheck(p, EE);
      fetchAndCheck(p, PERSONAL);

      assertThat(lastPrincipal()).isEqualTo(ROLE);
      assertThat(cloud.metadata().callCount(FakeApi.METADATA_TOKEN)).isEqualTo(1);
      assertThat(cloud.metadata().callCount(FakeApi.METADATA_CREDENTIALS)).isEqualTo(1);
      assertThat(cloud.metadata().callCount(FakeApi.METADATA_ROLE_NAME)).isZero();
      SessionCredentials served = cloud.metadata().currentCredentials().orElseThrow();
      assertThat(
              cloud
                  .acr()
                  .lastRequest(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)
                  .get()
                  .header("x-acs-security-token"))
          .isEqualTo(served.securityToken());
    }
  }

  @Test
  void ecsRamRoleIsDiscoveredAndRenewed() {
    cloud.metadata().attachRole("discovered", ROLE).setCredentialLifetime(Duration.ofHours(1));
    try (AcrTokenProvider p = provider(AlibabaCredentials.ecsRamRole(null))) {
      fetchAndCheck(p, PERSONAL);
      assertThat(cloud.metadata().callCount(FakeApi.METADATA_ROLE_NAME)).isEqualTo(1);

      clock.advance(Duration.ofMinutes(50));
      fetchAndCheck(p, PERSONAL);
      assertThat(cloud.metadata().callCount(FakeApi.METADATA_CREDENTIALS)).isEqualTo(2);
      assertThat(cloud.metadata().callCount(FakeApi.METADATA_ROLE_NAME)).isEqualTo(1);
    }
  }

  @Test
  void ecsWithoutRoleIsNotFound() {
    try (AcrTokenProvider p = provider(AlibabaCredentials.ecsRamRole(null))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
      assertThat(e.getMessage()).contains("no RAM role attached");
    }
    cloud.metadata().attachRole("real", ROLE);
    try (AcrTokenProvider p = provider(AlibabaCredentials.ecsRamRole("other"))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
      assertThat(e.getMessage()).contains("'other'");
    }
  }

  @Test
  void oidcRoleReadsTheTokenFile() throws IOException {
    cloud.identities().trustOidc(ROLE, PROVIDER_ARN, OIDC_TOKEN);
    Path tokenFile = Files.writeString(dir.resolve("token"), OIDC_TOKEN + "\n");
    try (AcrTokenProvider p =
        provider(AlibabaCredentials.oidcRole(ROLE, PROVIDER_ARN, tokenFile, "pod-a"))) {
      fetchAndCheck(p, EE);

      assertThat(lastPrincipal()).isEqualTo(ROLE);
      var call = cloud.sts().lastRequest(FakeApi.ASSUME_ROLE_WITH_OIDC).get();
      assertThat(call.param("OIDCToken")).isEqualTo(OIDC_TOKEN);
      assertThat(call.param("RoleSessionName")).isEqualTo("pod-a");
      assertThat(call.param("OIDCProviderArn")).isEqualTo(PROVIDER_ARN);
    }
    Files.writeString(tokenFile, "not-the-token");
    try (AcrTokenProvider p =
        provider(AlibabaCredentials.oidcRole(ROLE, PROVIDER_ARN, tokenFile, null))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_CREDENTIALS);
      assertThat(e.getMessage()).contains("OIDC token").doesNotContain("not-the-token");
    }
    try (AcrTokenProvider p =
        provider(AlibabaCredentials.oidcRole(ROLE, PROVIDER_ARN, dir.resolve("absent"), null))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
      assertThat(e.getMessage()).contains("absent").contains("does not exist");
    }
  }

  @Test
  void oidcRoleWithTokenInMemory() {
    cloud.identities().trustOidc(ROLE, PROVIDER_ARN, OIDC_TOKEN);
    AlibabaCredentials credentials =
        AlibabaCredentials.oidcRoleWithToken(ROLE, PROVIDER_ARN, OIDC_TOKEN, "pod-b");
    assertThat(credentials.toString()).doesNotContain(OIDC_TOKEN);
    try (AcrTokenProvider p = provider(credentials)) {
      fetchAndCheck(p, EE);

      assertThat(lastPrincipal()).isEqualTo(ROLE);
      var call = cloud.sts().lastRequest(FakeApi.ASSUME_ROLE_WITH_OIDC).get();
      assertThat(call.param("OIDCToken")).isEqualTo(OIDC_TOKEN);
      assertThat(call.param("RoleSessionName")).isEqualTo("pod-b");
    }
    try (AcrTokenProvider p =
        provider(AlibabaCredentials.oidcRoleWithToken(ROLE, PROVIDER_ARN, "not-the-token", null))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_CREDENTIALS);
      assertThat(e.getMessage()).doesNotContain("not-the-token");
    }
    assertThatThrownBy(() -> AlibabaCredentials.oidcRoleWithToken(ROLE, PROVIDER_ARN, " ", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("oidcToken");
    assertThatThrownBy(
            () -> AlibabaCredentials.oidcRoleWithToken(ROLE, "arn:wrong", OIDC_TOKEN, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("oidcProviderArn");
  }

  @Test
  void defaultChainUsesEnvironmentAccessKey() {
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of(
                    "ALIBABA_CLOUD_ACCESS_KEY_ID",
                    AK,
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                    SECRET)))) {
      fetchAndCheck(p, PERSONAL);
      assertThat(lastPrincipal()).isEqualTo(AK);
    }
  }

  @Test
  void defaultChainUsesEnvironmentStsToken() {
    SessionCredentials sts = cloud.identities().issueSession(ROLE, Duration.ofHours(1), clock);
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of(
                    "ALIBABA_CLOUD_ACCESS_KEY_ID", sts.accessKeyId(),
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET", sts.accessKeySecret(),
                    "ALIBABA_CLOUD_SECURITY_TOKEN", sts.securityToken())))) {
      fetchAndCheck(p, EE);
      assertThat(
              cloud.acr().lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).get().param("SecurityToken"))
          .isEqualTo(sts.securityToken());
    }
  }

  @Test
  void defaultChainReportsAHalfSetAccessKey() {
    try (AcrTokenProvider p =
        provider(AlibabaCredentials.defaultChain(Map.of("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
      assertThat(e.getMessage()).contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    }
  }

  @Test
  void defaultChainUsesRrsaVariables() throws IOException {
    cloud.identities().trustOidc(ROLE, PROVIDER_ARN, OIDC_TOKEN);
    Path tokenFile = Files.writeString(dir.resolve("rrsa-token"), OIDC_TOKEN);
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of(
                    "ALIBABA_CLOUD_ROLE_ARN", ROLE,
                    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER_ARN,
                    "ALIBABA_CLOUD_OIDC_TOKEN_FILE", tokenFile.toString())))) {
      fetchAndCheck(p, PERSONAL);
      assertThat(lastPrincipal()).isEqualTo(ROLE);
      assertThat(cloud.sts().callCount(FakeApi.ASSUME_ROLE_WITH_OIDC)).isEqualTo(1);
    }
  }

  @Test
  void defaultChainReadsTheProfileFile() throws IOException {
    cloud.identities().addRole(ROLE, AK);
    Path file =
        Files.writeString(
            dir.resolve("credentials"),
            String.join(
                "\n",
                "# Alibaba Cloud credentials",
                "[default]",
                "type = access_key",
                "access_key_id = " + AK,
                "access_key_secret = " + SECRET,
                "",
                "[cross]",
                "type = ram_role_arn",
                "access_key_id = " + AK,
                "access_key_secret = " + SECRET,
                "role_arn = " + ROLE,
                "role_session_name = from-profile",
                "",
                "[broken]",
                "type = access_key",
                "access_key_id = " + AK));
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of("ALIBABA_CLOUD_CREDENTIALS_FILE", file.toString())))) {
      fetchAndCheck(p, PERSONAL);
      assertThat(lastPrincipal()).isEqualTo(AK);
    }
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of(
                    "ALIBABA_CLOUD_CREDENTIALS_FILE",
                    file.toString(),
                    "ALIBABA_CLOUD_PROFILE",
                    "cross")))) {
      fetchAndCheck(p, PERSONAL);
      assertThat(lastPrincipal()).isEqualTo(ROLE);
      assertThat(cloud.sts().lastRequest(FakeApi.ASSUME_ROLE).get().param("RoleSessionName"))
          .isEqualTo("from-profile");
    }
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of(
                    "ALIBABA_CLOUD_CREDENTIALS_FILE",
                    file.toString(),
                    "ALIBABA_CLOUD_PROFILE",
                    "broken")))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
      assertThat(e.getMessage()).contains("[broken]").contains("access_key_secret");
    }
  }

  @Test
  void defaultChainFindsTheProfileFileUnderHome() throws IOException {
    Path home = Files.createDirectories(dir.resolve("home/.alibabacloud")).getParent();
    Files.writeString(
        home.resolve(".alibabacloud/credentials"),
        "[default]\ntype = access_key\naccess_key_id = " + AK + "\naccess_key_secret = " + SECRET);
    try (AcrTokenProvider p =
        provider(AlibabaCredentials.defaultChain(Map.of("HOME", home.toString())))) {
      fetchAndCheck(p, PERSONAL);
    }
  }

  @Test
  void defaultChainFallsBackToTheEcsRamRole() {
    cloud.metadata().attachRole("node-role", ROLE);
    Map<String, String> env = new HashMap<>();
    env.put("HOME", dir.toString()); // no credentials file there
    try (AcrTokenProvider p = provider(AlibabaCredentials.defaultChain(env))) {
      fetchAndCheck(p, PERSONAL);
      assertThat(lastPrincipal()).isEqualTo(ROLE);
    }
    env.put("ALIBABA_CLOUD_ECS_METADATA", "node-role");
    cloud.metadata().resetCalls();
    try (AcrTokenProvider p = provider(AlibabaCredentials.defaultChain(env))) {
      fetchAndCheck(p, PERSONAL);
      assertThat(cloud.metadata().callCount(FakeApi.METADATA_ROLE_NAME)).isZero();
    }
    env.put("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    cloud.metadata().resetCalls();
    try (AcrTokenProvider p = provider(AlibabaCredentials.defaultChain(env))) {
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
      assertThat(e.getMessage())
          .contains("ALIBABA_CLOUD_ACCESS_KEY_ID")
          .contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE")
          .contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
      assertThat(cloud.metadata().totalCalls()).isZero();
    }
  }

  @Test
  void assumedRoleOnTopOfTheEcsRole() {
    String nodeRole = "acs:ram::1234567890123456:role/node";
    cloud.metadata().attachRole("node", nodeRole);
    cloud.identities().addRole(ROLE, nodeRole);
    try (AcrTokenProvider p = provider(AlibabaCredentials.ecsRamRole("node").assumeRole(ROLE))) {
      fetchAndCheck(p, EE);
      assertThat(lastPrincipal()).isEqualTo(ROLE);
    }
  }
}
