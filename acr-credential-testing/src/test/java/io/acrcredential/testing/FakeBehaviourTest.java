package io.acrcredential.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.cr.model.v20181201.GetAuthorizationTokenRequest;
import com.aliyuncs.exceptions.ClientException;
import com.aliyuncs.http.ProtocolType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Delays, disconnects, concurrency, lifecycle and secret hygiene of the fakes. */
class FakeBehaviourTest {
  static final String AK = "LTAI5tBehaviour";
  static final String SECRET = "behaviour-secret-value";

  FakeAlibabaCloud cloud;
  DefaultAcsClient client;

  @BeforeEach
  void start() {
    cloud = FakeAlibabaCloud.start();
    cloud.identities().addAccessKey(AK, SECRET);
    cloud.acr().addInstance(AcrInstance.of("cri-b", "beh", "cn-hangzhou"));
    client = Sdk.client(AK, SECRET);
  }

  @AfterEach
  void stop() {
    client.shutdown();
    cloud.close();
  }

  GetAuthorizationTokenRequest request(int readTimeoutMillis) {
    GetAuthorizationTokenRequest r = new GetAuthorizationTokenRequest();
    r.setInstanceId("cri-b");
    r.setSysEndpoint(cloud.acr().endpoint());
    r.setSysProtocol(ProtocolType.HTTP);
    r.setSysReadTimeout(readTimeoutMillis);
    return r;
  }

  @Test
  void delayedAnswerTripsTheClientReadTimeoutThenServesNormally() throws Exception {
    cloud.acr().failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.delay(Duration.ofMillis(800)));
    assertThatThrownBy(() -> client.doAction(request(150)))
        .isInstanceOfSatisfying(
            ClientException.class, e -> assertThat(e.getErrCode()).isEqualTo("SDK.ReadTimeout"));

    cloud.acr().failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.delay(Duration.ofMillis(200)));
    long start = System.nanoTime();
    assertThat(client.doAction(request(5000)).getStatus()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void disconnectGivesAnIoError() {
    cloud.acr().failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, Failure.disconnect());
    assertThatThrownBy(() -> client.doAction(request(2000))).isInstanceOf(ClientException.class);
    assertThat(cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isEqualTo(1);
  }

  @Test
  void countsAreExactUnderConcurrency() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 25; i++) {
                    Raw.send("GET", "http://" + cloud.acr().endpoint() + "/tokens", Map.of());
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(cloud.acr().callCount(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)).isEqualTo(200);
    assertThat(cloud.acr().totalCalls()).isEqualTo(200);
    assertThat(cloud.acr().requests(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)).hasSize(200);

    cloud.reset();
    assertThat(cloud.acr().totalCalls()).isZero();
    assertThat(cloud.acr().lastRequest(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)).isEmpty();
  }

  @Test
  void unsignedRoaRequestIsAnIncompleteSignature() {
    Sdk.Answer answer = Raw.send("GET", "http://" + cloud.acr().endpoint() + "/tokens", Map.of());
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.code()).isEqualTo("IncompleteSignature");
  }

  @Test
  void closedFakeRefusesConnectionsAndCloseIsIdempotent() {
    String endpoint = cloud.acr().endpoint();
    cloud.close();
    cloud.close();
    assertThatThrownBy(() -> Raw.send("GET", "http://" + endpoint + "/tokens", Map.of()))
        .isInstanceOf(java.io.UncheckedIOException.class);
  }

  @Test
  void fakesLogNoSecrets() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger("io.acrcredential.testing");
    Level before = logger.getLevel();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.DEBUG);
    try {
      SessionCredentials sts =
          cloud.identities().issueSession("acs:ram::1:role/r", Duration.ofHours(1), cloud.clock());
      DefaultAcsClient stsClient = Sdk.client(sts);
      String password;
      try {
        password =
            Sdk.call(stsClient, request(2000), cloud.acr())
                .json()
                .get("AuthorizationToken")
                .asText();
        Sdk.call(Sdk.client(AK, "wrong"), request(2000), cloud.acr());
      } finally {
        stsClient.shutdown();
      }
      List<String> lines = new ArrayList<>();
      appender.list.forEach(e -> lines.add(e.getFormattedMessage()));
      lines.add(cloud.acr().lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).orElseThrow().toString());
      lines.add(cloud.acr().issuedTokens().toString());
      lines.add(sts.toString());
      lines.add(cloud.identities().toString());
      assertThat(appender.list).isNotEmpty();
      for (String line : lines) {
        assertThat(line)
            .doesNotContain(SECRET)
            .doesNotContain(sts.accessKeySecret())
            .doesNotContain(sts.securityToken())
            .doesNotContain(password);
      }
    } finally {
      logger.detachAppender(appender);
      logger.setLevel(before);
    }
  }
}
