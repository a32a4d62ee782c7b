package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import com.aliyuncs.http.HttpUtil;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.FakeClock;
import io.acrcredential.testing.FakeCredentialsUri;
import io.acrcredential.testing.IssuedToken;
import io.acrcredential.testing.RecordedRequest;
import io.acrcredential.testing.SessionCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Runs the success and failure scenarios with every logger (the SDK's included) at TRACE, then
 * checks that no password, AccessKey secret, STS token or OIDC token appears in any log line,
 * exception message (causes and suppressed included) or toString().
 */
class SecretLeakTest {

  static final String AK = "LTAI5tLeakCheckAccessKey1";
  static final String SECRET = "LeakCheckSecretValueNeverShown9";
  static final String WRONG_SECRET = "WrongLeakCheckSecretValueXyz77";
  static final String ROLE = "acs:ram::1234567890123456:role/leak-check";
  static final String PROVIDER_ARN = "acs:ram::1234567890123456:oidc-provider/leak";
  static final String OIDC_TOKEN = "eyJleakCheckOidcTokenNeverShown.payload.signature";
  static final String REGION = "cn-beijing";
  static final RegistryTarget PERSONAL = RegistryTarget.personal(REGION);
  static final RegistryTarget EE = RegistryTarget.enterprise(REGION, "cri-leak01");

  @TempDir Path dir;
  ListAppender<ILoggingEvent> captured;
  Logger root;
  Level previousLevel;
  List<Appender<ILoggingEvent>> detached = new ArrayList<>();
  FakeClock clock;
  FakeAlibabaCloud cloud;
  FakeCredentialsUri uri;
  static final String URI_QUERY_SECRET = "brokerQueryTokenNeverShown123456";
  final List<Throwable> failures = new ArrayList<>();
  final List<Object> values = new ArrayList<>();

  @BeforeEach
  void capture() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    previousLevel = root.getLevel();
    root.iteratorForAppenders().forEachRemaining(detached::add);
    detached.forEach(root::detachAppender);
    captured = new ListAppender<>();
    captured.setContext(context);
    captured.start();
    root.addAppender(captured);
    root.setLevel(Level.TRACE);

    clock = FakeClock.atSystemTime();
    cloud = FakeAlibabaCloud.start(clock);
    cloud.acr().setMaxClockSkew(Duration.ofDays(1));
    cloud.sts().setMaxClockSkew(Duration.ofDays(1));
    cloud.identities().addAccessKey(AK, SECRET).addRole(ROLE, AK);
    cloud.identities().trustOidc(ROLE, PROVIDER_ARN, OIDC_TOKEN);
    cloud.acr().addInstance(AcrInstance.of("cri-leak01", "leak", REGION));
    cloud.metadata().attachRole("leak-node", ROLE);
    uri = FakeCredentialsUri.start(cloud.identities(), clock).serveRole(ROLE);
  }

  @AfterEach
  void restore() {
    uri.close();
    cloud.close();
    root.detachAppender(captured);
    detached.forEach(root::addAppender);
    root.setLevel(previousLevel);
    HttpUtil.setIsHttpDebug(false);
    HttpUtil.setIsHttpContentDebug(false);
  }

  AcrTokenProvider provider(AlibabaCredentials credentials) {
    values.add(credentials);
    return AcrTokenProvider.builder()
        .credentials(credentials)
        .endpoint("http://" + cloud.acr().endpoint())
        .stsEndpoint("http://" + cloud.sts().endpoint())
        .metadataEndpoint("http://" + cloud.metadata().endpoint())
        .readTimeout(Duration.ofMillis(800))
        .clock(clock)
        .build();
  }

  void attempt(AcrTokenProvider p, RegistryTarget target) {
    try {
      RegistryCredential c = p.fetch(target);
      values.add(c);
    } catch (TokenException e) {
      failures.add(e);
    }
  }

  @Test
  void noSecretInLogsMessagesOrToString() throws Exception {
    // Even if someone turned on the SDK's wire debugging, it must not print tokens.
    HttpUtil.setIsHttpDebug(true);
    HttpUtil.setIsHttpContentDebug(true);
    LogFactory.getLog("com.aliyuncs.probe").info("jcl-probe");

    SessionCredentials sts = cloud.identities().issueSession(ROLE, Duration.ofHours(1), clock);
    Path tokenFile = Files.writeString(dir.resolve("oidc"), OIDC_TOKEN);
    List<AlibabaCredentials> sources =
        List.of(
            AlibabaCredentials.accessKey(AK, SECRET),
            AlibabaCredentials.stsToken(
                sts.accessKeyId(), sts.accessKeySecret(), sts.securityToken()),
            AlibabaCredentials.accessKey(AK, SECRET).assumeRole(ROLE),
            AlibabaCredentials.ecsRamRole("leak-node"),
            AlibabaCredentials.oidcRole(ROLE, PROVIDER_ARN, tokenFile, null),
            AlibabaCredentials.defaultChain(
                Map.of(
                    "ALIBABA_CLOUD_ACCESS_KEY_ID", AK,
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)),
            AlibabaCredentials.defaultChain(
                Map.of("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
                Map.of(
                    "alibabacloud.accessKeyId", sts.accessKeyId(),
                    "alibabacloud.accessKeySecret", sts.accessKeySecret(),
                    "alibabacloud.sessionToken", sts.securityToken())),
            AlibabaCredentials.defaultChain(cliHome(), Map.of()),
            AlibabaCredentials.defaultChain(
                Map.of(
                    "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
                    "true",
                    "ALIBABA_CLOUD_CREDENTIALS_URI",
                    uriWithSecret())));
    for (AlibabaCredentials source : sources) {
      try (AcrTokenProvider p = provider(source)) {
        attempt(p, PERSONAL);
        attempt(p, EE);
        attempt(p, EE);
      }
    }

    try (AcrTokenProvider p = provider(AlibabaCredentials.accessKey(AK, WRONG_SECRET))) {
      attempt(p, PERSONAL);
      attempt(p, EE);
    }
    try (AcrTokenProvider p = provider(AlibabaCredentials.accessKey(AK, SECRET).assumeRole(ROLE))) {
      attempt(p, PERSONAL);
      List<Failure> broken =
          List.of(
              Failure.error("Forbidden.RAM"),
              Failure.error("InvalidSecurityToken.Expired"),
              Failure.missingField("AuthorizationToken"),
              Failure.missingField("TempUsername"),
              Failure.wrongType("ExpireTime"),
              Failure.wrongType("TempUsername"),
              Failure.htmlPage(200),
              Failure.notSuccess("ODD"),
              Failure.disconnect(),
              Failure.delay(Duration.ofSeconds(2)),
              Failure.error(
                  400, "Odd.Code", "echo SecurityToken=" + sts.securityToken() + " pw " + SECRET));
      for (Failure f : broken) {
        cloud.acr().failNext(FakeApi.GET_AUTHORIZATION_TOKEN, 1, f);
        attempt(p, EE);
      }
      for (Failure f : List.of(Failure.missingField("data.tempUserName"), Failure.emptyBody(200))) {
        cloud.acr().failNext(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN, 1, f);
        attempt(p, PERSONAL);
      }
      // A renewal that fails while the session is still valid logs a warning and keeps going.
      clock.advance(Duration.ofMinutes(50));
      cloud
          .sts()
          .failNext(FakeApi.ASSUME_ROLE, 1, Failure.missingField("Credentials.SecurityToken"));
      attempt(p, PERSONAL);
      clock.advance(Duration.ofMinutes(20));
      cloud
          .sts()
          .failNext(FakeApi.ASSUME_ROLE, 1, Failure.wrongType("Credentials.AccessKeySecret"));
      attempt(p, PERSONAL);
    }
    try (AcrTokenProvider p = provider(AlibabaCredentials.ecsRamRole("leak-node"))) {
      cloud
          .metadata()
          .failNext(FakeApi.METADATA_CREDENTIALS, 1, Failure.missingField("SecurityToken"));
      attempt(p, PERSONAL);
      cloud.metadata().failNext(FakeApi.METADATA_CREDENTIALS, 1, Failure.htmlPage(500));
      attempt(p, PERSONAL);
    }

    // Half-set properties, a broken CLI profile, a failing credentials URI.
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
                Map.of("alibabacloud.accessKeyIdSecret", SECRET)))) {
      attempt(p, PERSONAL);
    }
    Path broken = Files.createDirectories(dir.resolve("broken/.aliyun"));
    Files.writeString(
        broken.resolve("config.json"),
        "{\"current\": \"x\", \"profiles\": [{\"name\": \"x\", \"mode\": \"OAuth\","
            + " \"access_key_secret\": \""
            + SECRET
            + "\"}]}");
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of("HOME", broken.getParent().toString()), Map.of()))) {
      attempt(p, PERSONAL);
    }
    Files.writeString(broken.resolve("config.json"), "{\"current\": " + SECRET + "}");
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of("HOME", broken.getParent().toString()), Map.of()))) {
      attempt(p, PERSONAL);
    }
    try (AcrTokenProvider p =
        provider(
            AlibabaCredentials.defaultChain(
                Map.of(
                    "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
                    "true",
                    "ALIBABA_CLOUD_CREDENTIALS_URI",
                    uriWithSecret())))) {
      attempt(p, PERSONAL);
      clock.advance(Duration.ofMinutes(50));
      uri.failNext(
          FakeApi.CREDENTIALS_URI,
          1,
          Failure.error(500, "Broken", "echo AccessKeySecret=" + SECRET + " " + OIDC_TOKEN));
      attempt(p, PERSONAL);
      clock.advance(Duration.ofMinutes(20));
      for (Failure f :
          List.of(
              Failure.notSuccess("Failed"),
              Failure.htmlPage(200),
              Failure.missingField("AccessKeySecret"),
              Failure.wrongType("SecurityToken"),
              Failure.raw(200, "application/json", "{\"Code\": \"" + SECRET + "\"}"),
              Failure.disconnect())) {
        uri.failNext(FakeApi.CREDENTIALS_URI, 1, f);
        attempt(p, PERSONAL);
      }
    }

    Set<String> secrets = secrets(sts);
    secrets.add(URI_QUERY_SECRET);
    uri.currentCredentials()
        .ifPresent(
            c -> {
              secrets.add(c.accessKeySecret());
              secrets.add(c.securityToken());
            });
    assertThat(secrets).hasSizeGreaterThan(10);
    assertThat(failures).hasSizeGreaterThan(15);
    assertThat(failures)
        .extracting(Throwable::getMessage)
        .anyMatch(m -> m.contains(uri.url()) && m.contains("Code 'Failed'"))
        .anyMatch(m -> m.contains("CLI configuration") && m.contains("OAuth"))
        .anyMatch(m -> m.contains("not valid JSON"))
        .anyMatch(m -> m.contains("Java system properties"));
    assertThat(values).hasSizeGreaterThan(15);

    List<String> texts = new ArrayList<>();
    for (ILoggingEvent event : captured.list) {
      texts.add(event.getFormattedMessage());
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        texts.add(t.getClassName() + ": " + t.getMessage());
      }
    }
    for (Throwable failure : failures) {
      texts.addAll(messages(failure));
    }
    for (Object value : values) {
      texts.add(String.valueOf(value));
    }

    assertThat(captured.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .contains("jcl-probe")
        .anyMatch(m -> m.contains("DEBUG=sdk"))
        .anyMatch(m -> m.contains("keeping the current ones"));
    for (String text : texts) {
      for (String secret : secrets) {
        assertThat(text).as("a log line, message or toString").doesNotContain(secret);
      }
    }
  }

  String uriWithSecret() {
    return uri.url() + "?token=" + URI_QUERY_SECRET;
  }

  /** A HOME whose CLI configuration assumes a role with the AccessKey. */
  Map<String, String> cliHome() throws java.io.IOException {
    Path aliyun = Files.createDirectories(dir.resolve("cli/.aliyun"));
    Files.writeString(
        aliyun.resolve("config.json"),
        "{\"current\": \"leak\", \"profiles\": [{\"name\": \"leak\", \"mode\":"
            + " \"RamRoleArn\", \"access_key_id\": \""
            + AK
            + "\", \"access_key_secret\": \""
            + SECRET
            + "\", \"ram_role_arn\": \""
            + ROLE
            + "\"}]}");
    return Map.of(
        "HOME", aliyun.getParent().toString(), "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
  }

  Set<String> secrets(SessionCredentials sts) {
    Set<String> secrets = new LinkedHashSet<>();
    secrets.add(SECRET);
    secrets.add(WRONG_SECRET);
    secrets.add(OIDC_TOKEN);
    secrets.add(sts.accessKeySecret());
    secrets.add(sts.securityToken());
    cloud
        .metadata()
        .currentCredentials()
        .ifPresent(
            c -> {
              secrets.add(c.accessKeySecret());
              secrets.add(c.securityToken());
            });
    for (IssuedToken t : cloud.acr().issuedTokens()) {
      secrets.add(t.password());
    }
    for (FakeApi api : List.of(FakeApi.GET_AUTHORIZATION_TOKEN, FakeApi.LIST_INSTANCE_ENDPOINT)) {
      for (RecordedRequest r : cloud.acr().requests(api)) {
        if (r.param("SecurityToken") != null) {
          secrets.add(r.param("SecurityToken"));
        }
      }
    }
    for (RecordedRequest r : cloud.acr().requests(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)) {
      if (r.header("x-acs-security-token") != null) {
        secrets.add(r.header("x-acs-security-token"));
      }
    }
    return secrets;
  }

  static List<String> messages(Throwable failure) {
    List<String> out = new ArrayList<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Throwable> todo = new ArrayList<>(List.of(failure));
    while (!todo.isEmpty()) {
      Throwable t = todo.remove(todo.size() - 1);
      if (t == null || !seen.add(t)) {
        continue;
      }
      out.add(t.toString());
      out.add(String.valueOf(t.getMessage()));
      todo.add(t.getCause());
      todo.addAll(List.of(t.getSuppressed()));
    }
    return out;
  }
}
