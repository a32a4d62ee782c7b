package io.acrcredential.k8s.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The model types used directly from code. */
class ModelTest {

  private static final String SECRET = "Zq9SeCrEtVaLuE0xYz8KpQ7mN2b";

  // ------------------------------------------------------------------ SecretLayout

  @Test
  void perDomainSecretNamesMatchAlibabasHelper() {
    // expected values computed independently with: echo -n <domain> | md5sum
    SecretLayout l = SecretLayout.perDomain();
    assertThat(l.secretNameFor("registry.cn-shanghai.aliyuncs.com"))
        .isEqualTo("acr-credential-d8cb8c4195a48ca6dbefe56f6399ef1f");
    assertThat(l.secretNameFor("Registry.CN-Hangzhou.aliyuncs.com"))
        .isEqualTo("acr-credential-0cd66774c2e1635329078c8ad94a7d92");
  }

  @Test
  void combinedLayoutUsesOneName() {
    SecretLayout l = SecretLayout.combined("pull");
    assertThat(l.secretNameFor("a.example.com")).isEqualTo("pull");
    assertThat(l.secretNameFor("b.example.com")).isEqualTo("pull");
    assertThatThrownBy(() -> SecretLayout.combined("Pull_Secret"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Pull_Secret'");
  }

  // ------------------------------------------------------------------ IdentitySpec

  @Test
  void accessKeyToStringIsRedacted() {
    IdentitySpec spec = IdentitySpec.accessKey("LTAI5tExampleKeyId01", SECRET);
    assertThat(spec.toString())
        .doesNotContain(SECRET)
        .doesNotContain("ExampleKeyId01")
        .contains("<redacted>", "LTAI…");
    RegistryEntry e = RegistryEntry.of(RegistryTarget.personal("cn-hangzhou"), spec);
    AcrConfiguration c = AcrConfiguration.builder().addRegistry(e).build();
    assertThat(e.toString()).doesNotContain(SECRET);
    assertThat(c.toString()).doesNotContain(SECRET);
    assertThat(((IdentitySpec.AccessKey) spec.source()).secret()).isEqualTo(SECRET);
  }

  @Test
  void accessKeyValidationNeverEchoesValues() {
    assertThatThrownBy(() -> IdentitySpec.accessKey("bad id " + SECRET, SECRET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not shown")
        .satisfies(ex -> assertThat(ex.getMessage()).doesNotContain(SECRET));
    assertThatThrownBy(() -> IdentitySpec.accessKey("LTAI5t", " "))
        .hasMessageContaining("secret is empty");
  }

  @ParameterizedTest
  @ValueSource(longs = {3599, 43201, 0})
  void assumeRoleSessionRange(long seconds) {
    assertThatThrownBy(
            () ->
                IdentitySpec.defaultChain()
                    .withAssumeRole("acs:ram::1:role/r", Duration.ofSeconds(seconds)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3600 to 43200");
  }

  @Test
  void rrsaNeedsBothArnsOrNeither() {
    assertThatThrownBy(
            () ->
                new IdentitySpec.Rrsa(
                    java.util.Optional.of("acs:ram::1:role/r"), java.util.Optional.empty()))
        .hasMessageContaining("both");
    assertThat(IdentitySpec.rrsa("acs:ram::1:role/r", "acs:ram::1:oidc-provider/p").source())
        .isInstanceOf(IdentitySpec.Rrsa.class);
  }

  // ------------------------------------------------------------------ scopes

  @Test
  void namespaceScopeValidatesNames() {
    assertThatThrownBy(() -> NamespaceScope.named(List.of("ok", "Not_OK")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Not_OK'");
    assertThatThrownBy(() -> NamespaceScope.allNamespaces().excluding(List.of("kube_*")))
        .hasMessageContaining("'kube_*'");
  }

  @ParameterizedTest
  @CsvSource({
    "kube-*,kube-system,true",
    "kube-*,kube-,true",
    "kube-*,kubeflow,false",
    "*-system,cattle-system,true",
    "*-system,system,false",
    "a*b*c,aXXbYYc,true",
    "a*b*c,aXXcYYb,false",
    "*,anything,true",
    "exact,exact,true",
    "exact,exactly,false"
  })
  void exclusionGlobs(String pattern, String name, boolean excluded) {
    assertThat(Names.globMatches(pattern, name)).isEqualTo(excluded);
  }

  @Test
  void globIsLinearOnAdversarialInput() {
    String pattern = "*a".repeat(30) + "b";
    String name = "a".repeat(63);
    long start = System.nanoTime();
    assertThat(Names.globMatches(pattern, name)).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void serviceAccountScope() {
    ServiceAccountScope s = ServiceAccountScope.named(Set.of("builder"));
    assertThat(s.includes("builder")).isTrue();
    assertThat(s.withoutPatching().includes("builder")).isFalse();
    assertThat(ServiceAccountScope.allServiceAccounts().includes("x")).isTrue();
    assertThatThrownBy(() -> ServiceAccountScope.named(Set.of("A"))).hasMessageContaining("'A'");
  }

  @Test
  void builderDefaultsAndValidation() {
    AcrConfiguration c = AcrConfiguration.builder().build();
    assertThat(c.namespaces().names()).containsExactly("default");
    assertThat(c.serviceAccounts().names()).containsExactly("default");
    assertThat(c.expiringThreshold()).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.registries()).isEmpty();
    assertThatThrownBy(
            () -> AcrConfiguration.builder().expiringThreshold(Duration.ofHours(1)).build())
        .hasMessageContaining("1h0m0s")
        .hasMessageContaining("less than 1h");
  }

  @Test
  void webhookTimeoutRange() {
    assertThatThrownBy(() -> new WebhookSettings(true, WebhookSettings.FailurePolicy.FAIL, 31))
        .hasMessageContaining("31")
        .hasMessageContaining("1 to 30");
  }

  // ------------------------------------------------------------------ LabelSelector

  @Test
  void selectorForms() {
    LabelSelector s =
        LabelSelector.parse(
            " env in (staging, prod) , tier notin (db), team==pay,x!=y, exists, !gone ");
    assertThat(s.toString())
        .isEqualTo("env in (prod,staging),tier notin (db),team=pay,x!=y,exists,!gone");
    assertThat(s.requirements())
        .extracting(LabelSelector.Requirement::operator)
        .containsExactly(
            LabelSelector.Operator.IN,
            LabelSelector.Operator.NOT_IN,
            LabelSelector.Operator.EQUALS,
            LabelSelector.Operator.NOT_EQUALS,
            LabelSelector.Operator.EXISTS,
            LabelSelector.Operator.DOES_NOT_EXIST);
    Map<String, String> ok = Map.of("env", "prod", "team", "pay", "exists", "");
    assertThat(s.matches(ok)).isTrue();
    assertThat(s.matches(Map.of("env", "prod", "team", "pay", "exists", "", "tier", "db")))
        .isFalse();
    assertThat(s.matches(Map.of("env", "prod", "team", "pay", "exists", "", "x", "y"))).isFalse();
    assertThat(s.matches(Map.of("env", "prod", "team", "pay", "exists", "", "gone", "1")))
        .isFalse();
    assertThat(s.matches(Map.of("env", "dev", "team", "pay", "exists", ""))).isFalse();
    assertThat(s.matches(Map.of("env", "prod", "team", "pay"))).isFalse();
    assertThat(LabelSelector.parse(s.toString())).isEqualTo(s);
  }

  @Test
  void selectorQualifiedKeysAndEmptyValue() {
    LabelSelector s = LabelSelector.parse("app.kubernetes.io/part-of=shop,example.com/flag=");
    assertThat(s.matches(Map.of("app.kubernetes.io/part-of", "shop", "example.com/flag", "")))
        .isTrue();
    assertThat(s.matches(Map.of("app.kubernetes.io/part-of", "shop"))).isFalse();
  }

  @Test
  void emptySelectorMatchesEverything() {
    assertThat(LabelSelector.parse("").matches(Map.of())).isTrue();
    assertThat(LabelSelector.parse("").matches(null)).isTrue();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "env in (a,b|'(' is not closed",
        "env in ((a))|nested parentheses",
        "env in a,b)|no matching '('",
        "env in ()|at least one value",
        "a=b=c|expected key, !key",
        "-bad=x|label key",
        "k=-bad|label value",
        "a,,b|stray comma",
        "example.com/|label key",
        "UPPER.example.com/x=1|label key"
      })
  void selectorErrors(String text, String fragment) {
    assertThatThrownBy(() -> LabelSelector.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(fragment);
  }

  // ------------------------------------------------------------------ GoDuration and Echo

  @ParameterizedTest
  @CsvSource({
    "15m,PT15M",
    "1h30m,PT1H30M",
    "90s,PT1M30S",
    "1.5h,PT1H30M",
    "300ms,PT0.3S",
    "2h45m30s,PT2H45M30S",
    "1us,PT0.000001S",
    "1µs,PT0.000001S",
    "0,PT0S",
    "-1m,PT-1M",
    ".5s,PT0.5S"
  })
  void goDurations(String text, Duration expected) {
    assertThat(GoDuration.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "15", "m", "1d", "1.2.3s", "+", "1h 30m", "1e3s", "99999999999999999999h"})
  void badGoDurations(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Go-style duration");
  }

  @Test
  void goDurationFormat() {
    assertThat(GoDuration.format(Duration.ofMinutes(90))).isEqualTo("1h30m0s");
    assertThat(GoDuration.format(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(GoDuration.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
  }

  @Test
  void echoShortensAndEscapes() {
    assertThat(Echo.quote("abc")).isEqualTo("'abc'");
    assertThat(Echo.quote("a\nb\u202e")).isEqualTo("'a\\u000ab\\u202e'");
    String longValue = "x".repeat(100);
    assertThat(Echo.quote(longValue)).isEqualTo("'" + "x".repeat(64) + "…' (100 characters)");
    String surrogates = "x".repeat(63) + "😀😀";
    assertThat(Echo.quote(surrogates)).startsWith("'" + "x".repeat(63) + "…'");
  }

  @Test
  void typoSuggestions() {
    assertThat(Typos.closest("watch-namspace", AcrConfigParser.knownKeys()))
        .isEqualTo("watch-namespace");
    assertThat(Typos.closest("completely-different", AcrConfigParser.knownKeys())).isNull();
  }
}
