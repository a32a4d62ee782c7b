package io.acrcredential.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.auth.BasicCredentials;
import com.aliyuncs.cr.model.v20181201.GetAuthorizationTokenRequest;
import com.aliyuncs.cr.model.v20181201.ListInstanceEndpointRequest;
import com.aliyuncs.cr.model.v20181201.ListInstanceRequest;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Authentication, authorisation and parameter checks of FakeAcr, driven by the real SDK. */
class FakeAcrAuthTest {
  static final String AK = "LTAI5tAuthKey";
  static final String SECRET = "auth-secret";
  static final String ROLE = "acs:ram::1234567890:role/puller";

  FakeClock clock;
  FakeIdentities ids;
  FakeAcr acr;
  List<DefaultAcsClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    clock = FakeClock.atSystemTime();
    ids = new FakeIdentities().addAccessKey(AK, SECRET);
    acr = FakeAcr.start(ids, clock);
    acr.addInstance(AcrInstance.of("cri-abc123", "myco", "cn-hangzhou"));
  }

  @AfterEach
  void stop() {
    clients.forEach(DefaultAcsClient::shutdown);
    acr.close();
  }

  DefaultAcsClient client(String ak, String secret) {
    DefaultAcsClient c = Sdk.client(ak, secret);
    clients.add(c);
    return c;
  }

  DefaultAcsClient client(SessionCredentials sts) {
    DefaultAcsClient c = Sdk.client(sts);
    clients.add(c);
    return c;
  }

  Sdk.Answer enterprise(DefaultAcsClient client, String instanceId) {
    GetAuthorizationTokenRequest r = new GetAuthorizationTokenRequest();
    if (instanceId != null) {
      r.setInstanceId(instanceId);
    }
    return Sdk.call(client, r, acr);
  }

  Sdk.Answer personal(DefaultAcsClient client) {
    return Sdk.call(
        client, new com.aliyuncs.cr.model.v20160607.GetAuthorizationTokenRequest(), acr);
  }

  @Test
  void stsCredentialsAreAcceptedAndTheTokenIsSignedAlong() {
    SessionCredentials sts = ids.issueSession(ROLE, Duration.ofHours(2), clock);
    DefaultAcsClient c = client(sts);

    assertThat(enterprise(c, "cri-abc123").status()).isEqualTo(200);
    RecordedRequest rpc = acr.lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).orElseThrow();
    assertThat(rpc.param("SecurityToken")).isEqualTo(sts.securityToken());
    assertThat(rpc.toString()).doesNotContain(sts.securityToken()).contains("SecurityToken=***");

    assertThat(personal(c).status()).isEqualTo(200);
    RecordedRequest roa = acr.lastRequest(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN).orElseThrow();
    assertThat(roa.header("x-acs-security-token")).isEqualTo(sts.securityToken());
    assertThat(roa.toString()).doesNotContain(sts.securityToken());
    assertThat(acr.issuedTokens()).extracting(IssuedToken::principal).containsOnly(ROLE);
  }

  @Test
  void tokenLifetimeIsCappedByTheStsSession() {
    SessionCredentials sts = ids.issueSession(ROLE, Duration.ofMinutes(20), clock);
    JsonNode json = enterprise(client(sts), "cri-abc123").json();
    assertThat(Instant.ofEpochMilli(json.get("ExpireTime").asLong())).isEqualTo(sts.expiration());

    acr.setTokenLifetime(Duration.ofMinutes(10));
    JsonNode shorter = enterprise(client(AK, SECRET), "cri-abc123").json();
    assertThat(Instant.ofEpochMilli(shorter.get("ExpireTime").asLong()))
        .isEqualTo(clock.instant().plus(Duration.ofMinutes(10)));
  }

  @Test
  void stsKeyWithoutTokenOrExpiredIsRejected() {
    SessionCredentials sts = ids.issueSession(ROLE, Duration.ofMinutes(5), clock);
    Sdk.Answer noToken = enterprise(client(sts.accessKeyId(), sts.accessKeySecret()), "cri-abc123");
    assertThat(noToken.status()).isEqualTo(400);
    assertThat(noToken.code()).isEqualTo("MissingSecurityToken");

    clock.advance(Duration.ofMinutes(6));
    Sdk.Answer expired = enterprise(client(sts), "cri-abc123");
    assertThat(expired.code()).isEqualTo("InvalidSecurityToken.Expired");
    assertThat(personal(client(sts)).code()).isEqualTo("InvalidSecurityToken.Expired");
  }

  @Test
  void unknownAccessKey() {
    Sdk.Answer answer = enterprise(client("LTAI5tNobody", SECRET), "cri-abc123");
    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.code()).isEqualTo("InvalidAccessKeyId.NotFound");
    ids.removeAccessKey(AK);
    assertThat(personal(client(AK, SECRET)).code()).isEqualTo("InvalidAccessKeyId.NotFound");
  }

  @Test
  void replayedNonceIsRejected() {
    assertThat(enterprise(client(AK, SECRET), "cri-abc123").status()).isEqualTo(200);
    RecordedRequest rpc = acr.lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).orElseThrow();
    Sdk.Answer replayed = Raw.replay(rpc, acr);
    assertThat(replayed.status()).isEqualTo(400);
    assertThat(replayed.code()).isEqualTo("SignatureNonceUsed");

    assertThat(personal(client(AK, SECRET)).status()).isEqualTo(200);
    RecordedRequest roa = acr.lastRequest(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN).orElseThrow();
    assertThat(Raw.replay(roa, acr).code()).isEqualTo("SignatureNonceUsed");
  }

  @Test
  void tamperedParameterBreaksTheSignature() {
    assertThat(enterprise(client(AK, SECRET), "cri-abc123").status()).isEqualTo(200);
    RecordedRequest rpc = acr.lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).orElseThrow();
    Map<String, String> params = new java.util.HashMap<>(rpc.params());
    params.put("InstanceId", "cri-other");
    params.put("SignatureNonce", "fresh-nonce");
    RecordedRequest tampered =
        new RecordedRequest(
            rpc.api(), rpc.method(), rpc.path(), rpc.headers(), params, rpc.receivedAt());
    assertThat(Raw.replay(tampered, acr).code()).isEqualTo("SignatureDoesNotMatch");
  }

  @Test
  void staleOrFutureTimestampIsRejected() {
    clock.advance(Duration.ofMinutes(16));
    Sdk.Answer stale = enterprise(client(AK, SECRET), "cri-abc123");
    assertThat(stale.status()).isEqualTo(400);
    assertThat(stale.code()).isEqualTo("InvalidTimeStamp.Expired");
    assertThat(personal(client(AK, SECRET)).code()).isEqualTo("InvalidTimeStamp.Expired");

    clock.advance(Duration.ofMinutes(-32));
    assertThat(enterprise(client(AK, SECRET), "cri-abc123").code())
        .isEqualTo("InvalidTimeStamp.Expired");

    acr.setMaxClockSkew(Duration.ofHours(1));
    assertThat(enterprise(client(AK, SECRET), "cri-abc123").status()).isEqualTo(200);
  }

  @Test
  void deniedActionGivesForbiddenRam() {
    ids.deny(AK, "cr:GetAuthorizationToken");
    Sdk.Answer answer = enterprise(client(AK, SECRET), "cri-abc123");
    assertThat(answer.status()).isEqualTo(403);
    assertThat(answer.code()).isEqualTo("Forbidden.RAM");
    assertThat(answer.json().get("Message").asText()).contains("cr:GetAuthorizationToken");
    assertThat(personal(client(AK, SECRET)).code()).isEqualTo("Forbidden.RAM");

    ListInstanceRequest list = new ListInstanceRequest();
    assertThat(Sdk.call(client(AK, SECRET), list, acr).status()).isEqualTo(200);

    ids.allow(AK, "cr:GetAuthorizationToken");
    assertThat(enterprise(client(AK, SECRET), "cri-abc123").status()).isEqualTo(200);

    ids.deny(ROLE, "cr:ListInstanceEndpoint");
    ListInstanceEndpointRequest endpoints = new ListInstanceEndpointRequest();
    endpoints.setInstanceId("cri-abc123");
    SessionCredentials sts = ids.issueSession(ROLE, Duration.ofHours(1), clock);
    assertThat(Sdk.call(client(sts), endpoints, acr).code()).isEqualTo("Forbidden.RAM");
  }

  @Test
  void userWithoutRegistryAccount() {
    ids.withoutRegistryAccount(AK);
    Sdk.Answer answer = personal(client(AK, SECRET));
    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.json().get("code").asText()).isEqualTo("USER_NOT_EXIST");
    assertThat(answer.json().get("message").asText()).isNotBlank();
  }

  @Test
  void missingOrUnknownInstance() {
    Sdk.Answer missing = enterprise(client(AK, SECRET), null);
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.code()).isEqualTo("MissingInstanceId");

    Sdk.Answer unknown = enterprise(client(AK, SECRET), "cri-nope");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.code()).isEqualTo("INSTANCE_NOT_EXIST");

    GetAuthorizationTokenRequest otherRegion = new GetAuthorizationTokenRequest();
    otherRegion.setInstanceId("cri-abc123");
    otherRegion.setSysRegionId("cn-beijing");
    assertThat(Sdk.call(client(AK, SECRET), otherRegion, acr).code())
        .isEqualTo("INSTANCE_NOT_EXIST");
  }

  @Test
  void listInstancePagesAndFilters() {
    for (int i = 1; i <= 5; i++) {
      acr.addInstance(AcrInstance.of("cri-p" + i, "page" + i, "cn-hangzhou"));
    }
    acr.addInstance(AcrInstance.of("cri-bj", "beijing", "cn-beijing"));
    ListInstanceRequest page = new ListInstanceRequest();
    page.setPageNo(2);
    page.setPageSize(4);
    JsonNode json = Sdk.call(client(AK, SECRET), page, acr).json();
    assertThat(json.get("TotalCount").asInt()).isEqualTo(6);
    assertThat(json.get("PageNo").asInt()).isEqualTo(2);
    assertThat(json.get("Instances")).hasSize(2);
    assertThat(json.get("Instances").get(1).get("InstanceId").asText()).isEqualTo("cri-p5");

    ListInstanceRequest byName = new ListInstanceRequest();
    byName.setInstanceName("page3");
    JsonNode named = Sdk.call(client(AK, SECRET), byName, acr).json();
    assertThat(named.get("TotalCount").asInt()).isEqualTo(1);
    JsonNode item = named.get("Instances").get(0);
    assertThat(item.get("InstanceId").asText()).isEqualTo("cri-p3");
    assertThat(item.get("RegionId").asText()).isEqualTo("cn-hangzhou");
    assertThat(item.get("InstanceStatus").asText()).isEqualTo("RUNNING");
    assertThat(item.get("CreateTime").asText())
        .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d");
  }

  @Test
  void listInstanceEndpointShowsAllDomains() {
    acr.addInstance(
        AcrInstance.of("cri-c", "custom", "cn-shanghai")
            .withCustomDomains("registry.example.com")
            .withInternetEndpointEnabled(false));
    ListInstanceEndpointRequest r = new ListInstanceEndpointRequest();
    r.setInstanceId("cri-c");
    r.setModuleName("Registry");
    r.setSysRegionId("cn-shanghai");
    JsonNode endpoints = Sdk.call(client(AK, SECRET), r, acr).json().get("Endpoints");
    JsonNode internet = endpoints.get(0);
    assertThat(internet.get("EndpointType").asText()).isEqualTo("internet");
    assertThat(internet.get("Enable").asBoolean()).isFalse();
    assertThat(internet.get("Domains").findValuesAsText("Domain"))
        .containsExactly("custom-registry.cn-shanghai.cr.aliyuncs.com", "registry.example.com");
    assertThat(internet.get("Domains").findValuesAsText("Type")).containsExactly("SYSTEM", "USER");
    JsonNode vpc = endpoints.get(1);
    assertThat(vpc.get("EndpointType").asText()).isEqualTo("vpc");
    assertThat(vpc.get("Domains").findValuesAsText("Domain"))
        .containsExactly("custom-registry-vpc.cn-shanghai.cr.aliyuncs.com");
  }

  @Test
  void fixedTokenPairForEndToEndTests() {
    acr.useFixedToken("puller", "p@ss");
    JsonNode json = enterprise(client(AK, SECRET), "cri-abc123").json();
    assertThat(json.get("TempUsername").asText()).isEqualTo("puller");
    assertThat(json.get("AuthorizationToken").asText()).isEqualTo("p@ss");
    assertThat(acr.acceptsLogin("puller", "p@ss")).isTrue();
    assertThat(acr.acceptsLogin("puller", "wrong")).isFalse();
    assertThat(acr.issuedTokens().get(0).toString()).doesNotContain("p@ss");

    clock.advance(Duration.ofMinutes(61));
    assertThat(acr.acceptsLogin("puller", "p@ss")).isFalse();
  }

  @Test
  void generatedTokensAreUnique() {
    String first =
        enterprise(client(AK, SECRET), "cri-abc123").json().get("AuthorizationToken").asText();
    String second =
        enterprise(client(AK, SECRET), "cri-abc123").json().get("AuthorizationToken").asText();
    assertThat(first).isNotEqualTo(second);
  }

  @Test
  void unknownActionAndWrongVersion() {
    Sdk.Answer unknown =
        Raw.send("GET", "http://" + acr.endpoint() + "/?Action=DeleteEverything", Map.of());
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.code()).isEqualTo("InvalidAction.NotFound");
    assertThat(acr.totalCalls()).isEqualTo(1);

    GetAuthorizationTokenRequest r = new GetAuthorizationTokenRequest();
    r.setInstanceId("cri-abc123");
    r.setSysVersion("2016-01-01");
    assertThat(Sdk.call(client(AK, SECRET), r, acr).code()).isEqualTo("InvalidVersion");
  }

  @Test
  void sdkThrowsTypedErrorsOnGetAcsResponse() throws Exception {
    ids.deny(AK, "cr:GetAuthorizationToken");
    GetAuthorizationTokenRequest r = new GetAuthorizationTokenRequest();
    r.setInstanceId("cri-abc123");
    r.setSysEndpoint(acr.endpoint());
    r.setSysProtocol(com.aliyuncs.http.ProtocolType.HTTP);
    DefaultAcsClient c = Sdk.client(new BasicCredentials(AK, SECRET));
    clients.add(c);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.getAcsResponse(r))
        .isInstanceOfSatisfying(
            com.aliyuncs.exceptions.ClientException.class,
            e -> assertThat(e.getErrCode()).isEqualTo("Forbidden.RAM"));
  }
}
