package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.FakeClock;
import io.acrcredential.testing.FakeCredentialsUri;
import io.acrcredential.testing.IssuedToken;
import io.acrcredential.testing.RecordedRequest;
import io.acrcredential.testing.SessionCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default chain's sources added after the first four: Java system properties (first), the
 * Alibaba Cloud CLI profile (after RRSA, before the profile file) and the credentials URI (last),
 * end to end against the fakes. Every chain here gets its environment and system properties
 * injected, {@code HOME} pointing at a temporary directory, so the build's own JVM settings and
 * {@code ~/.aliyun} are never read; the metadata endpoint is the loopback fake.
 */
class DefaultChainSourcesTest {

  static final String AK = "LTAI5tChainSourcesKey01";
  static final String SECRET = "chainSourcesSecretValue123";
  static final String AK2 = "LTAI5tChainSourcesKey02";
  static final String SECRET2 = "chainSourcesOtherSecret456";
  static final String ROLE = "acs:ram::1234567890123456:role/cli-role";
  static final String ROLE2 = "acs:ram::1234567890123456:role/cli-second";
  static final String URI_ROLE = "acs:ram::1234567890123456:role/broker";
  static final String NODE_ROLE = "acs:ram::1234567890123456:role/node";
  static final String PROVIDER_ARN = "acs:ram::1234567890123456:oidc-provider/cli-rrsa";
  static final String OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.cliOidcTokenPayload.sig";
  static final String REGION = "cn-hangzhou";
  static final RegistryTarget PERSONAL = RegistryTarget.personal(REGION);
  static final RegistryTarget EE = RegistryTarget.enterprise(REGION, "cri-chain01");

  @TempDir Path dir;
  Path home;
  FakeClock clock;
  FakeAlibabaCloud cloud;
  FakeCredentialsUri uri;

  @BeforeEach
  void start() throws IOException {
    home = Files.createDirectories(dir.resolve("home"));
    clock = FakeClock.atSystemTime();
    cloud = FakeAlibabaCloud.start(clock);
    cloud.acr().setMaxClockSkew(Duration.ofDays(1));
    cloud.sts().setMaxClockSkew(Duration.ofDays(1));
    cloud.identities().addAccessKey(AK, SECRET).addAccessKey(AK2, SECRET2);
    cloud.acr().addInstance(AcrInstance.of("cri-chain01", "chain", REGION));
    uri = FakeCredentialsUri.start(cloud.identities(), clock).serveRole(URI_ROLE);
  }

  @AfterEach
  void stop() {
    uri.close();
    cloud.close();
  }

  AcrTokenProvider provider(AlibabaCredentials credentials) {
    return AcrTokenProvider.builder()
        .credentials(credentials)
        .endpoint("http://" + cloud.acr().endpoint())
        .stsEndpoint("http://" + cloud.sts().endpoint())
        .metadataEndpoint("http://" + cloud.metadata().endpoint())
        .readTimeout(Duration.ofSeconds(3))
        .clock(clock)
        .build();
  }

  /** An environment with HOME in the temporary directory and the ECS RAM role disabled. */
  Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  /** Fetches a token through the chain and returns the principal ACR saw. */
  String principalFor(AlibabaCredentials credentials) {
    try (AcrTokenProvider p = provider(credentials)) {
      RegistryCredential c = p.fetch(PERSONAL);
      assertThat(cloud.acr().acceptsLogin(c.username(), c.password())).isTrue();
      return lastPrincipal();
    }
  }

  TokenException failureFor(AlibabaCredentials credentials) {
    try (AcrTokenProvider p = provider(credentials)) {
      return catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
    }
  }

  String lastPrincipal() {
    List<IssuedToken> issued = cloud.acr().issuedTokens();
    return issued.get(issued.size() - 1).principal();
  }

  Path cliConfig(String json) throws IOException {
    Path aliyun = Files.createDirectories(home.resolve(".aliyun"));
    return Files.writeString(aliyun.resolve("config.json"), json);
  }

  void iniFile(String accessKeyId, String secret) throws IOException {
    Path d = Files.createDirectories(home.resolve(".alibabacloud"));
    Files.writeString(
        d.resolve("credentials"),
        "[default]\ntype = access_key\naccess_key_id = "
            + accessKeyId
            + "\naccess_key_secret = "
            + secret
            + "\n");
  }

