package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.FakeIdentities;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every error code, malformed answer and transport failure becomes the right TokenException. */
class AcrErrorMappingTest {

  static final String AK = "LTAI5tExampleAccessKey02";
  static final String SECRET = "anotherSecretAnotherSecret12";
  static final String REGION = "cn-shanghai";
  static final RegistryTarget EE = RegistryTarget.enterprise(REGION, "cri-err001");
  static final RegistryTarget PERSONAL = RegistryTarget.personal(REGION);

  FakeIdentities identities;
  FakeAcr acr;
  AcrTokenProvider provider;

  @BeforeEach
  void start() {
    identities = new FakeIdentities().addAccessKey(AK, SECRET);
    acr = FakeAcr.start(identities).addInstance(AcrInstance.of("cri-err001", "errs", REGION));
    acr.useFixedToken("cr_temp_user", "TheRegistryPasswordValue0123456789");
    provider =
        AcrTokenProvider.builder()
            .credentials(AlibabaCredentials.accessKey(AK, SECRET))
            .endpoint("http://" + acr.endpoint())
            .readTimeout(Duration.ofMillis(700))
            .build();
  }

  @AfterEach
  void stop() {
    provider.close();
    acr.close();
  }

  TokenException fail(RegistryTarget target) {
    TokenException e = catchThrowableOfType(TokenException.class, () -> provider.fetch(target));
    assertThat(e).as("expected a TokenException").isNotNull();
    assertThat(e.getMessage()).doesNotContain(SECRET).doesNotContain("TheRegistryPassword");
    return e;
  }

  static Stream<Arguments> codes() {
    return Stream.of(
        Arguments.of("Forbidden.RAM", Reason.PERMISSION_DENIED, "cr:GetAuthorizationToken"),
        Arguments.of("NoPermission", Reason.PERMISSION_DENIED, "cr:PullRepository"),
        Arguments.of("INSTANCE_NOT_EXIST", Reason.NOT_FOUND, "cri-err001"),
        Arguments.of("InvalidAccessKeyId.NotFound", Reason.INVALID_CREDENTIALS, "AccessKey ID"),
        Arguments.of("InvalidAccessKeyId", Reason.INVALID_CREDENTIALS, "AccessKey ID"),
        Arguments.of("InvalidAccessKeyId.Inactive", Reason.INVALID_CREDENTIALS, "active"),
        Arguments.of("SignatureDoesNotMatch", Reason.INVALID_CREDENTIALS, "secret"),
        Arguments.of("IncompleteSignature", Reason.INVALID_CREDENTIALS, "clock"),
        Arguments.of("MissingSecurityToken", Reason.INVALID_CREDENTIALS, "security token"),
        Arguments.of("InvalidSecurityToken.Expired", Reason.INVALID_CREDENTIALS, "expired"),
        Arguments.of("InvalidSecurityToken.Malformed", Reason.INVALID_CREDENTIALS, "malformed"),
        Arguments.of(
            "InvalidSecurityToken.MismatchWithAccessKey", Reason.INVALID_CREDENTIALS, "another"),
        Arguments.of("InvalidTimeStamp.Expired", Reason.INVALID_CONFIGURATION, "clock"),
        Arguments.of("Throttling.User", Reason.THROTTLED, "retry"),
        Arguments.of("Throttling", Reason.THROTTLED, "back off"),
        Arguments.of("InternalError", Reason.SERVICE_UNAVAILABLE, "retry"),
        Arguments.of("ServiceUnavailable", Reason.SERVICE_UNAVAILABLE, "transient"),
        Arguments.of("InvalidAction.NotFound", Reason.INVALID_CONFIGURATION, "endpoint"),
        Arguments.of("InvalidVersion", Reason.INVALID_CONFIGURATION, "endpoint"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("codes")
  void errorCodeMapsToReasonAndMessage(String code, Reason reason, String hint) {
    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.error(code));

    TokenException e = fail(EE);

    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.errorCode()).contains(code);
    assertThat(e.getMessage()).contains(hint).contains("code " + code);
    assertThat(e.isRetryable()).isEqualTo(reason.isRetryable());
  }

  @Test
  void forbiddenRamNamesEveryActionAndTheIdentityKind() {
    identities.deny(AK, "cr:GetAuthorizationToken");

    TokenException e = fail(EE);

    assertThat(e.reason()).isEqualTo(Reason.PERMISSION_DENIED);
    assertThat(e.errorCode()).contains("Forbidden.RAM");
    assertThat(e.getMessage())
        .contains("cr:GetAuthorizationToken")
        .contains("cr:ListInstanceEndpoint")
        .contains("cr:ListInstance ")
        .contains("cr:PullRepository")
        .contains("RAM user (AccessKey)");
  }

  @Test
  void userWithoutRegistryLoginIsToldToSetAPassword() {
    identities.withoutRegistryAccount(AK);

    TokenException e = fail(PERSONAL);

    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.errorCode()).contains("USER_NOT_EXIST");
    assertThat(e.getMessage()).contains("registry login password").contains("ACR console");
  }

  @Test
  void unknownAccessKeyIsInvalidCredentials() {
    identities.removeAccessKey(AK);

    TokenException e = fail(PERSONAL);

    assertThat(e.reason()).isEqualTo(Reason.INVALID_CREDENTIALS);
    assertThat(e.errorCode().orElseThrow()).startsWith("InvalidAccessKeyId");
  }

