package io.acrcredential.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.cr.model.v20181201.GetAuthorizationTokenRequest;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FailureInjectionTest {
  static final String AK = "LTAI5tInjectKey";
  static final String SECRET = "inject-secret";

  FakeAcr acr;
  DefaultAcsClient client;

  @BeforeEach
  void start() {
    acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SECRET));
    acr.addInstance(AcrInstance.of("cri-1", "one", "cn-hangzhou"));
    client = Sdk.client(AK, SECRET);
  }

  @AfterEach
  void stop() {
    client.shutdown();
    acr.close();
  }

  Sdk.Answer enterprise() {
    GetAuthorizationTokenRequest r = new GetAuthorizationTokenRequest();
    r.setInstanceId("cri-1");
    return Sdk.call(client, r, acr);
  }

  Sdk.Answer personal() {
    return Sdk.call(
        client, new com.aliyuncs.cr.model.v20160607.GetAuthorizationTokenRequest(), acr);
  }

  @ParameterizedTest
  @CsvSource({
    "Forbidden.RAM, 403",
    "USER_NOT_EXIST, 404",
    "InvalidAccessKeyId.NotFound, 404",
    "SignatureDoesNotMatch, 400",
    "InvalidSecurityToken.Expired, 400",
    "MissingSecurityToken, 400",
    "Throttling.User, 400",
    "InternalError, 500",
    "ServiceUnavailable, 503"
  })
  void injectedErrorUsesThePopShapeForTheNextCallOnly(String code, int status) {
    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.error(code));

    Sdk.Answer failed = enterprise();
    assertThat(failed.status()).isEqualTo(status);
    JsonNode json = failed.json();
    assertThat(json.get("Code").asText()).isEqualTo(code);
    assertThat(json.fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder("RequestId", "HostId", "Code", "Message", "Recommend");

    assertThat(enterprise().status()).isEqualTo(200);
    assertThat(acr.callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isEqualTo(2);
  }

  @Test
  void personalEditionUserNotExistUsesLowerCaseShape() {
    acr.failNext(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN, 2, Failure.error("USER_NOT_EXIST"));

    for (int i = 0; i < 2; i++) {
      Sdk.Answer answer = personal();
      assertThat(answer.status()).isEqualTo(404);
      assertThat(answer.json().get("code").asText()).isEqualTo("USER_NOT_EXIST");
      assertThat(answer.json().has("requestId")).isTrue();
    }
    assertThat(personal().status()).isEqualTo(200);
  }

  @Test
  void failAlwaysUntilCleared() {
    acr.failAlways(FakeApi.GET_AUTHORIZATION_TOKEN, Failure.throttling());
    assertThat(enterprise().code()).isEqualTo("Throttling.User");
    assertThat(enterprise().code()).isEqualTo("Throttling.User");
    acr.clearFailures();
    assertThat(enterprise().status()).isEqualTo(200);
  }

  @Test
  void malformedBodies() {
    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.htmlPage(502));
    Sdk.Answer html = enterprise();
    assertThat(html.status()).isEqualTo(502);
    assertThat(html.body()).startsWith("<html>");

    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.emptyBody(200));
    Sdk.Answer empty = enterprise();
    assertThat(empty.status()).isEqualTo(200);
    assertThat(empty.body()).isEmpty();

    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.missingField("AuthorizationToken"));
    JsonNode missing = enterprise().json();
    assertThat(missing.has("AuthorizationToken")).isFalse();
    assertThat(missing.get("TempUsername").asText()).isEqualTo("cr_temp_user");

    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.wrongType("ExpireTime"));
    assertThat(enterprise().json().get("ExpireTime").isTextual()).isTrue();

    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.wrongType("TempUsername"));
    assertThat(enterprise().json().get("TempUsername").isNumber()).isTrue();

    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.notSuccess("INSTANCE_NOT_EXIST"));
    Sdk.Answer notSuccess = enterprise();
    assertThat(notSuccess.status()).isEqualTo(200);
    assertThat(notSuccess.json().get("IsSuccess").asBoolean()).isFalse();
    assertThat(notSuccess.code()).isEqualTo("INSTANCE_NOT_EXIST");

    acr.failNext(
        FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN, 1, Failure.missingField("data.expireDate"));
    JsonNode data = personal().json().get("data");
    assertThat(data.has("expireDate")).isFalse();
    assertThat(data.has("authorizationToken")).isTrue();
  }

  @Test
  void unknownCodeIsRejectedWithTheKnownOnes() {
    assertThatThrownBy(() -> Failure.error("NoSuchCode"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NoSuchCode")
        .hasMessageContaining("Forbidden.RAM");
  }
}