  static String akProfile(String name, String id, String secret) {
    return "{\"name\": \""
        + name
        + "\", \"mode\": \"AK\", \"access_key_id\": \""
        + id
        + "\", \"access_key_secret\": \""
        + secret
        + "\", \"region_id\": \"cn-hangzhou\", \"expired_seconds\": 0, \"ram_role_name\": \"\"}";
  }

  static String config(String current, String... profiles) {
    return "{\"current\": \""
        + current
        + "\", \"profiles\": ["
        + String.join(",\n", profiles)
        + "], \"meta_path\": \"\"}";
  }

  // ---- System properties ----

  @Test
  void systemPropertiesComeBeforeTheEnvironment() {
    Map<String, String> props =
        Map.of("alibabacloud.accessKeyId", AK, "alibabacloud.accessKeySecret", SECRET);
    Map<String, String> env =
        env("ALIBABA_CLOUD_ACCESS_KEY_ID", AK2, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET2);
    assertThat(principalFor(AlibabaCredentials.defaultChain(env, props))).isEqualTo(AK);
    // Without the properties the same environment gives the other key.
    assertThat(principalFor(AlibabaCredentials.defaultChain(env))).isEqualTo(AK2);
  }

  @Test
  void systemPropertySecretAliasWinsLikeTheSdk() {
    Map<String, String> props =
        Map.of(
            "alibabacloud.accessKeyId", AK,
            "alibabacloud.accessKeyIdSecret", SECRET,
            "alibabacloud.accessKeySecret", "notTheRightSecretValue");
    assertThat(principalFor(AlibabaCredentials.defaultChain(env(), props))).isEqualTo(AK);
    Map<String, String> aliasOnly =
        Map.of("alibabacloud.accessKeyId", AK, "alibabacloud.accessKeyIdSecret", SECRET);
    assertThat(principalFor(AlibabaCredentials.defaultChain(env(), aliasOnly))).isEqualTo(AK);
  }