  @Test
  void unknownCodeQuotesAScrubbedServerMessage() {
    acr.failNext(
        FakeApi.GET_AUTHORIZATION_TOKEN,
        1,
        Failure.error(
            400, "Odd.Code", "odd thing; string to sign is: GET&%2F&SecurityToken%3DCAISsecret"));

    TokenException e = fail(EE);

    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
    assertThat(e.getMessage()).contains("odd thing").doesNotContain("CAISsecret");
  }

  @Test
  void serverErrorsAreRetryable() {
    acr.failNext(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN, 1, Failure.serverError(502));
    assertThat(fail(PERSONAL).reason()).isEqualTo(Reason.SERVICE_UNAVAILABLE);

    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.htmlPage(503));
    assertThat(fail(EE).reason()).isEqualTo(Reason.SERVICE_UNAVAILABLE);

    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.throttling());
    TokenException throttled = fail(EE);
    assertThat(throttled.reason()).isEqualTo(Reason.THROTTLED);
    assertThat(throttled.isRetryable()).isTrue();
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of(EE, FakeApi.GET_AUTHORIZATION_TOKEN, Failure.htmlPage(200), "not a JSON"),
        Arguments.of(EE, FakeApi.GET_AUTHORIZATION_TOKEN, Failure.emptyBody(200), "empty body"),
        Arguments.of(
            EE,
            FakeApi.GET_AUTHORIZATION_TOKEN,
            Failure.missingField("AuthorizationToken"),
            "AuthorizationToken"),
        Arguments.of(
            EE,
            FakeApi.GET_AUTHORIZATION_TOKEN,
            Failure.missingField("TempUsername"),
            "TempUsername"),
        Arguments.of(
            EE, FakeApi.GET_AUTHORIZATION_TOKEN, Failure.wrongType("ExpireTime"), "ExpireTime"),
        Arguments.of(
            EE,
            FakeApi.GET_AUTHORIZATION_TOKEN,
            Failure.wrongType("AuthorizationToken"),
            "AuthorizationToken"),
        Arguments.of(
            EE,
            FakeApi.GET_AUTHORIZATION_TOKEN,
            Failure.notSuccess("STRANGE_STATE"),
            "STRANGE_STATE"),
        Arguments.of(
            EE,
            FakeApi.GET_AUTHORIZATION_TOKEN,
            Failure.raw(200, "application/json", "[\"a\"]"),
            "not a JSON object"),
        Arguments.of(
            EE,
            FakeApi.GET_AUTHORIZATION_TOKEN,
            Failure.raw(200, "application/json", "{\"AuthorizationToken\":"),
            "not a JSON object"),
        Arguments.of(
            PERSONAL,
            FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN,
            Failure.missingField("data.authorizationToken"),
            "data.authorizationToken"),
        Arguments.of(
            PERSONAL,
            FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN,
            Failure.missingField("data"),
            "data.tempUserName"),
        Arguments.of(
            PERSONAL,
            FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN,
            Failure.wrongType("data.expireDate"),
            "data.expireDate"),
        Arguments.of(
            PERSONAL,
            FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN,
            Failure.htmlPage(200),
            "not a JSON object"),
        Arguments.of(
            PERSONAL,
            FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN,
            Failure.emptyBody(200),
            "empty body"),
        Arguments.of(
            PERSONAL,
            FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN,
            Failure.notSuccess("SOMETHING_ODD"),
            "SOMETHING_ODD"),
        Arguments.of(
            EE, FakeApi.LIST_INSTANCE_ENDPOINT, Failure.missingField("Endpoints"), "Endpoints"),
        Arguments.of(
            EE, FakeApi.LIST_INSTANCE_ENDPOINT, Failure.wrongType("Endpoints"), "Endpoints"),
        Arguments.of(EE, FakeApi.LIST_INSTANCE_ENDPOINT, Failure.notSuccess("WEIRD"), "WEIRD"));
  }

  @ParameterizedTest(name = "{1} {2}")
  @MethodSource("malformed")
  void malformedAnswersAreInvalidResponses(
      RegistryTarget target, FakeApi api, Failure failure, String hint) {
    acr.failNext(api, 1, failure);

    TokenException e = fail(target);

    assertThat(e.reason()).isEqualTo(Reason.INVALID_RESPONSE);
    assertThat(e.getMessage()).contains(hint);
    assertThat(e).hasNoCause();
  }

  @Test
  void businessInstanceNotFoundInside200IsNotFound() {
    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.notSuccess("INSTANCE_NOT_EXIST"));

    assertThat(fail(EE).reason()).isEqualTo(Reason.NOT_FOUND);
  }

  @Test
  void transportFailuresAreNetworkErrors() throws IOException {
    acr.failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.disconnect());
    TokenException dropped = fail(EE);
    assertThat(dropped.reason()).isEqualTo(Reason.NETWORK);
    assertThat(dropped.isRetryable()).isTrue();

    acr.failNext(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN, 1, Failure.delay(Duration.ofSeconds(3)));
    TokenException slow = fail(PERSONAL);
    assertThat(slow.reason()).isEqualTo(Reason.NETWORK);
    assertThat(slow.getMessage()).contains("Timed out");

    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    try (AcrTokenProvider p =
        AcrTokenProvider.builder()
            .credentials(AlibabaCredentials.accessKey(AK, SECRET))
            .endpoint("http://127.0.0.1:" + closedPort)
            .build()) {
      TokenException refused = catchThrowableOfType(TokenException.class, () -> p.fetch(EE));
      assertThat(refused.reason()).isEqualTo(Reason.NETWORK);
      assertThat(refused.getMessage()).contains("127.0.0.1:" + closedPort);
    }
  }
}
