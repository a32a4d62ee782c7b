package io.acrcredential.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.auth.AlibabaCloudCredentials;
import com.aliyuncs.auth.BasicCredentials;
import com.aliyuncs.auth.BasicSessionCredentials;
import com.aliyuncs.auth.ECSMetadataServiceCredentialsFetcher;
import com.aliyuncs.auth.InstanceProfileCredentialsProvider;
import com.aliyuncs.auth.OIDCCredentialsProvider;
import com.aliyuncs.auth.STSAssumeRoleSessionCredentialsProvider;
import com.aliyuncs.auth.StaticCredentialsProvider;
import com.aliyuncs.auth.sts.AssumeRoleRequest;
import com.aliyuncs.cr.model.v20181201.GetAuthorizationTokenRequest;
import com.aliyuncs.exceptions.ClientException;
import com.aliyuncs.profile.DefaultProfile;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STS and ECS metadata fakes driven by the SDK's own credential providers. The SDK has no public
 * endpoint override for STSAssumeRoleSessionCredentialsProvider / OIDCCredentialsProvider (they
 * build https://sts[.region].aliyuncs.com), so these tests point the private {@code stsEndpoint}
 * field at the fake.
 */
class StsAndMetadataSdkTest {
  static final String AK = "LTAI5tStsCaller";
  static final String SECRET = "sts-caller-secret";
  static final String ROLE = "acs:ram::1234567890:role/acr-puller";
  static final String OIDC_PROVIDER = "acs:ram::1234567890:oidc-provider/ack-rrsa-c1";
  static final String OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.fake-oidc.token";

  FakeClock clock;
  FakeAlibabaCloud cloud;

  @BeforeEach
  void start() {
    clock = FakeClock.atSystemTime();
    cloud = FakeAlibabaCloud.start(clock);
    cloud
        .identities()
        .addAccessKey(AK, SECRET)
        .addRole(ROLE, AK)
        .trustOidc(ROLE, OIDC_PROVIDER, OIDC_TOKEN);
    cloud.acr().addInstance(AcrInstance.of("cri-abc123", "myco", "cn-hangzhou"));
  }

  @AfterEach
  void stop() {
    clients.forEach(DefaultAcsClient::shutdown);
    cloud.close();
  }

  static void pointAt(Object provider, String endpoint) throws ReflectiveOperationException {
    Field f = provider.getClass().getDeclaredField("stsEndpoint");
    f.setAccessible(true);
    f.set(provider, endpoint);
  }

  STSAssumeRoleSessionCredentialsProvider assumeRoleProvider(String ak, String secret)
      throws ReflectiveOperationException {
    return assumeRoleProvider(new BasicCredentials(ak, secret), ROLE);
  }

  /**
   * The SDK's AssumeRoleRequest always asks for HTTPS; the fake speaks HTTP, so the provider gets
   * an STS client that sends its requests over HTTP to the fake.
   */
  STSAssumeRoleSessionCredentialsProvider assumeRoleProvider(
      AlibabaCloudCredentials caller, String roleArn) throws ReflectiveOperationException {
    STSAssumeRoleSessionCredentialsProvider provider =
        new STSAssumeRoleSessionCredentialsProvider(
            caller, roleArn, DefaultProfile.getProfile("cn-hangzhou"));
    pointAt(provider, cloud.sts().endpoint());
    HttpStsClient client = new HttpStsClient(caller);
    clients.add(client);
    return provider
        .withSTSClient(client)
        .withRoleSessionName("acr-test")
        .withRoleSessionDurationSeconds(1800);
  }

  final java.util.List<DefaultAcsClient> clients = new java.util.ArrayList<>();

  /** Forces plain HTTP, since the fake has no TLS. */
  static final class HttpStsClient extends DefaultAcsClient {
    HttpStsClient(AlibabaCloudCredentials caller) {
      super(DefaultProfile.getProfile("cn-hangzhou"), new StaticCredentialsProvider(caller));
    }

    @Override
    public <T extends com.aliyuncs.AcsResponse> T getAcsResponse(com.aliyuncs.AcsRequest<T> request)
        throws ClientException {
      request.setSysProtocol(com.aliyuncs.http.ProtocolType.HTTP);
      return super.getAcsResponse(request);
    }
  }

  Sdk.Answer enterpriseToken(AlibabaCloudCredentials credentials) {
    DefaultAcsClient client = Sdk.client(credentials);
    try {
      GetAuthorizationTokenRequest r = new GetAuthorizationTokenRequest();
      r.setInstanceId("cri-abc123");
      return Sdk.call(client, r, cloud.acr());
    } finally {
      client.shutdown();
    }
  }

  @Test
  void assumeRoleThroughTheSdkProviderGivesCredentialsAcrAccepts() throws Exception {
    AlibabaCloudCredentials creds = assumeRoleProvider(AK, SECRET).getCredentials();

    assertThat(creds).isInstanceOf(BasicSessionCredentials.class);
    assertThat(creds.getAccessKeyId()).startsWith("STS.");
    RecordedRequest request = cloud.sts().lastRequest(FakeApi.ASSUME_ROLE).orElseThrow();
    assertThat(request.param("RoleArn")).isEqualTo(ROLE);
    assertThat(request.param("RoleSessionName")).isEqualTo("acr-test");
    assertThat(request.param("DurationSeconds")).isEqualTo("1800");

    Sdk.Answer token = enterpriseToken(creds);
    assertThat(token.status()).as(token.body()).isEqualTo(200);
    assertThat(Instant.ofEpochMilli(token.json().get("ExpireTime").asLong()))
        .isEqualTo(clock.instant().plusSeconds(1800));
    assertThat(cloud.acr().issuedTokens().get(0).principal()).isEqualTo(ROLE);
  }

  @Test
  void assumeRoleResponseShape() {
    DefaultAcsClient client = Sdk.client(AK, SECRET);
    try {
      AssumeRoleRequest r = new AssumeRoleRequest();
      r.setRoleArn(ROLE);
      r.setRoleSessionName("shape");
      r.setDurationSeconds(900L);
      JsonNode json = Sdk.call(client, r, cloud.sts()).json();
      assertThat(json.fieldNames())
          .toIterable()
          .containsExactlyInAnyOrder("RequestId", "AssumedRoleUser", "Credentials");
      assertThat(json.get("AssumedRoleUser").get("Arn").asText()).isEqualTo(ROLE + "/shape");
      JsonNode c = json.get("Credentials");
      assertThat(c.get("Expiration").asText())
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")
          .isEqualTo(FakeSts.formatExpiration(clock.instant().plusSeconds(900)));
      assertThat(c.get("AccessKeySecret").asText()).isNotBlank();
      assertThat(c.get("SecurityToken").asText()).isNotBlank();
    } finally {
      client.shutdown();
    }
  }

  @Test
  void assumeRoleErrors() {
    DefaultAcsClient stranger = Sdk.client("LTAI5tStranger", "x");
    DefaultAcsClient caller = Sdk.client(AK, SECRET);
    cloud.identities().addAccessKey("LTAI5tUntrusted", "untrusted");
    DefaultAcsClient untrusted = Sdk.client("LTAI5tUntrusted", "untrusted");
    try {
      assertThat(Sdk.call(stranger, assume(ROLE, 3600), cloud.sts()).code())
          .isEqualTo("InvalidAccessKeyId.NotFound");
      Sdk.Answer noPermission = Sdk.call(untrusted, assume(ROLE, 3600), cloud.sts());
      assertThat(noPermission.status()).isEqualTo(403);
      assertThat(noPermission.code()).isEqualTo("NoPermission");
      Sdk.Answer noRole = Sdk.call(caller, assume(ROLE + "-gone", 3600), cloud.sts());
      assertThat(noRole.status()).isEqualTo(404);
      assertThat(noRole.code()).isEqualTo("EntityNotExist.Role");
      assertThat(Sdk.call(caller, assume(ROLE, 899), cloud.sts()).code())
          .isEqualTo("InvalidParameter.DurationSeconds");
      assertThat(Sdk.call(caller, assume(ROLE, 43_201), cloud.sts()).code())
          .isEqualTo("InvalidParameter.DurationSeconds");
      assertThat(Sdk.call(caller, assume(ROLE, 43_200), cloud.sts()).status()).isEqualTo(200);
      cloud.identities().setMaxSessionDuration(ROLE, Duration.ofHours(1));
      assertThat(Sdk.call(caller, assume(ROLE, 3601), cloud.sts()).code())
          .isEqualTo("InvalidParameter.DurationSeconds");
      assertThat(Sdk.call(Sdk.client(AK, "bad"), assume(ROLE, 3600), cloud.sts()).code())
          .isEqualTo("SignatureDoesNotMatch");
    } finally {
      stranger.shutdown();
      caller.shutdown();
      untrusted.shutdown();
    }
  }

  static AssumeRoleRequest assume(String role, long seconds) {
    AssumeRoleRequest r = new AssumeRoleRequest();
    r.setRoleArn(role);
    r.setRoleSessionName("s1");
    r.setDurationSeconds(seconds);
    return r;
  }

  @Test
  void roleChainingFromStsCredentials() throws Exception {
    String second = "acs:ram::999:role/cross-account";
    cloud.identities().addRole(second, ROLE);
    AlibabaCloudCredentials first = assumeRoleProvider(AK, SECRET).getCredentials();
    AlibabaCloudCredentials creds = assumeRoleProvider(first, second).getCredentials();
    assertThat(cloud.sts().lastRequest(FakeApi.ASSUME_ROLE).orElseThrow().param("SecurityToken"))
        .isEqualTo(((BasicSessionCredentials) first).getSessionToken());
    assertThat(enterpriseToken(creds).status()).isEqualTo(200);
  }

  @Test
  void assumeRoleWithOidcThroughTheSdkProvider(@TempDir Path dir) throws Exception {
    Path tokenFile = Files.writeString(dir.resolve("token"), OIDC_TOKEN);
    OIDCCredentialsProvider provider =
        OIDCCredentialsProvider.builder()
            .roleArn(ROLE)
            .oidcProviderArn(OIDC_PROVIDER)
            .oidcTokenFilePath(tokenFile.toString())
            .roleSessionName("rrsa-test")
            .build();
    pointAt(provider, "http://" + cloud.sts().endpoint() + "/");

    AlibabaCloudCredentials creds = provider.getCredentials();

    assertThat(creds.getAccessKeyId()).startsWith("STS.");
    RecordedRequest request = cloud.sts().lastRequest(FakeApi.ASSUME_ROLE_WITH_OIDC).orElseThrow();
    assertThat(request.param("OIDCProviderArn")).isEqualTo(OIDC_PROVIDER);
    assertThat(request.toString()).doesNotContain(OIDC_TOKEN);
    assertThat(enterpriseToken(creds).status()).isEqualTo(200);
  }

  @Test
  void assumeRoleWithOidcRejectsAWrongToken(@TempDir Path dir) throws Exception {
    Path tokenFile = Files.writeString(dir.resolve("token"), "some-other-token");
    OIDCCredentialsProvider provider =
        OIDCCredentialsProvider.builder()
            .roleArn(ROLE)
            .oidcProviderArn(OIDC_PROVIDER)
            .oidcTokenFilePath(tokenFile.toString())
            .build();
    pointAt(provider, "http://" + cloud.sts().endpoint() + "/");
    assertThatThrownBy(provider::getCredentials)
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("AuthenticationFail.OIDCToken.Invalid");

    Sdk.Answer unknownProvider =
        Raw.send(
            "POST",
            "http://"
                + cloud.sts().endpoint()
                + "/?Action=AssumeRoleWithOIDC&Version=2015-04-01&RoleArn="
                + Signatures.percentEncode(ROLE)
                + "&OIDCProviderArn=acs%3Aram%3A%3A1%3Aoidc-provider%2Fother&OIDCToken="
                + OIDC_TOKEN,
            Map.of());
    assertThat(unknownProvider.code()).isEqualTo("EntityNotExist.OIDCProvider");
  }

  InstanceProfileCredentialsProvider metadataProvider(String role) {
    ECSMetadataServiceCredentialsFetcher fetcher =
        new ECSMetadataServiceCredentialsFetcher(role, Boolean.TRUE, 1000, 1000)
            .withECSMetadataServiceHost(cloud.metadata().endpoint());
    return new InstanceProfileCredentialsProvider(role).withFetcher(fetcher);
  }

  @Test
  void metadataServiceWithImdsV2ThroughTheSdkProvider() throws Exception {
    cloud.metadata().attachRole("KubernetesWorkerRole", ROLE).requireImdsV2(true);

    AlibabaCloudCredentials creds = metadataProvider("KubernetesWorkerRole").getCredentials();

    assertThat(creds.getAccessKeyId()).startsWith("STS.");
    assertThat(cloud.metadata().callCount(FakeApi.METADATA_TOKEN)).isEqualTo(1);
    assertThat(cloud.metadata().callCount(FakeApi.METADATA_CREDENTIALS)).isEqualTo(1);
    RecordedRequest get = cloud.metadata().lastRequest(FakeApi.METADATA_CREDENTIALS).orElseThrow();
    assertThat(get.header("X-aliyun-ecs-metadata-token")).startsWith("imds-");
    assertThat(get.toString()).doesNotContain(get.header("X-aliyun-ecs-metadata-token"));
    assertThat(
            cloud
                .metadata()
                .lastRequest(FakeApi.METADATA_TOKEN)
                .orElseThrow()
                .header("X-aliyun-ecs-metadata-token-ttl-seconds"))
        .isNotBlank();
    assertThat(enterpriseToken(creds).status()).isEqualTo(200);
  }

  @Test
  void metadataServiceRawEndpoints() throws Exception {
    String base = "http://" + cloud.metadata().endpoint();
    assertThat(Raw.send("GET", base + FakeEcsMetadata.CREDENTIALS_PATH, Map.of()).status())
        .isEqualTo(404);
    cloud.metadata().attachRole("WorkerRole", ROLE);
    Sdk.Answer name = Raw.send("GET", base + FakeEcsMetadata.CREDENTIALS_PATH, Map.of());
    assertThat(name.body()).isEqualTo("WorkerRole");
    JsonNode creds =
        Raw.send("GET", base + FakeEcsMetadata.CREDENTIALS_PATH + "WorkerRole", Map.of()).json();
    assertThat(creds.get("Code").asText()).isEqualTo("Success");
    assertThat(creds.get("LastUpdated").asText())
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    assertThat(
            Raw.send("GET", base + FakeEcsMetadata.CREDENTIALS_PATH + "Other", Map.of()).status())
        .isEqualTo(404);

    cloud.metadata().requireImdsV2(true);
    assertThat(Raw.send("GET", base + FakeEcsMetadata.CREDENTIALS_PATH, Map.of()).status())
        .isEqualTo(403);
    assertThat(
            Raw.send(
                    "GET",
                    base + FakeEcsMetadata.CREDENTIALS_PATH,
                    Map.of("X-aliyun-ecs-metadata-token", "forged"))
                .status())
        .isEqualTo(401);
    Sdk.Answer noTtl = Raw.send("PUT", base + FakeEcsMetadata.TOKEN_PATH, Map.of());
    assertThat(noTtl.status()).isEqualTo(400);
    String token =
        Raw.send(
                "PUT",
                base + FakeEcsMetadata.TOKEN_PATH,
                Map.of("X-aliyun-ecs-metadata-token-ttl-seconds", "60"))
            .body();
    Map<String, String> withToken = Map.of("X-aliyun-ecs-metadata-token", token);
    assertThat(Raw.send("GET", base + FakeEcsMetadata.CREDENTIALS_PATH, withToken).status())
        .isEqualTo(200);
    clock.advance(Duration.ofSeconds(61));
    assertThat(Raw.send("GET", base + FakeEcsMetadata.CREDENTIALS_PATH, withToken).status())
        .isEqualTo(401);
  }

  @Test
  void metadataCredentialsRotateBeforeExpiry() throws Exception {
    cloud.metadata().attachRole("WorkerRole", ROLE).setCredentialLifetime(Duration.ofHours(1));
    InstanceProfileCredentialsProvider provider = metadataProvider("WorkerRole");
    String first = provider.getCredentials().getAccessKeyId();
    SessionCredentials served = cloud.metadata().currentCredentials().orElseThrow();
    assertThat(served.accessKeyId()).isEqualTo(first);
    assertThat(served.expiration()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));

    clock.advance(Duration.ofMinutes(50));
    String base = "http://" + cloud.metadata().endpoint();
    JsonNode later =
        Raw.send("GET", base + FakeEcsMetadata.CREDENTIALS_PATH + "WorkerRole", Map.of()).json();
    assertThat(later.get("AccessKeyId").asText()).isNotEqualTo(first);
  }

  @Test
  void metadataFailureInjection() {
    cloud.metadata().attachRole("WorkerRole", ROLE);
    cloud.metadata().failAlways(FakeApi.METADATA_CREDENTIALS, Failure.notSuccess("Failed"));
    InstanceProfileCredentialsProvider provider = metadataProvider("WorkerRole");
    assertThatThrownBy(provider::getCredentials).isInstanceOf(ClientException.class);
    assertThat(cloud.metadata().callCount(FakeApi.METADATA_CREDENTIALS)).isGreaterThanOrEqualTo(1);

    cloud.metadata().clearFailures();
    cloud.metadata().failAlways(FakeApi.METADATA_TOKEN, Failure.serverError(500));
    assertThatThrownBy(provider::getCredentials)
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("token");
  }

  @Test
  void stsFailureInjection() {
    DefaultAcsClient caller = Sdk.client(AK, SECRET);
    try {
      cloud.sts().failNext(FakeApi.ASSUME_ROLE, 1, Failure.error("Throttling.User"));
      Sdk.Answer throttled = Sdk.call(caller, assume(ROLE, 3600), cloud.sts());
      assertThat(throttled.code()).isEqualTo("Throttling.User");
      assertThat(throttled.json().get("HostId").asText()).isEqualTo("sts.aliyuncs.com");
      cloud
          .sts()
          .failNext(FakeApi.ASSUME_ROLE, 1, Failure.missingField("Credentials.SecurityToken"));
      JsonNode missing = Sdk.call(caller, assume(ROLE, 3600), cloud.sts()).json();
      assertThat(missing.get("Credentials").has("SecurityToken")).isFalse();
      assertThat(missing.get("Credentials").has("AccessKeyId")).isTrue();
      assertThat(cloud.sts().callCount(FakeApi.ASSUME_ROLE)).isEqualTo(2);
    } finally {
      caller.shutdown();
    }
  }

  @Test
  void staticProviderSanity() throws Exception {
    assertThat(new StaticCredentialsProvider(new BasicCredentials(AK, SECRET)).getCredentials())
        .isNotNull();
  }
}
