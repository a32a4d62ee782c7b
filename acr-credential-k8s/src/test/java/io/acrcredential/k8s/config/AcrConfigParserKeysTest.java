package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigAssertions.noProblems;
import static io.acrcredential.k8s.config.ConfigAssertions.parse;
import static io.acrcredential.k8s.config.ConfigAssertions.singleError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.RegistryEdition;
import io.acrcredential.k8s.config.ConfigProblem.Severity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AcrConfigParserKeysTest {

  @Test
  void emptyConfigMapGivesAlibabasDefaults() {
    ConfigParseResult r = parse();
    noProblems(r);
    AcrConfiguration c = r.config();
    assertThat(c.namespaces().all()).isFalse();
    assertThat(c.namespaces().names()).containsExactly("default");
    assertThat(c.namespaces().selector()).isEmpty();
    assertThat(c.namespaces().exclusions()).isEmpty();
    assertThat(c.serviceAccounts().names()).containsExactly("default");
    assertThat(c.serviceAccounts().patch()).isTrue();
    assertThat(c.expiringThreshold()).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.secretLayout().kind()).isEqualTo(SecretLayout.Kind.PER_DOMAIN);
    assertThat(c.acrApiVersion()).isEqualTo("2018-12-01");
    assertThat(c.notifyEmail()).isEmpty();
    assertThat(c.webhook()).isEqualTo(WebhookSettings.defaults());
    assertThat(c.registries()).hasSize(1);
    RegistryEntry e = c.registries().get(0);
    assertThat(e.target().edition()).isEqualTo(RegistryEdition.PERSONAL);
    assertThat(e.target().regionId()).isEqualTo("cn-hangzhou");
    assertThat(e.target().domains()).isEmpty();
    assertThat(e.identity()).isEqualTo(IdentitySpec.defaultChain());
  }

  @Test
  void withoutClusterRegionAnEmptyConfigMapIsAnError() {
    ConfigParseResult r = AcrConfigParser.withoutClusterRegion().parse(Map.of());
    singleError(r, "acr-registry-info", "no registry is configured", "cluster's region");
    assertThat(r.config().registries()).isEmpty();
  }

  @Test
  void badClusterRegionIsRejectedAtConstruction() {
    assertThatThrownBy(() -> AcrConfigParser.forClusterRegion("Hangzhou"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Hangzhou'");
  }

  // ------------------------------------------------------------------ service-account

  @Test
  void serviceAccountList() {
    ConfigParseResult r = parse("service-account", " default, builder ,ci.runner,");
    noProblems(r);
    assertThat(r.config().serviceAccounts().names())
        .containsExactly("default", "builder", "ci.runner");
    assertThat(r.config().serviceAccounts().includes("builder")).isTrue();
    assertThat(r.config().serviceAccounts().includes("other")).isFalse();
  }

  @Test
  void serviceAccountStar() {
    ConfigParseResult r = parse("service-account", "*");
    noProblems(r);
    assertThat(r.config().serviceAccounts().all()).isTrue();
    assertThat(r.config().serviceAccounts().includes("anything")).isTrue();
  }

  @Test
  void serviceAccountStarWithNamesWarns() {
    ConfigParseResult r = parse("service-account", "*,default");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("'*'"));
    assertThat(r.config().serviceAccounts().all()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"Default", "my_sa", "-lead", "a..b", "sa/x"})
  void invalidServiceAccountNameIsNamedAndValidOnesKept(String bad) {
    ConfigParseResult r = parse("service-account", "default," + bad);
    singleError(r, "service-account", "'" + bad + "'", "ServiceAccount name", "DNS-1123 subdomain");
    assertThat(r.config().serviceAccounts().names()).containsExactly("default");
    assertThat(r.invalidKeys()).containsExactly("service-account");
  }

  @Test
  void serviceAccountTooLong() {
    String name = "a".repeat(254);
    ConfigParseResult r = parse("service-account", name);
    singleError(r, "service-account", "at most 253");
    assertThat(r.errors().get(0).message()).contains("(254 characters)");
  }

  @Test
  void serviceAccountWithOnlyInvalidNamesFallsBackToDefault() {
    ConfigParseResult r = parse("service-account", "Bad_Name");
    assertThat(r.errors()).hasSize(1);
    assertThat(r.config().serviceAccounts().names()).containsExactly("default");
  }

  // ------------------------------------------------------------------ patch-service-accounts

  @Test
  void patchServiceAccountsFalseTurnsPatchingOff() {
    ConfigParseResult r = parse("patch-service-accounts", "false");
    noProblems(r);
    assertThat(r.config().serviceAccounts().patch()).isFalse();
    assertThat(r.config().serviceAccounts().includes("default")).isFalse();
  }

  @Test
  void patchServiceAccountsBadValue() {
    ConfigParseResult r = parse("patch-service-accounts", "nope");
    singleError(r, "patch-service-accounts", "'nope'", "true or false");
    assertThat(r.config().serviceAccounts().patch()).isTrue();
  }

  @Test
  void serviceAccountWithPatchingOffWarns() {
    ConfigParseResult r = parse("patch-service-accounts", "false", "service-account", "builder");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.key()).isEqualTo("service-account"));
  }

  // ------------------------------------------------------------------ watch-namespace

  @Test
  void watchNamespaceList() {
    ConfigParseResult r = parse("watch-namespace", "default,team-a , team-b");
    noProblems(r);
    NamespaceScope s = r.config().namespaces();
    assertThat(s.names()).containsExactly("default", "team-a", "team-b");
    assertThat(s.includes("team-a", Map.of())).isTrue();
    assertThat(s.includes("team-c", Map.of())).isFalse();
  }

  @Test
  void watchNamespaceAll() {
    ConfigParseResult r = parse("watch-namespace", "all");
    noProblems(r);
    NamespaceScope s = r.config().namespaces();
    assertThat(s.all()).isTrue();
    // kube-system is not excluded implicitly
    assertThat(s.includes("kube-system", Map.of())).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"Team-A", "team_a", "team.a", "-x", "x-"})
  void invalidNamespaceIsNamedAndValidOnesKept(String bad) {
    ConfigParseResult r = parse("watch-namespace", "default," + bad + ",prod");
    singleError(r, "watch-namespace", "'" + bad + "'", "namespace name", "DNS-1123 label");
    assertThat(r.config().namespaces().names()).containsExactly("default", "prod");
  }

  @Test
  void namespaceLongerThan63IsRejected() {
    String name = "n".repeat(64);
    ConfigParseResult r = parse("watch-namespace", name);
    singleError(r, "watch-namespace", "'" + name + "'", "at most 63");
    assertThat(r.config().namespaces().names()).containsExactly("default");
  }

  @Test
  void emptyWatchNamespaceWarnsAndUsesDefault() {
    ConfigParseResult r = parse("watch-namespace", "  ");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("empty"));
    assertThat(r.config().namespaces().names()).containsExactly("default");
  }

  // ------------------------------------------------------------------ selector and exclusions

  @Test
  void selectorAloneSelectsByLabelOnly() {
    ConfigParseResult r = parse("watch-namespace-selector", "env in (prod,staging),!legacy");
    noProblems(r);
    NamespaceScope s = r.config().namespaces();
    assertThat(s.names()).isEmpty();
    assertThat(s.selector()).isPresent();
    assertThat(s.includes("default", Map.of())).isFalse();
    assertThat(s.includes("shop", Map.of("env", "prod"))).isTrue();
    assertThat(s.includes("shop", Map.of("env", "prod", "legacy", "true"))).isFalse();
    assertThat(s.includes("shop", Map.of("env", "dev"))).isFalse();
  }

  @Test
  void selectorAndNamesAreAUnion() {
    ConfigParseResult r =
        parse("watch-namespace", "default", "watch-namespace-selector", "team=payments");
    noProblems(r);
    NamespaceScope s = r.config().namespaces();
    assertThat(s.includes("default", Map.of())).isTrue();
    assertThat(s.includes("pay", Map.of("team", "payments"))).isTrue();
    assertThat(s.includes("other", Map.of("team", "search"))).isFalse();
  }

  @Test
  void badSelectorNamesEveryBadRequirement() {
    ConfigParseResult r = parse("watch-namespace-selector", "env in (prod,,x),Bad Key=1,team=ok");
    assertThat(r.errors()).hasSize(2);
    assertThat(r.errors())
        .allSatisfy(p -> assertThat(p.key()).isEqualTo("watch-namespace-selector"));
    assertThat(r.errors().get(0).message()).contains("'env in (prod,,x)'", "empty value");
    assertThat(r.errors().get(1).message()).contains("'Bad Key=1'", "expected key, !key");
    assertThat(r.config().namespaces().selector()).isEmpty();
  }

  @Test
  void selectorWithAllWarns() {
    ConfigParseResult r = parse("watch-namespace", "all", "watch-namespace-selector", "env=prod");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.key()).isEqualTo("watch-namespace-selector"));
    assertThat(r.config().namespaces().all()).isTrue();
  }

  @Test
  void exclusionsWithPatterns() {
    ConfigParseResult r =
        parse("watch-namespace", "all", "exclude-namespace", "kube-*, cattle-system");
    noProblems(r);
    NamespaceScope s = r.config().namespaces();
    assertThat(s.exclusions()).containsExactly("kube-*", "cattle-system");
    assertThat(s.includes("kube-system", Map.of())).isFalse();
    assertThat(s.includes("kube-public", Map.of())).isFalse();
    assertThat(s.includes("cattle-system", Map.of())).isFalse();
    assertThat(s.includes("kubeflow", Map.of())).isTrue();
    assertThat(s.includes("default", Map.of())).isTrue();
  }

  @Test
  void invalidExclusionIsNamed() {
    ConfigParseResult r =
        parse("watch-namespace", "all", "exclude-namespace", "kube-system,Kube_*");
    singleError(r, "exclude-namespace", "'Kube_*'");
    assertThat(r.config().namespaces().exclusions()).containsExactly("kube-system");
  }

  @Test
  void excludedListedNamespaceWarnsAndExclusionWins() {
    ConfigParseResult r = parse("watch-namespace", "default,prod", "exclude-namespace", "prod");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("'prod'", "exclusion wins"));
    assertThat(r.config().namespaces().includes("prod", Map.of())).isFalse();
  }

  // ------------------------------------------------------------------ expiring-threshold

  @ParameterizedTest
  @CsvSource({"15m,900", "1h30m,-1", "90s,90", "30m,1800", "1.5m,90", "59m59s,3599", "500ms,0"})
  void thresholdGoDurations(String text, long seconds) {
    ConfigParseResult r = parse("expiring-threshold", text);
    if (seconds < 0) {
      singleError(r, "expiring-threshold", "'" + text + "'", "less than 1h");
      assertThat(r.config().expiringThreshold()).isEqualTo(Duration.ofMinutes(15));
    } else {
      noProblems(r);
      assertThat(r.config().expiringThreshold().getSeconds()).isEqualTo(seconds);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"15", "15 minutes", "m", "1x", "-5m", "0", "1h", "1..5m", "9999999999999h"})
  void thresholdInvalidValuesAreNamed(String text) {
    ConfigParseResult r = parse("expiring-threshold", text);
    ConfigProblem p = singleError(r, "expiring-threshold", "'" + text + "'");
    assertThat(p.message()).containsAnyOf("Go-style duration", "out of range");
    assertThat(r.config().expiringThreshold()).isEqualTo(Duration.ofMinutes(15));
  }

  // ------------------------------------------------------------------ acr-api-version

  @Test
  void apiVersionDefaultIsAccepted() {
    noProblems(parse("acr-api-version", "2018-12-01"));
  }

  @Test
  void otherApiVersionWarnsAndIsIgnored() {
    ConfigParseResult r = parse("acr-api-version", "2016-06-07");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.location()).isEqualTo("acr-api-version");
              assertThat(p.message()).contains("'2016-06-07'", "2018-12-01");
            });
    assertThat(r.config().acrApiVersion()).isEqualTo("2018-12-01");
  }

  // ------------------------------------------------------------------ notify-email

  @Test
  void notifyEmail() {
    ConfigParseResult r = parse("notify-email", " ops@example.com ");
    noProblems(r);
    assertThat(r.config().notifyEmail()).contains("ops@example.com");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"ops", "ops@", "@example.com", "a@b", "two@example.com,three@example.com"})
  void badNotifyEmail(String bad) {
    ConfigParseResult r = parse("notify-email", bad);
    singleError(r, "notify-email", "'" + bad + "'", "e-mail");
    assertThat(r.config().notifyEmail()).isEmpty();
  }

  // ------------------------------------------------------------------ rrsa

  @Test
  void rrsaEnableMakesRrsaTheDefaultIdentity() {
    ConfigParseResult r = parse("rrsa", "enable: true\n");
    noProblems(r);
    assertThat(r.config().registries().get(0).identity())
        .isEqualTo(IdentitySpec.rrsaFromEnvironment());
  }

  @Test
  void rrsaDisabled() {
    ConfigParseResult r = parse("rrsa", "enable: false");
    noProblems(r);
    assertThat(r.config().registries().get(0).identity()).isEqualTo(IdentitySpec.defaultChain());
  }

  @Test
  void rrsaBadEnableValue() {
    ConfigParseResult r = parse("rrsa", "enable: maybe");
    singleError(r, "rrsa.enable", "'maybe'", "true or false");
    assertThat(r.config().registries().get(0).identity()).isEqualTo(IdentitySpec.defaultChain());
  }

  @Test
  void rrsaTypoInFieldWarnsWithSuggestion() {
    ConfigParseResult r = parse("rrsa", "enabled: true");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .anySatisfy(p -> assertThat(p.message()).contains("'enabled'", "did you mean 'enable'"));
  }

  @Test
  void rrsaInvalidYaml() {
    ConfigParseResult r = parse("rrsa", "enable: [true");
    singleError(r, "rrsa", "invalid YAML", "line 1");
  }

  // ------------------------------------------------------------------ webhook-configuration

  @Test
  void webhookConfigurationIsKept() {
    ConfigParseResult r =
        parse("webhook-configuration", "enable: true\nfailure-policy: Fail\ntimeout-seconds: 5\n");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.config().webhook())
        .isEqualTo(new WebhookSettings(true, WebhookSettings.FailurePolicy.FAIL, 5));
    // Alibaba's template turns it on; that is no reason to warn (the refresher serves it).
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  void webhookBadValuesAreEachNamed() {
    ConfigParseResult r =
        parse(
            "webhook-configuration",
            "enable: false\nfailure-policy: Sometimes\ntimeout-seconds: 99\n");
    assertThat(r.errors())
        .extracting(ConfigProblem::location)
        .containsExactly(
            "webhook-configuration.failure-policy", "webhook-configuration.timeout-seconds");
    assertThat(r.errors().get(0).message()).contains("'Sometimes'", "Ignore or Fail");
    assertThat(r.errors().get(1).message()).contains("99", "1 to 30");
    assertThat(r.config().webhook()).isEqualTo(WebhookSettings.defaults());
  }

  @Test
  void webhookNotAMapping() {
    ConfigParseResult r = parse("webhook-configuration", "- a\n- b\n");
    singleError(r, "webhook-configuration", "expected a YAML mapping", "got a list");
  }

  // ------------------------------------------------------------------ secret-layout, secret-name

  @Test
  void combinedLayoutWithName() {
    ConfigParseResult r = parse("secret-layout", "combined", "secret-name", "registry-pull");
    noProblems(r);
    assertThat(r.config().secretLayout()).isEqualTo(SecretLayout.combined("registry-pull"));
    assertThat(r.config().secretLayout().secretNameFor("registry.cn-hangzhou.aliyuncs.com"))
        .isEqualTo("registry-pull");
  }

  @Test
  void combinedLayoutDefaultName() {
    ConfigParseResult r = parse("secret-layout", "combined");
    noProblems(r);
    assertThat(r.config().secretLayout().combinedSecretName()).isEqualTo("acr-credentials");
  }

  @Test
  void badLayout() {
    ConfigParseResult r = parse("secret-layout", "single");
    singleError(r, "secret-layout", "'single'", "per-domain", "combined");
    assertThat(r.config().secretLayout().kind()).isEqualTo(SecretLayout.Kind.PER_DOMAIN);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Pull_Secret", "-x", "a/b"})
  void badSecretName(String bad) {
    ConfigParseResult r = parse("secret-layout", "combined", "secret-name", bad);
    singleError(r, "secret-name", "'" + bad + "'", "Secret name");
    assertThat(r.config().secretLayout().combinedSecretName()).isEqualTo("acr-credentials");
  }

  @Test
  void secretNameThatLooksLikeAPerDomainNameIsRejected() {
    ConfigParseResult r =
        parse(
            "secret-layout",
            "combined",
            "secret-name",
            "acr-credential-0cd66774c2e1635329078c8ad94a7d92");
    singleError(r, "secret-name", "per-domain");
  }

  @Test
  void secretNameWithoutCombinedLayoutWarns() {
    ConfigParseResult r = parse("secret-name", "pull");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.key()).isEqualTo("secret-name"));
  }

  // ------------------------------------------------------------------ unknown keys

  @ParameterizedTest
  @CsvSource({
    "watch-namespaces,watch-namespace",
    "serviceaccount,service-account",
    "expiring_threshold,expiring-threshold",
    "acr-registry-infos,acr-registry-info",
    "exclude-namespaces,exclude-namespace",
    "Service-Account,service-account"
  })
  void unknownKeyWarnsWithClosestKnownKey(String typo, String suggestion) {
    ConfigParseResult r = parse(typo, "x");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.severity()).isEqualTo(Severity.WARNING);
              assertThat(p.key()).isEqualTo(typo);
              assertThat(p.message())
                  .contains("'" + typo + "'", "did you mean '" + suggestion + "'");
            });
  }

  @Test
  void unrelatedUnknownKeyListsKnownKeys() {
    ConfigParseResult r = parse("colour", "blue");
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("known keys are", "watch-namespace"));
  }

  @Test
  void nullKeyAndNullValueAreHandled() {
    Map<String, String> m = new java.util.HashMap<>();
    m.put(null, "x");
    m.put("watch-namespace", null);
    ConfigParseResult r = ConfigAssertions.PARSER.parse(m);
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings()).anySatisfy(p -> assertThat(p.message()).contains("(null)"));
    assertThat(r.config().namespaces().names()).containsExactly("default");
  }

  // ------------------------------------------------------------------ strict mode

  @Test
  void strictModeListsAllErrorsInOneException() {
    Map<String, String> m =
        ConfigAssertions.map(
            "watch-namespace", "Bad_NS",
            "service-account", "Bad_SA",
            "expiring-threshold", "forever",
            "notify-email", "nobody");
    assertThatThrownBy(() -> ConfigAssertions.PARSER.parseStrict(m))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("4 errors")
        .hasMessageContaining("watch-namespace: 'Bad_NS'")
        .hasMessageContaining("service-account: 'Bad_SA'")
        .hasMessageContaining("expiring-threshold: 'forever'")
        .hasMessageContaining("notify-email: 'nobody'")
        .satisfies(
            e ->
                assertThat(((InvalidConfigurationException) e).problems())
                    .filteredOn(ConfigProblem::isError)
                    .hasSize(4));
  }

  @Test
  void strictModeToleratesWarnings() {
    AcrConfiguration c =
        ConfigAssertions.PARSER.parseStrict(ConfigAssertions.map("watch-namespaces", "x"));
    assertThat(c.namespaces().names()).containsExactly("default");
  }

  @Test
  void invalidKeysListsKeysWithErrors() {
    ConfigParseResult r =
        parse("watch-namespace", "Bad", "notify-email", "x", "acr-api-version", "1");
    assertThat(r.invalidKeys()).containsExactly("watch-namespace", "notify-email");
    assertThat(r.warnings())
        .extracting(ConfigProblem::key)
        .containsExactlyInAnyOrder("watch-namespace", "acr-api-version");
    assertThat(r.warnings().get(0).message()).contains("using the default 'default'");
  }

  @Test
  void configurationIsImmutable() {
    AcrConfiguration c = parse("watch-namespace", "a,b").config();
    assertThatThrownBy(() -> c.namespaces().names().add("c"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> c.registries().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(c.toBuilder().build()).isEqualTo(c);
    assertThat(Optional.of(c.namespaces().names())).isPresent();
    assertThat(List.copyOf(c.namespaces().names())).containsExactly("a", "b");
  }
}
