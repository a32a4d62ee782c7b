package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.FakeIdentities;
import io.acrcredential.testing.IssuedToken;
import io.acrcredential.testing.RecordedRequest;
import io.acrcredential.testing.SessionCredentials;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Both editions end to end against the fake ACR, with explicit AccessKey and STS credentials. */
class AcrTokenProviderTest {

  static final String AK = "LTAI5tExampleAccessKey01";
  static final String SECRET = "s3cretS3cretS3cretS3cretS3cr";
  static final String REGION = "cn-hangzhou";

  FakeIdentities identities;
  FakeAcr acr;
  AcrTokenProvider provider;

  @BeforeEach
  void start() {
    identities = new FakeIdentities().addAccessKey(AK, SECRET);
    acr = FakeAcr.start(identities);
    acr.addInstance(AcrInstance.of("cri-abc123", "myco", REGION));
    provider = provider(AlibabaCredentials.accessKey(AK, SECRET));
  }

  @AfterEach
  void stop() {
    provider.close();
    acr.close();
  }

  AcrTokenProvider provider(AlibabaCredentials credentials) {
    return AcrTokenProvider.builder()
        .credentials(credentials)
        .endpoint("http://" + acr.endpoint())
        .readTimeout(Duration.ofSeconds(2))
        .build();
  }

  @Test
  void personalEditionTokenWithRegionDomains() {
    RegistryCredential c = provider.fetch(RegistryTarget.personal(REGION));

    assertThat(c.username()).isEqualTo(FakeAcr.DEFAULT_TEMP_USERNAME);
    assertThat(acr.acceptsLogin(c.username(), c.password())).isTrue();
    IssuedToken issued = acr.issuedTokens().get(0);
    assertThat(c.expiresAt()).isEqualTo(issued.expiresAt());
    assertThat(issued.instanceId()).isNull();
    assertThat(c.domains())
        .containsExactly(
            "registry.cn-hangzhou.aliyuncs.com", "registry-vpc.cn-hangzhou.aliyuncs.com");
    RecordedRequest request = acr.lastRequest(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN).get();
    assertThat(request.method()).isEqualTo("GET");
    assertThat(request.path()).isEqualTo("/tokens");
    assertThat(acr.totalCalls()).isEqualTo(1);
  }

  @Test
  void enterpriseEditionTokenWithEndpointDomainsCachedPerInstance() {
    RegistryTarget target = RegistryTarget.enterprise(REGION, "cri-abc123");

    RegistryCredential first = provider.fetch(target);
    RegistryCredential second = provider.fetch(target);

    assertThat(acr.acceptsLogin(first.username(), first.password())).isTrue();
    assertThat(acr.issuedTokens()).extracting(IssuedToken::instanceId).containsOnly("cri-abc123");
    assertThat(first.domains())
        .containsExactly(
            "myco-registry.cn-hangzhou.cr.aliyuncs.com",
            "myco-registry-vpc.cn-hangzhou.cr.aliyuncs.com");
    assertThat(second.domains()).isEqualTo(first.domains());
    assertThat(second.password()).isNotEqualTo(first.password());
    assertThat(acr.callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isEqualTo(2);
    assertThat(acr.callCount(FakeApi.LIST_INSTANCE_ENDPOINT)).isEqualTo(1);
    RecordedRequest request = acr.lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).get();
    assertThat(request.param("InstanceId")).isEqualTo("cri-abc123");
    assertThat(request.param("Version")).isEqualTo("2018-12-01");
    assertThat(acr.lastRequest(FakeApi.LIST_INSTANCE_ENDPOINT).get().param("ModuleName"))
        .isEqualTo("Registry");
  }

  @Test
  void onlyEnabledEndpointsGiveDomains() {
    acr.addInstance(
        AcrInstance.of("cri-def456", "other", REGION)
            .withInternetEndpointEnabled(false)
            .withCustomDomains("images.example.com"));

    RegistryCredential c = provider.fetch(RegistryTarget.enterprise(REGION, "cri-def456"));

    assertThat(c.domains())
        .contains("other-registry-vpc.cn-hangzhou.cr.aliyuncs.com")
        .doesNotContain("other-registry.cn-hangzhou.cr.aliyuncs.com");
  }

