package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;

import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.auth.BasicCredentials;
import com.aliyuncs.auth.StaticCredentialsProvider;
import com.aliyuncs.http.HttpResponse;
import io.acrcredential.core.acr.internal.OkHttpSdkClient;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * Alibaba's SDK creates {@link OkHttpSdkClient} by reflection from its class name, and every call
 * of an SDK client made by {@link Transport} goes through it to the shared OkHttp client. An
 * application interceptor answers, so nothing is sent anywhere.
 */
class SdkTransportTest {

  @Test
  void theSdkCreatesTheInternalClientAndSendsThroughTheSharedOkHttpClient() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    OkHttpClient http =
        new OkHttpClient.Builder()
            .addInterceptor(
                chain -> {
                  boolean viaShell =
                      StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                          .walk(
                              s -> s.anyMatch(f -> f.getDeclaringClass() == OkHttpSdkClient.class));
                  seen.add(chain.request().url().host() + (viaShell ? " via OkHttpSdkClient" : ""));
                  return new Response.Builder()
                      .request(chain.request())
                      .protocol(Protocol.HTTP_1_1)
                      .code(200)
                      .message("OK")
                      .body(
                          ResponseBody.create(
                              "{\"RequestId\":\"r-1\"}", MediaType.get("application/json")))
                      .build();
                })
            .build();
    Transport transport =
        new Transport(
            http,
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Clock.systemUTC(),
            Transport.DEFAULT_STS,
            Transport.DEFAULT_METADATA);
    DefaultAcsClient client =
        transport.sdkClient(
            new StaticCredentialsProvider(new BasicCredentials("id", "not-a-secret")),
            "cn-hangzhou");
    var request = new com.aliyuncs.cr.model.v20160607.GetAuthorizationTokenRequest();
    request.setSysRegionId("cn-hangzhou");
    request.setSysEndpoint("127.0.0.1");

    HttpResponse response = client.doAction(request);

    assertThat(response.getStatus()).isEqualTo(200);
    assertThat(response.getHttpContentString()).contains("r-1");
    assertThat(seen).containsExactly("127.0.0.1 via OkHttpSdkClient");
  }

  @Test
  void theClassTheSdkCreatesLivesOutsideTheDocumentedPackages() {
    assertThat(OkHttpSdkClient.class.getPackageName()).endsWith(".internal");
    assertThat(Modifier.isPublic(SdkHttp.class.getModifiers())).isFalse();
  }
}
