package io.acrcredential.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.cr.model.v20181201.GetAuthorizationTokenRequest;
import com.aliyuncs.cr.model.v20181201.ListInstanceEndpointRequest;
import com.aliyuncs.cr.model.v20181201.ListInstanceRequest;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeAcrSdkTest {
  static final String AK = "LTAI5tFakeKeyId";
  static final String SECRET = "fake-secret-1234567890";

  FakeClock clock;
  FakeIdentities ids;
  FakeAcr acr;
  DefaultAcsClient client;

  @BeforeEach
  void start() {
    clock = FakeClock.atSystemTime();
    ids = new FakeIdentities().addAccessKey(AK, SECRET);
    acr = FakeAcr.start(ids, clock);
    acr.addInstance(AcrInstance.of("cri-abc123", "myco", "cn-hangzhou"));
    client = Sdk.client(AK, SECRET);
  }

  @AfterEach
  void stop() {
    client.shutdown();
    acr.close();
  }

  static com.aliyuncs.cr.model.v20160607.GetAuthorizationTokenRequest personal() {
    return new com.aliyuncs.cr.model.v20160607.GetAuthorizationTokenRequest();
  }

  static GetAuthorizationTokenRequest enterprise(String instanceId) {
    GetAuthorizationTokenRequest r = new GetAuthorizationTokenRequest();
    r.setInstanceId(instanceId);
    return r;
  }

  @Test
  void personalEditionTokenSignedByTheSdk() {
    Sdk.Answer answer = Sdk.call(client, personal(), acr);

    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    JsonNode data = answer.json().get("data");
    assertThat(data.get("tempUserName").asText()).isEqualTo("cr_temp_user");
    assertThat(data.get("authorizationToken").asText()).isNotBlank();
    assertThat(data.get("expireDate").asLong())
        .isEqualTo(clock.instant().plus(Duration.ofHours(1)).toEpochMilli());
    assertThat(answer.json().get("requestId").asText()).isNotBlank();
    assertThat(acr.callCount(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)).isEqualTo(1);
    assertThat(acr.acceptsLogin("cr_temp_user", data.get("authorizationToken").asText())).isTrue();
  }

  @Test
  void enterpriseEditionTokenSignedByTheSdk() {
    Sdk.Answer answer = Sdk.call(client, enterprise("cri-abc123"), acr);

    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    JsonNode json = answer.json();
    assertThat(json.get("IsSuccess").asBoolean()).isTrue();
    assertThat(json.get("Code").asText()).isEqualTo("success");
    assertThat(json.get("TempUsername").asText()).isEqualTo("cr_temp_user");
    assertThat(json.get("AuthorizationToken").asText()).startsWith("fake-");
    assertThat(Instant.ofEpochMilli(json.get("ExpireTime").asLong()))
        .isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(acr.lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).orElseThrow().param("InstanceId"))
        .isEqualTo("cri-abc123");
  }

  @Test
  void wrongSecretIsRejected() {
    Sdk.Answer answer = Sdk.call(Sdk.client(AK, "wrong-secret"), enterprise("cri-abc123"), acr);
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.code()).isEqualTo("SignatureDoesNotMatch");

    Sdk.Answer roa = Sdk.call(Sdk.client(AK, "wrong-secret"), personal(), acr);
    assertThat(roa.status()).isEqualTo(400);
    assertThat(roa.code()).isEqualTo("SignatureDoesNotMatch");
  }

  @Test
  void listInstanceAndEndpoints() {
    ListInstanceRequest list = new ListInstanceRequest();
    list.setInstanceName("myco");
    Sdk.Answer answer = Sdk.call(client, list, acr);
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    assertThat(answer.json().get("Instances").get(0).get("InstanceId").asText())
        .isEqualTo("cri-abc123");

    ListInstanceEndpointRequest endpoints = new ListInstanceEndpointRequest();
    endpoints.setInstanceId("cri-abc123");
    endpoints.setModuleName("Registry");
    Sdk.Answer ep = Sdk.call(client, endpoints, acr);
    assertThat(ep.status()).as(ep.body()).isEqualTo(200);
    assertThat(ep.json().get("Endpoints").get(0).get("Domains").get(0).get("Domain").asText())
        .isEqualTo("myco-registry.cn-hangzhou.cr.aliyuncs.com");
  }
}