  @Test
  void systemPropertySessionTokenMakesStsKeys() {
    SessionCredentials sts = cloud.identities().issueSession(ROLE, Duration.ofHours(1), clock);
    Map<String, String> props =
        Map.of(
            "alibabacloud.accessKeyId", sts.accessKeyId(),
            "alibabacloud.accessKeySecret", sts.accessKeySecret(),
            "alibabacloud.sessionToken", sts.securityToken());
    try (AcrTokenProvider p = provider(AlibabaCredentials.defaultChain(env(), props))) {
      p.fetch(EE);
      assertThat(lastPrincipal()).isEqualTo(ROLE);
      assertThat(
              cloud.acr().lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).get().param("SecurityToken"))
          .isEqualTo(sts.securityToken());
    }
  }

  @Test
  void halfSetSystemPropertiesNameWhatIsMissing() {
    TokenException e =
        failureFor(
            AlibabaCredentials.defaultChain(
                env("ALIBABA_CLOUD_ACCESS_KEY_ID", AK, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
                Map.of("alibabacloud.accessKeySecret", SECRET2)));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
    assertThat(e.getMessage())
        .contains("alibabacloud.accessKeyId")
        .contains("alibabacloud.accessKeySecret")
        .doesNotContain(SECRET2);
  }

  @Test
  void onlyTheNoArgumentFactoryReadsTheJvmsProperties() {
    String name = "alibabacloud.accessKeyId";
    String before = System.getProperty(name);
    System.setProperty(name, "LTAIfromTheJvmProperty");
    try {
      CredentialSpec.DefaultChain process =
          (CredentialSpec.DefaultChain) AlibabaCredentials.defaultChain().spec();
      assertThat(process.systemProperties()).containsEntry(name, "LTAIfromTheJvmProperty");
      CredentialSpec.DefaultChain injected =
          (CredentialSpec.DefaultChain) AlibabaCredentials.defaultChain(Map.of()).spec();
      assertThat(injected.systemProperties()).isEmpty();
      CredentialSpec.DefaultChain filtered =
          (CredentialSpec.DefaultChain)
              AlibabaCredentials.defaultChain(Map.of(), Map.of("java.home", "/x", name, AK)).spec();
      assertThat(filtered.systemProperties()).containsOnlyKeys(name);
    } finally {
      if (before == null) {
        System.clearProperty(name);
      } else {
        System.setProperty(name, before);
      }
    }
  }

  // ---- CLI profile: order ----

  @Test
  void cliProfileComesAfterEnvironmentAndRrsaAndBeforeTheProfileFile() throws IOException {
    cliConfig(config("default", akProfile("default", AK, SECRET)));
    iniFile(AK2, SECRET2);
    assertThat(principalFor(AlibabaCredentials.defaultChain(env()))).isEqualTo(AK);

    Map<String, String> withEnvKey =
        env("ALIBABA_CLOUD_ACCESS_KEY_ID", AK2, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET2);
    assertThat(principalFor(AlibabaCredentials.defaultChain(withEnvKey))).isEqualTo(AK2);

    cloud.identities().trustOidc(ROLE, PROVIDER_ARN, OIDC_TOKEN);
    Path token = Files.writeString(dir.resolve("rrsa"), OIDC_TOKEN);
    Map<String, String> withRrsa =
        env(
            "ALIBABA_CLOUD_ROLE_ARN", ROLE,
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER_ARN,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE", token.toString());
    assertThat(principalFor(AlibabaCredentials.defaultChain(withRrsa))).isEqualTo(ROLE);

    Map<String, String> disabled = env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true");
    assertThat(principalFor(AlibabaCredentials.defaultChain(disabled))).isEqualTo(AK2);
  }

  @Test
  void cliProfileIsChosenByAlibabaCloudProfileElseCurrent() throws IOException {
    cliConfig(config("second", akProfile("first", AK, SECRET), akProfile("second", AK2, SECRET2)));
    assertThat(principalFor(AlibabaCredentials.defaultChain(env()))).isEqualTo(AK2);
    assertThat(principalFor(AlibabaCredentials.defaultChain(env("ALIBABA_CLOUD_PROFILE", "first"))))
        .isEqualTo(AK);
  }

  @Test
  void aProfileTheCliConfigLacksIsLookedUpInTheProfileFile() throws IOException {
    cliConfig(config("default", akProfile("default", AK, SECRET)));
    Path d = Files.createDirectories(home.resolve(".alibabacloud"));
    Files.writeString(
        d.resolve("credentials"),
        "[ini-only]\ntype = access_key\naccess_key_id = "
            + AK2
            + "\naccess_key_secret = "
            + SECRET2
            + "\n");
    assertThat(
            principalFor(AlibabaCredentials.defaultChain(env("ALIBABA_CLOUD_PROFILE", "ini-only"))))
        .isEqualTo(AK2);
  }

  // ---- CLI profile: every mode end to end ----

  @Test
  void cliStsTokenMode() throws IOException {
    SessionCredentials sts = cloud.identities().issueSession(ROLE, Duration.ofHours(1), clock);
    cliConfig(
        config(
            "sts",
            "{\"name\": \"sts\", \"mode\": \"StsToken\", \"access_key_id\": \""
                + sts.accessKeyId()
                + "\", \"access_key_secret\": \""
                + sts.accessKeySecret()
                + "\", \"sts_token\": \""
                + sts.securityToken()
                + "\"}"));
    try (AcrTokenProvider p = provider(AlibabaCredentials.defaultChain(env()))) {
      p.fetch(EE);
      assertThat(lastPrincipal()).isEqualTo(ROLE);
      assertThat(
              cloud.acr().lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).get().param("SecurityToken"))
          .isEqualTo(sts.securityToken());
    }
  }

  @Test
  void cliRamRoleArnModeAssumesTheRoleWithTheProfilesKey() throws IOException {
    cloud.identities().addRole(ROLE, AK);
    cliConfig(
        config(
            "cross",
            "{\"name\": \"cross\", \"mode\": \"RamRoleArn\", \"access_key_id\": \""
                + AK
                + "\", \"access_key_secret\": \""
                + SECRET
                + "\", \"ram_role_arn\": \""
                + ROLE
                + "\", \"ram_session_name\": \"cli-session\", \"expired_seconds\": 1800,"
                + " \"policy\": \"\", \"sts_region\": \"\"}"));
    try (AcrTokenProvider p = provider(AlibabaCredentials.defaultChain(env()))) {
      p.fetch(PERSONAL);
      assertThat(lastPrincipal()).isEqualTo(ROLE);
      assertThat(cloud.sts().callCount(FakeApi.ASSUME_ROLE)).isEqualTo(1);
      RecordedRequest assume = cloud.sts().lastRequest(FakeApi.ASSUME_ROLE).get();
      assertThat(assume.param("AccessKeyId")).isEqualTo(AK);
      assertThat(assume.param("RoleArn")).isEqualTo(ROLE);
      assertThat(assume.param("RoleSessionName")).isEqualTo("cli-session");
      assertThat(assume.param("DurationSeconds")).isEqualTo("1800");

      // 1800 s sessions: renewed 10 minutes (a third) before they end.
      clock.advance(Duration.ofMinutes(19));
      p.fetch(PERSONAL);
      assertThat(cloud.sts().callCount(FakeApi.ASSUME_ROLE)).isEqualTo(1);
      clock.advance(Duration.ofMinutes(2));
      p.fetch(PERSONAL);
      assertThat(cloud.sts().callCount(FakeApi.ASSUME_ROLE)).isEqualTo(2);
    }
  }

  @Test
  void cliRamRoleArnWithAWrongSecretIsRefusedBySts() throws IOException {
    cloud.identities().addRole(ROLE, AK);
    cliConfig(
        config(
            "cross",
            "{\"name\": \"cross\", \"mode\": \"RamRoleArn\", \"access_key_id\": \""
                + AK
                + "\", \"access_key_secret\": \"wrongSecretForTheSignature\", \"ram_role_arn\": \""
                + ROLE
                + "\"}"));
    TokenException e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_CREDENTIALS);
    assertThat(cloud.acr().issuedTokens()).isEmpty();
    assertThat(e.getMessage()).doesNotContain("wrongSecretForTheSignature");
  }

  @Test
  void cliEcsRamRoleMode() throws IOException {
    cloud.metadata().attachRole("cli-node", NODE_ROLE);
    cliConfig(
        config(
            "ecs",
            "{\"name\": \"ecs\", \"mode\": \"EcsRamRole\", \"ram_role_name\": \"cli-node\"}"));
    Map<String, String> env = env();
    env.remove("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
    assertThat(principalFor(AlibabaCredentials.defaultChain(env))).isEqualTo(NODE_ROLE);
    assertThat(cloud.metadata().callCount(FakeApi.METADATA_ROLE_NAME)).isZero();
    assertThat(cloud.metadata().lastRequest(FakeApi.METADATA_CREDENTIALS).get().path())
        .endsWith("/cli-node");

    // Like the SDK, the switch that disables the metadata service also covers such profiles.
    cloud.metadata().resetCalls();
    TokenException e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
    assertThat(e.getMessage()).contains("'ecs'").contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
    assertThat(cloud.metadata().totalCalls()).isZero();
  }

  @Test
  void cliOidcMode() throws IOException {
    cloud.identities().trustOidc(ROLE, PROVIDER_ARN, OIDC_TOKEN);
    Path token = Files.writeString(dir.resolve("oidc-token"), OIDC_TOKEN);
    cliConfig(
        config(
            "rrsa",
            "{\"name\": \"rrsa\", \"mode\": \"OIDC\", \"ram_role_arn\": \""
                + ROLE
                + "\", \"oidc_provider_arn\": \""
                + PROVIDER_ARN
                + "\", \"oidc_token_file\": \""
                + token
                + "\", \"ram_session_name\": \"cli-oidc\"}"));
    assertThat(principalFor(AlibabaCredentials.defaultChain(env()))).isEqualTo(ROLE);
    RecordedRequest call = cloud.sts().lastRequest(FakeApi.ASSUME_ROLE_WITH_OIDC).get();
    assertThat(call.param("OIDCToken")).isEqualTo(OIDC_TOKEN);
    assertThat(call.param("OIDCProviderArn")).isEqualTo(PROVIDER_ARN);
    assertThat(call.param("RoleSessionName")).isEqualTo("cli-oidc");
  }

  @Test
  void cliChainableRamRoleArnFollowsSourceProfiles() throws IOException {
    cloud.identities().addRole(ROLE, AK).addRole(ROLE2, ROLE);
    cliConfig(
        config(
            "second-hop",
            akProfile("base", AK, SECRET),
            "{\"name\": \"first-hop\", \"mode\": \"ChainableRamRoleArn\", \"source_profile\":"
                + " \"base\", \"ram_role_arn\": \""
                + ROLE
                + "\"}",
            "{\"name\": \"second-hop\", \"mode\": \"ChainableRamRoleArn\", \"source_profile\":"
                + " \"first-hop\", \"ram_role_arn\": \""
                + ROLE2
                + "\", \"ram_session_name\": \"hop-two\"}"));
    assertThat(principalFor(AlibabaCredentials.defaultChain(env()))).isEqualTo(ROLE2);
    List<RecordedRequest> assumes = cloud.sts().requests(FakeApi.ASSUME_ROLE);
    assertThat(assumes).hasSize(2);
    assertThat(assumes.get(0).param("RoleArn")).isEqualTo(ROLE);
    assertThat(assumes.get(0).param("AccessKeyId")).isEqualTo(AK);
    assertThat(assumes.get(1).param("RoleArn")).isEqualTo(ROLE2);
    assertThat(assumes.get(1).param("AccessKeyId")).startsWith("STS.");
    assertThat(assumes.get(1).param("RoleSessionName")).isEqualTo("hop-two");
  }

  @Test
  void cliCredentialsUriMode() throws IOException {
    cliConfig(
        config(
            "broker",
            "{\"name\": \"broker\", \"mode\": \"CredentialsURI\", \"credentials_uri\": \""
                + uri.url()
                + "\"}"));
    assertThat(principalFor(AlibabaCredentials.defaultChain(env()))).isEqualTo(URI_ROLE);
    assertThat(uri.callCount(FakeApi.CREDENTIALS_URI)).isEqualTo(1);
  }

  // ---- CLI profile: errors ----

  @Test
  void unsupportedCliModeNamesFileProfileAndMode() throws IOException {
    Path file =
        cliConfig(
            config(
                "sso",
                "{\"name\": \"sso\", \"mode\": \"CloudSSO\", \"access_key_id\": \"\","
                    + " \"access_key_secret\": \"\"}"));
    TokenException e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
    assertThat(e.getMessage())
        .contains(file.toString())
        .contains("'sso'")
        .contains("CloudSSO")
        .contains("RamRoleArn")
        .contains("ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true");
    assertThat(cloud.acr().issuedTokens()).isEmpty();
  }

  @Test
  void brokenCliProfilesGetErrorsThatNameTheFix() throws IOException {
    Path file = cliConfig("{\"current\": \"default\", \"profiles\": [ {\"name\": " + SECRET);
    TokenException e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
    assertThat(e.getMessage())
        .contains(file.toString())
        .contains("not valid JSON")
        .contains("ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
        .doesNotContain(SECRET);

    cliConfig(
        config(
            "half", "{\"name\": \"half\", \"mode\": \"AK\", \"access_key_id\": \"" + AK + "\"}"));
    e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.getMessage()).contains("'half'").contains("lacks access_key_secret");

    cliConfig(config("nomode", "{\"name\": \"nomode\", \"access_key_id\": \"" + AK + "\"}"));
    e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.getMessage()).contains("'nomode'").contains("has no mode");

    cliConfig(
        config(
            "a",
            "{\"name\": \"a\", \"mode\": \"ChainableRamRoleArn\", \"source_profile\": \"b\","
                + " \"ram_role_arn\": \""
                + ROLE
                + "\"}",
            "{\"name\": \"b\", \"mode\": \"ChainableRamRoleArn\", \"source_profile\": \"a\","
                + " \"ram_role_arn\": \""
                + ROLE
                + "\"}"));
    e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
    assertThat(e.getMessage()).contains("source_profile loop").contains("a -> b -> a");

    cliConfig(
        config(
            "narrow",
            "{\"name\": \"narrow\", \"mode\": \"RamRoleArn\", \"access_key_id\": \""
                + AK
                + "\", \"access_key_secret\": \""
                + SECRET
                + "\", \"ram_role_arn\": \""
                + ROLE
                + "\", \"policy\": \"{}\"}"));
    e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.getMessage()).contains("'narrow'").contains("sets policy");

    cliConfig(
        config(
            "short",
            "{\"name\": \"short\", \"mode\": \"RamRoleArn\", \"access_key_id\": \""
                + AK
                + "\", \"access_key_secret\": \""
                + SECRET
                + "\", \"ram_role_arn\": \""
                + ROLE
                + "\", \"expired_seconds\": 60}"));
    e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.getMessage()).contains("expired_seconds 60").contains("900 to 43200");

    cliConfig(
        config(
            "badarn",
            "{\"name\": \"badarn\", \"mode\": \"RamRoleArn\", \"access_key_id\": \""
                + AK
                + "\", \"access_key_secret\": \""
                + SECRET
                + "\", \"ram_role_arn\": \"arn:aws:iam::1:role/x\"}"));
    e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.getMessage()).contains("ram_role_arn").contains("'badarn'");
    assertThat(cloud.sts().totalCalls()).isZero();
    assertThat(cloud.acr().issuedTokens()).isEmpty();
  }

  @Test
  void aCliConfigThatNamesNoProfileIsSkipped() throws IOException {
    cliConfig("{\"current\": \"\", \"profiles\": []}");
    iniFile(AK2, SECRET2);
    assertThat(principalFor(AlibabaCredentials.defaultChain(env()))).isEqualTo(AK2);
  }

  // ---- Credentials URI ----

  @Test
  void credentialsUriIsUsedWhenTheEcsRoleIsDisabled() {
    Map<String, String> env = env("ALIBABA_CLOUD_CREDENTIALS_URI", uri.url());
    assertThat(principalFor(AlibabaCredentials.defaultChain(env))).isEqualTo(URI_ROLE);
    assertThat(cloud.metadata().totalCalls()).isZero();
    SessionCredentials served = uri.currentCredentials().orElseThrow();
    assertThat(
            cloud
                .acr()
                .lastRequest(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)
                .get()
                .header("x-acs-security-token"))
        .isEqualTo(served.securityToken());
  }

  @Test
  void credentialsUriComesAfterAnAttachedEcsRole() {
    cloud.metadata().attachRole("node", NODE_ROLE);
    Map<String, String> env = env("ALIBABA_CLOUD_CREDENTIALS_URI", uri.url());
    env.remove("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
    assertThat(principalFor(AlibabaCredentials.defaultChain(env))).isEqualTo(NODE_ROLE);
    assertThat(uri.totalCalls()).isZero();
  }

  @Test
  void credentialsUriIsUsedWhenTheInstanceHasNoRole() {
    Map<String, String> env = env("ALIBABA_CLOUD_CREDENTIALS_URI", uri.url());
    env.remove("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
    assertThat(principalFor(AlibabaCredentials.defaultChain(env))).isEqualTo(URI_ROLE);
    assertThat(cloud.metadata().callCount(FakeApi.METADATA_ROLE_NAME)).isEqualTo(1);
  }

  @Test
  void credentialsUriComesAfterTheProfileFile() throws IOException {
    iniFile(AK2, SECRET2);
    Map<String, String> env = env("ALIBABA_CLOUD_CREDENTIALS_URI", uri.url());
    assertThat(principalFor(AlibabaCredentials.defaultChain(env))).isEqualTo(AK2);
    assertThat(uri.totalCalls()).isZero();
  }

  @Test
  void credentialsUriSessionsAreRenewedBeforeTheyExpire() {
    uri.setCredentialLifetime(Duration.ofHours(1));
    Map<String, String> env = env("ALIBABA_CLOUD_CREDENTIALS_URI", uri.url());
    try (AcrTokenProvider p = provider(AlibabaCredentials.defaultChain(env))) {
      p.fetch(PERSONAL);
      p.fetch(EE);
      assertThat(uri.callCount(FakeApi.CREDENTIALS_URI)).isEqualTo(1);
      String first = uri.currentCredentials().orElseThrow().accessKeyId();

      clock.advance(Duration.ofMinutes(44));
      p.fetch(PERSONAL);
      assertThat(uri.callCount(FakeApi.CREDENTIALS_URI)).isEqualTo(1);

      clock.advance(Duration.ofMinutes(2)); // within 15 minutes of the session's end
      p.fetch(PERSONAL);
      assertThat(uri.callCount(FakeApi.CREDENTIALS_URI)).isEqualTo(2);
      String second = uri.currentCredentials().orElseThrow().accessKeyId();
      assertThat(second).isNotEqualTo(first);
      assertThat(
              cloud
                  .acr()
                  .lastRequest(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN)
                  .get()
                  .header("x-acs-security-token"))
          .isEqualTo(uri.currentCredentials().orElseThrow().securityToken());
    }
  }

  @Test
  void credentialsUriFailuresNameTheUrlAndWhatToFix() {
    String withQuery = uri.url() + "?token=brokerQuerySecret0123456789";
    Map<String, String> env = env("ALIBABA_CLOUD_CREDENTIALS_URI", withQuery);
    try (AcrTokenProvider p = provider(AlibabaCredentials.defaultChain(env))) {
      uri.failNext(FakeApi.CREDENTIALS_URI, 1, Failure.notSuccess("Failed"));
      TokenException e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.SERVICE_UNAVAILABLE);
      assertThat(e.getMessage())
          .contains(uri.url())
          .contains("ALIBABA_CLOUD_CREDENTIALS_URI")
          .contains("Code 'Failed'")
          .contains("Success");

      uri.failNext(FakeApi.CREDENTIALS_URI, 1, Failure.htmlPage(200));
      e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_RESPONSE);
      assertThat(e.getMessage()).contains(uri.url()).contains("not a JSON object");

      uri.failNext(FakeApi.CREDENTIALS_URI, 1, Failure.serverError(500));
      e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.SERVICE_UNAVAILABLE);
      assertThat(e.getMessage()).contains(uri.url()).contains("HTTP 500");

      uri.failNext(FakeApi.CREDENTIALS_URI, 1, Failure.missingField("SecurityToken"));
      e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.reason()).isEqualTo(Reason.INVALID_RESPONSE);
      assertThat(e.getMessage()).contains(uri.url()).contains("SecurityToken");

      uri.failNext(FakeApi.CREDENTIALS_URI, 1, Failure.wrongType("Expiration"));
      e = catchThrowableOfType(TokenException.class, () -> p.fetch(PERSONAL));
      assertThat(e.getMessage()).contains("Expiration");

      assertThat(uri.callCount(FakeApi.CREDENTIALS_URI)).isEqualTo(5);
      assertThat(uri.lastRequest(FakeApi.CREDENTIALS_URI).get().param("token"))
          .isEqualTo("brokerQuerySecret0123456789");
      // Once the server is healthy again the same provider recovers.
      p.fetch(PERSONAL);
      assertThat(lastPrincipal()).isEqualTo(URI_ROLE);
    }
  }

  @Test
  void unreachableOrMalformedCredentialsUri() {
    FakeCredentialsUri gone = FakeCredentialsUri.start(cloud.identities(), clock);
    String url = gone.url();
    gone.close();
    TokenException e =
        failureFor(AlibabaCredentials.defaultChain(env("ALIBABA_CLOUD_CREDENTIALS_URI", url)));
    assertThat(e.reason()).isEqualTo(Reason.NETWORK);
    assertThat(e.getMessage()).contains(url).contains("Could not reach");

    e =
        failureFor(
            AlibabaCredentials.defaultChain(
                env("ALIBABA_CLOUD_CREDENTIALS_URI", "ftp://broker/credentials")));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
    assertThat(e.getMessage()).contains("ALIBABA_CLOUD_CREDENTIALS_URI").contains("http://");
  }

  @Test
  void nothingConfiguredListsEverySource() {
    TokenException e = failureFor(AlibabaCredentials.defaultChain(env()));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIGURATION);
    assertThat(e.getMessage())
        .contains("alibabacloud.accessKeyId")
        .contains("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE")
        .contains("~/.aliyun/config.json")
        .contains("ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
        .contains("ALIBABA_CLOUD_CREDENTIALS_FILE")
        .contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
        .contains("ALIBABA_CLOUD_CREDENTIALS_URI");
    assertThat(cloud.metadata().totalCalls()).isZero();
    assertThat(uri.totalCalls()).isZero();
  }
}