  @Test
  void explicitDomainsAreKeptAndNoEndpointLookupIsMade() {
    RegistryTarget target =
        RegistryTarget.enterprise(REGION, "cri-abc123").withDomains(List.of("reg.example.com"));

    RegistryCredential c = provider.fetch(target);

    assertThat(c.domains()).containsExactly("reg.example.com");
    assertThat(acr.callCount(FakeApi.LIST_INSTANCE_ENDPOINT)).isZero();
  }

  @Test
  void stsTokenIsSentAndSigned() {
    SessionCredentials sts =
        identities.issueSession(
            "acs:ram::1234567890:role/puller", Duration.ofMinutes(30), Clock.systemUTC());
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.stsToken(
                sts.accessKeyId(), sts.accessKeySecret(), sts.securityToken()))) {
      RegistryCredential personal = p.fetch(RegistryTarget.personal(REGION));
      RegistryCredential ee = p.fetch(RegistryTarget.enterprise(REGION, "cri-abc123"));

      assertThat(acr.acceptsLogin(personal.username(), personal.password())).isTrue();
      assertThat(acr.acceptsLogin(ee.username(), ee.password())).isTrue();
      // Tokens issued on STS credentials die with the session.
      assertThat(personal.expiresAt()).isBeforeOrEqualTo(sts.expiration());
      assertThat(
              acr.lastRequest(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)
                  .get()
                  .header("x-acs-security-token"))
          .isEqualTo(sts.securityToken());
      assertThat(acr.lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).get().param("SecurityToken"))
          .isEqualTo(sts.securityToken());
    }
  }

  @Test
  void wrongSecretIsRejectedBySignatureCheck() {
    try (AcrTokenProvider p =
        provider(AlibabaCredentials.accessKey(AK, "wrongWrongWrongWrongWrong1"))) {
      for (RegistryTarget target :
          List.of(
              RegistryTarget.personal(REGION), RegistryTarget.enterprise(REGION, "cri-abc123"))) {
        assertThatThrownBy(() -> p.fetch(target))
            .isInstanceOfSatisfying(
                TokenException.class,
                e -> {
                  assertThat(e.reason()).isEqualTo(Reason.INVALID_CREDENTIALS);
                  assertThat(e.errorCode()).contains("SignatureDoesNotMatch");
                  assertThat(e.getMessage())
                      .contains("AccessKey secret does not match")
                      .contains("clock")
                      .doesNotContain("wrongWrong");
                  assertThat(e.isRetryable()).isFalse();
                });
      }
    }
  }

  @Test
  void unknownInstanceIsNotFound() {
    assertThatThrownBy(() -> provider.fetch(RegistryTarget.enterprise(REGION, "cri-nothere1")))
        .isInstanceOfSatisfying(
            TokenException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
              assertThat(e.getMessage()).contains("cri-nothere1").contains("region");
            });
  }

  @Test
  void findsInstanceIdByNameAcrossPages() {
    for (int i = 0; i < 120; i++) {
      acr.addInstance(AcrInstance.of(String.format("cri-x%05d", i), "team" + i, REGION));
    }
    acr.addInstance(AcrInstance.of("cri-last999", "zz-last", REGION));

    assertThat(provider.findInstanceId(REGION, "zz-last")).isEqualTo("cri-last999");
    assertThat(provider.findInstanceId(REGION, "myco")).isEqualTo("cri-abc123");
    assertThatThrownBy(() -> provider.findInstanceId(REGION, "nosuch"))
        .isInstanceOfSatisfying(
            TokenException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
              assertThat(e.getMessage()).contains("nosuch").contains("cr:ListInstance");
            });
    assertThatThrownBy(() -> provider.findInstanceId(REGION, "bad name!"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad name!");
  }
}
