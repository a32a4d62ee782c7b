package io.acrcredential.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cache identities: different identities never share a key, and keys never carry a secret. */
public class CredentialConfigTest {

  @TempDir Path home;

  public static String jwt(String subject) {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    String claims =
        "{\"iss\":\"https://oidc.example\",\"sub\":\""
            + subject
            + "\",\"aud\":[\"acr-credential\"]}";
    return b.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8))
        + "."
        + b.encodeToString(claims.getBytes(StandardCharsets.UTF_8))
        + ".c2lnbmF0dXJl";
  }

  Optional<String> key(Map<String, String> env, String... args) {
    Map<String, String> all = new HashMap<>(env);
    all.put("HOME", home.toString());
    Invocation io =
        new Invocation(
            all,
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(PrintStream.nullOutputStream()),
            new PrintStream(PrintStream.nullOutputStream()),
            Clock.systemUTC(),
            home);
    Options options =
        CredentialConfig.addOptions(new Options("t"), CredentialConfig.Source.DEFAULT_CHAIN);
    return CredentialConfig.from(
            options.parse(List.of(args), io), io, CredentialConfig.Source.DEFAULT_CHAIN)
        .identityKey();
  }

  @Test
  void accessKeysDifferAndSecretsNeverAppear() {
    Optional<String> a =
        key(
            Map.of(
                "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIa", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s1"));
    Optional<String> b =
        key(
            Map.of(
                "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIb", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s1"));
    Optional<String> sts =
        key(
            Map.of(
                "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIa",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s1",
                "ALIBABA_CLOUD_SECURITY_TOKEN", "tok-secret"));
    assertThat(a).isPresent();
    assertThat(List.of(a.get(), b.get(), sts.get())).doesNotHaveDuplicates();
    assertThat(a.get() + b.get() + sts.get()).doesNotContain("s1").doesNotContain("tok-secret");
  }

  @Test
  void endpointsRolesAndSourcesAreSeparateIdentities() {
    Map<String, String> ak =
        Map.of("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIa", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s");
    List<String> keys =
        List.of(
            key(ak).get(),
            key(ak, "--acr-endpoint", "http://127.0.0.1:1").get(),
            key(ak, "--assume-role", "acs:ram::1:role/a").get(),
            key(ak, "--assume-role", "acs:ram::1:role/b").get(),
            key(Map.of(), "--credential-source", "ecs-ram-role").get(),
            key(Map.of(), "--credential-source", "ecs-ram-role", "--ecs-ram-role", "Other").get());
    assertThat(keys).doesNotHaveDuplicates();
  }

  @Test
  void profileFileChangeIsANewIdentity() throws Exception {
    Path file = Files.writeString(home.resolve("credentials"), "[default]\n");
    Map<String, String> env = Map.of("ALIBABA_CLOUD_CREDENTIALS_FILE", file.toString());
    String before = key(env).get();
    Files.writeString(file, "[default]\ntype = access_key\n");
    assertThat(key(env).get()).isNotEqualTo(before);
    assertThat(
            key(Map.of(
                    "ALIBABA_CLOUD_CREDENTIALS_FILE",
                    file.toString(),
                    "ALIBABA_CLOUD_PROFILE",
                    "other"))
                .get())
        .isNotEqualTo(key(env).get());
  }

  @Test
  void cliConfigComesBeforeTheProfileFileAndItsEditsAreNewIdentities() throws Exception {
    Path ini = Files.writeString(home.resolve("credentials"), "[default]\n");
    Map<String, String> env = Map.of("ALIBABA_CLOUD_CREDENTIALS_FILE", ini.toString());
    String iniOnly = key(env).get();
    assertThat(iniOnly).contains("|profile|");

    Path cli = Files.createDirectories(home.resolve(".aliyun")).resolve("config.json");
    Files.writeString(cli, "{\"current\":\"a\",\"profiles\":[]}");
    String withCli = key(env).get();
    assertThat(withCli).contains("|cli|").doesNotContain(ini.toString());
    Files.writeString(cli, "{\"current\":\"b\",\"profiles\":[{\"name\":\"b\"}]}");
    assertThat(key(env).get()).isNotEqualTo(withCli);
    assertThat(key(Map.of("ALIBABA_CLOUD_PROFILE", "other")).get())
        .isNotEqualTo(key(Map.of()).get());

    Map<String, String> disabled = new HashMap<>(env);
    disabled.put("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true");
    assertThat(key(disabled)).contains(iniOnly);
  }

  @Test
  void aCredentialsUriThatMayBeChosenTurnsTheDiskCacheOff() {
    assertThat(key(Map.of())).get().asString().startsWith("v1|acr=default|ecs|");
    assertThat(key(Map.of("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/creds"))).isEmpty();
  }

  @Test
  void noIdentityWithoutAnySource() {
    assertThat(key(Map.of("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"))).isEmpty();
  }

  @Test
  void serviceAccountSubjectsAreSeparateAndTheTokenIsNotInTheKey() {
    String a = JwtSubject.of(jwt("system:serviceaccount:team:a"));
    String b = JwtSubject.of(jwt("system:serviceaccount:team:b"));
    assertThat(a).isNotEqualTo(b).contains("system:serviceaccount:team:a");
    String opaque = JwtSubject.of("not-a-jwt-secret");
    assertThat(opaque).startsWith("token-sha256|").doesNotContain("not-a-jwt-secret");
  }

  @Test
  void badSourceIsAUsageError() {
    assertThatThrownBy(() -> key(Map.of(), "--credential-source", "magic"))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("default-chain or ecs-ram-role");
  }
}
