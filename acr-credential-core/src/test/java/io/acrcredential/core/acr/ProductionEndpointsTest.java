package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * Without test overrides every call goes out over HTTPS to Alibaba's public endpoints. An OkHttp
 * interceptor answers in place of the network, so nothing leaves the machine; the assertions are on
 * the requests the SDK built.
 */
class ProductionEndpointsTest {

  final List<Request> sent = new CopyOnWriteArrayList<>();

  OkHttpClient answering(Function<Request, String> body) {
    Interceptor canned =
        chain -> {
          Request request = chain.request();
          sent.add(request);
          return new Response.Builder()
              .request(request)
              .protocol(Protocol.HTTP_1_1)
              .code(200)
              .message("OK")
              .body(
                  ResponseBody.create(
                      body.apply(request), MediaType.get("application/json;charset=utf-8")))
              .build();
        };
    return new OkHttpClient.Builder().addInterceptor(canned).build();
  }

  static String personalAnswer() {
    long expiry = Instant.now().plusSeconds(3600).toEpochMilli();
    return "{\"data\":{\"authorizationToken\":\"pw\",\"tempUserName\":\"cr_temp_user\",\"expireDate\":"
        + expiry
        + "},\"requestId\":\"R1\"}";
  }

  @Test
  void acrCallsDefaultToHttpsOnTheRegionalEndpoint() {
    try (AcrTokenProvider p =
        AcrTokenProvider.builder()
            .credentials(AlibabaCredentials.accessKey("LTAIid", "secret"))
            .httpClient(answering(r -> personalAnswer()))
            .build()) {
      RegistryCredential c = p.fetch(RegistryTarget.personal("cn-beijing"));

      assertThat(c.password()).isEqualTo("pw");
      Request request = sent.get(0);
      assertThat(request.url().scheme()).isEqualTo("https");
      assertThat(request.url().host()).isEqualTo("cr.cn-beijing.aliyuncs.com");
      assertThat(request.url().encodedPath()).isEqualTo("/tokens");
      assertThat(request.header("Authorization")).startsWith("acs LTAIid:");
    }
  }

  @Test
  void anEndpointWithoutSchemeIsHttps() {
    try (AcrTokenProvider p =
        AcrTokenProvider.builder()
            .credentials(AlibabaCredentials.accessKey("LTAIid", "secret"))
            .endpoint("cr-vpc.cn-beijing.aliyuncs.com:8443")
            .httpClient(answering(r -> personalAnswer()))
            .build()) {
      p.fetch(RegistryTarget.personal("cn-beijing"));

      assertThat(sent.get(0).url().toString())
          .startsWith("https://cr-vpc.cn-beijing.aliyuncs.com:8443/tokens");
    }
  }

  @Test
  void stsAssumeRoleDefaultsToHttps() {
    String sts =
        "{\"RequestId\":\"R2\",\"Credentials\":{\"AccessKeyId\":\"STS.x\",\"AccessKeySecret\":\"s\","
            + "\"SecurityToken\":\"tok\",\"Expiration\":\""
            + Instant.now().plusSeconds(3600).toString().replaceAll("\\.\\d+Z$", "Z")
            + "\"}}";
    try (AcrTokenProvider p =
        AcrTokenProvider.builder()
            .credentials(
                AlibabaCredentials.accessKey("LTAIid", "secret")
                    .assumeRole("acs:ram::1234567890123456:role/puller"))
            .httpClient(answering(r -> r.url().host().startsWith("sts.") ? sts : personalAnswer()))
            .build()) {
      p.fetch(RegistryTarget.personal("cn-beijing"));

      Request assume = sent.get(0);
      assertThat(assume.url().scheme()).isEqualTo("https");
      assertThat(assume.url().host()).isEqualTo("sts.aliyuncs.com");
      assertThat(assume.url().queryParameter("Action")).isEqualTo("AssumeRole");
      assertThat(sent.get(1).url().scheme()).isEqualTo("https");
      assertThat(sent.get(1).header("x-acs-security-token")).isEqualTo("tok");
    }
  }

  @Test
  void malformedEndpointsAreRejectedWithTheSettingName() {
    assertThatThrownBy(() -> AcrTokenProvider.builder().endpoint("https://host/path"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ACR endpoint")
        .hasMessageContaining("https://host/path");
    assertThatThrownBy(() -> AcrTokenProvider.builder().stsEndpoint(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("STS endpoint");
    assertThat(Endpoint.parse("127.0.0.1:1", "x", true).plainHttp()).isTrue();
    assertThat(Endpoint.parse("https://h:1", "x", true).plainHttp()).isFalse();
    assertThat(Endpoint.parse("h", "x").plainHttp()).isFalse();
  }
}
