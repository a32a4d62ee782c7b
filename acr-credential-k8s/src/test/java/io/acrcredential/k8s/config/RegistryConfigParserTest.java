package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigAssertions.noProblems;
import static io.acrcredential.k8s.config.ConfigAssertions.parse;
import static io.acrcredential.k8s.config.ConfigAssertions.singleError;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.RegistryTarget;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryConfigParserTest {

  private static final String ROLE = "acs:ram::1234567890123456:role/acr-pull";
  private static final String OIDC = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c123";
  private static final String SECRET = "Zq9SeCrEtVaLuE0xYz8KpQ7mN2b";

  /** The example from Alibaba's documentation, with realistic values. */
  static final Map<String, String> REALISTIC =
      ConfigAssertions.map(
          "service-account",
          "default,builder",
          "watch-namespace",
          "default,team-a,team-b",
          "expiring-threshold",
          "15m",
          "acr-api-version",
          "2018-12-01",
          "notify-email",
          "platform@example.com",
          "rrsa",
          "enable: true\n",
          "webhook-configuration",
          "enable: false\nfailure-policy: Ignore\ntimeout-seconds: 10\n",
          "acr-registry-info",
          """
          - instanceId: "cri-k4t8abc12xyz"
            regionId: "cn-hangzhou"
            domains: "shop-registry.cn-hangzhou.cr.aliyuncs.com,shop-registry-vpc.cn-hangzhou.cr.aliyuncs.com"
            rrsaRoleARN: "acs:ram::1234567890123456:role/acr-pull"
            rrsaOIDCProviderRoleARN: "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c123"
          - instanceId: "cri-partner0001"
            regionId: "cn-shanghai"
            domains: "partner-registry.cn-shanghai.cr.aliyuncs.com"
            assumeRoleARN: "acs:ram::9876543210987654:role/cross-account-pull"
            expireDuration: 7200
          - instanceId: ""
            regionId: "cn-beijing"
            customAccessKey: "LTAI5tExampleKeyId01"
            customAccessKeySecret: "Zq9SeCrEtVaLuE0xYz8KpQ7mN2b"
          """);

  @Test
  void realisticAlibabaConfigMap() {
    ConfigParseResult r = ConfigAssertions.PARSER.parse(REALISTIC);
    noProblems(r);
    AcrConfiguration c = r.config();
    assertThat(c.serviceAccounts().names()).containsExactly("default", "builder");
    assertThat(c.namespaces().names()).containsExactly("default", "team-a", "team-b");
    assertThat(c.notifyEmail()).contains("platform@example.com");
    assertThat(c.registries()).hasSize(3);

    RegistryEntry shop = c.registries().get(0);
    assertThat(shop.origin()).isEqualTo("acr-registry-info[0]");
    assertThat(shop.target())
        .isEqualTo(
            RegistryTarget.enterprise("cn-hangzhou", "cri-k4t8abc12xyz")
                .withDomains(
                    List.of(
                        "shop-registry.cn-hangzhou.cr.aliyuncs.com",
                        "shop-registry-vpc.cn-hangzhou.cr.aliyuncs.com")));
    assertThat(shop.identity()).isEqualTo(IdentitySpec.rrsa(ROLE, OIDC));

    RegistryEntry partner = c.registries().get(1);
    assertThat(partner.target().instanceId()).contains("cri-partner0001");
    assertThat(partner.target().regionId()).isEqualTo("cn-shanghai");
    // rrsa is on, the item has no own RRSA fields: RRSA from the environment, then assume the role
    assertThat(partner.identity())
        .isEqualTo(
            IdentitySpec.rrsaFromEnvironment()
                .withAssumeRole(
                    "acs:ram::9876543210987654:role/cross-account-pull", Duration.ofHours(2)));

    RegistryEntry personal = c.registries().get(2);
    assertThat(personal.target().edition()).isEqualTo(RegistryEdition.PERSONAL);
    assertThat(personal.target().regionId()).isEqualTo("cn-beijing");
    assertThat(personal.target().domains()).isEmpty();
    assertThat(personal.identity().source())
        .isEqualTo(new IdentitySpec.AccessKey("LTAI5tExampleKeyId01", SECRET));
    assertThat(c.toString()).doesNotContain(SECRET).contains("<redacted>");
  }

  @Test
  void regionDefaultsToTheClusterRegionAndDomainsAreOptional() {
    ConfigParseResult r = parse("acr-registry-info", "- instanceId: cri-abcd1234\n");
    noProblems(r);
    assertThat(r.config().registries())
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.target())
                    .isEqualTo(RegistryTarget.enterprise("cn-hangzhou", "cri-abcd1234")));
  }

  @Test
  void domainsMayBeAYamlList() {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  domains:\n    - a-registry.cn-hangzhou.cr.aliyuncs.com\n"
                + "    - Pull.Example.com:5000\n");
    noProblems(r);
    assertThat(r.config().registries().get(0).target().domains())
        .containsExactly("a-registry.cn-hangzhou.cr.aliyuncs.com", "pull.example.com:5000");
  }

  @Test
  void singleMappingInsteadOfListWarnsAndWorks() {
    ConfigParseResult r =
        parse("acr-registry-info", "instanceId: cri-abcd1234\nregionId: cn-beijing\n");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("YAML list"));
    assertThat(r.config().registries()).hasSize(1);
  }

  // ----------------------------------------------------------------- per-field errors

  @ParameterizedTest
  @ValueSource(strings = {"CN-HANGZHOU", "hangzhou", "cn_hangzhou", "cn-hangzhou-"})
  void badRegionIdIsNamedWithItemAndField(String bad) {
    ConfigParseResult r =
        parse("acr-registry-info", "- instanceId: cri-abcd1234\n- regionId: \"" + bad + "\"\n");
    singleError(r, "acr-registry-info[1].regionId", "'" + bad + "'", "region id", "cn-hangzhou");
    assertThat(r.config().registries()).hasSize(1); // the valid item keeps working
    assertThat(r.invalidKeys()).containsExactly("acr-registry-info");
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc123", "cri-", "cri-AB12", "cri-ab", "cri-abc_123"})
  void badInstanceIdIsNamed(String bad) {
    ConfigParseResult r = parse("acr-registry-info", "- instanceId: \"" + bad + "\"\n");
    singleError(r, "acr-registry-info[0].instanceId", "'" + bad + "'", "cri-");
    assertThat(r.config().registries()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://x-registry.cn-hangzhou.cr.aliyuncs.com",
        "x-registry.cn-hangzhou.cr.aliyuncs.com/ns",
        "bad_host.example.com",
        "host:99999",
        "host:",
        "-x.example.com"
      })
  void badDomainIsNamed(String bad) {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  domains: \"ok.example.com," + bad + "\"\n");
    singleError(r, "acr-registry-info[0].domains", "'" + bad + "'", "registry");
    assertThat(r.config().registries()).isEmpty();
  }

  @Test
  void wildcardDomainInRegistryInfoIsRejected() {
    ConfigParseResult r = parse("acr-registry-info", "- domains: registry.*.aliyuncs.com\n");
    singleError(
        r, "acr-registry-info[0].domains", "'registry.*.aliyuncs.com'", "old acr-registry key");
  }

  @ParameterizedTest
  @ValueSource(strings = {"3599", "43201", "0", "-1"})
  void expireDurationOutOfRange(String bad) {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  assumeRoleARN: "
                + ROLE
                + "\n  expireDuration: "
                + bad
                + "\n");
    ConfigProblem p = r.errors().get(0);
    assertThat(r.errors()).hasSize(1);
    assertThat(p.location()).isEqualTo("acr-registry-info[0].expireDuration");
    assertThat(p.message())
        .contains(bad.replace("-", ""))
        .containsAnyOf("3600 to 43200", "whole number");
  }

  @Test
  void expireDurationBounds() {
    for (String ok : List.of("3600", "43200", "\"7200\"")) {
      ConfigParseResult r =
          parse(
              "acr-registry-info",
              "- instanceId: cri-abcd1234\n  assumeRoleARN: "
                  + ROLE
                  + "\n  expireDuration: "
                  + ok
                  + "\n");
      noProblems(r);
      long s = Long.parseLong(ok.replace("\"", ""));
      assertThat(r.config().registries().get(0).identity().assumeRole())
          .map(IdentitySpec.AssumeRole::sessionDuration)
          .contains(Duration.ofSeconds(s));
    }
  }

  @Test
  void assumeRoleDefaultsToOneHour() {
    ConfigParseResult r =
        parse("acr-registry-info", "- instanceId: cri-abcd1234\n  assumeRoleARN: " + ROLE + "\n");
    noProblems(r);
    assertThat(r.config().registries().get(0).identity().assumeRole())
        .map(IdentitySpec.AssumeRole::sessionDuration)
        .contains(Duration.ofHours(1));
  }

  @Test
  void expireDurationWithoutAssumeRoleWarns() {
    ConfigParseResult r =
        parse("acr-registry-info", "- instanceId: cri-abcd1234\n  expireDuration: 7200\n");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.location()).isEqualTo("acr-registry-info[0].expireDuration"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"arn:aws:iam::123:role/x", "acs:ram::12ab:role/x", "acs:ram::123:user/x"})
  void badAssumeRoleArn(String bad) {
    ConfigParseResult r =
        parse(
            "acr-registry-info", "- instanceId: cri-abcd1234\n  assumeRoleARN: \"" + bad + "\"\n");
    singleError(r, "acr-registry-info[0].assumeRoleARN", "'" + bad + "'", "RAM role ARN");
  }

  @Test
  void rrsaFieldsWithRrsaOn() {
    ConfigParseResult r =
        parse(
            "rrsa",
            "enable: true",
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  rrsaRoleARN: "
                + ROLE
                + "\n  rrsaOIDCProviderRoleARN: "
                + OIDC
                + "\n");
    noProblems(r);
    assertThat(r.config().registries().get(0).identity()).isEqualTo(IdentitySpec.rrsa(ROLE, OIDC));
  }

  @Test
  void rrsaFieldsWithoutRrsaOnAreIgnoredWithWarnings() {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  rrsaRoleARN: "
                + ROLE
                + "\n  rrsaOIDCProviderRoleARN: "
                + OIDC
                + "\n");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .hasSize(2)
        .allSatisfy(p -> assertThat(p.message()).contains("rrsa", "enable: true"));
    assertThat(r.config().registries().get(0).identity()).isEqualTo(IdentitySpec.defaultChain());
  }

  @Test
  void rrsaRoleWithoutProvider() {
    ConfigParseResult r =
        parse(
            "rrsa",
            "enable: true",
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  rrsaRoleARN: " + ROLE + "\n");
    singleError(r, "acr-registry-info[0].rrsaOIDCProviderRoleARN", "is missing", "together");
  }

  @Test
  void badOidcProviderArn() {
    ConfigParseResult r =
        parse(
            "rrsa",
            "enable: true",
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  rrsaRoleARN: "
                + ROLE
                + "\n  rrsaOIDCProviderRoleARN: "
                + ROLE
                + "\n");
    singleError(
        r, "acr-registry-info[0].rrsaOIDCProviderRoleARN", "'" + ROLE + "'", "OIDC provider ARN");
  }

  @Test
  void accessKeyWithoutSecret() {
    ConfigParseResult r =
        parse("acr-registry-info", "- instanceId: cri-abcd1234\n  customAccessKey: LTAI5tKey\n");
    singleError(r, "acr-registry-info[0].customAccessKeySecret", "is missing", "together");
  }

  @Test
  void accessKeyAndRrsaTogetherIsAnError() {
    ConfigParseResult r =
        parse(
            "rrsa",
            "enable: true",
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  customAccessKey: LTAI5tKey\n  customAccessKeySecret: "
                + SECRET
                + "\n  rrsaRoleARN: "
                + ROLE
                + "\n  rrsaOIDCProviderRoleARN: "
                + OIDC
                + "\n");
    singleError(r, "acr-registry-info[0]", "choose one identity");
    assertThat(r.problems().toString()).doesNotContain(SECRET);
  }

  @Test
  void emptyStringFieldsCountAsAbsent() {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceId: \"\"\n  regionId: \"\"\n  domains: \"\"\n  assumeRoleARN: \"\"\n  expireDuration: \"\"\n"
                + "  customAccessKey: \"\"\n  customAccessKeySecret: \"\"\n  rrsaRoleARN:\n");
    noProblems(r);
    assertThat(r.config().registries().get(0).target())
        .isEqualTo(RegistryTarget.personal("cn-hangzhou"));
  }

  @Test
  void alibabasDefaultExpireDurationWithABlankRoleIsNoProblem() {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceId: \"\"\n  assumeRoleARN: \"\"\n  expireDuration: 3600\n");
    noProblems(r);
    assertThat(r.config().registries().get(0).identity()).isEqualTo(IdentitySpec.defaultChain());
  }

  @Test
  void nonStringScalarsAreClearErrors() {
    ConfigParseResult r =
        parse(
            "acr-registry-info", "- instanceId: 12345\n  regionId: 2018-12-01\n  domains: true\n");
    assertThat(r.errors())
        .extracting(ConfigProblem::location)
        .containsExactly(
            "acr-registry-info[0].instanceId",
            "acr-registry-info[0].regionId",
            "acr-registry-info[0].domains");
    assertThat(r.errors().get(0).message()).contains("a number", "'12345'", "double quotes");
    assertThat(r.errors().get(1).message()).contains("a date", "'2018-12-01'");
    assertThat(r.errors().get(2).message()).contains("a boolean");
  }

  @Test
  void unknownAndDuplicateFieldsInAnItem() {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceID: cri-abcd1234\n  regionId: cn-beijing\n  regionId: cn-shanghai\n");
    assertThat(r.warnings())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.location()).isEqualTo("acr-registry-info[0].instanceID");
              assertThat(p.message()).contains("did you mean 'instanceId'");
            });
    singleError(r, "acr-registry-info[0].regionId", "more than once");
  }

  @Test
  void itemThatIsNotAMapping() {
    ConfigParseResult r =
        parse("acr-registry-info", "- cri-abcd1234\n- instanceId: cri-efgh5678\n");
    singleError(r, "acr-registry-info[0]", "expected a YAML mapping", "instanceId", "got a string");
    assertThat(r.config().registries()).hasSize(1);
  }

  @Test
  void registryInfoThatIsAScalar() {
    ConfigParseResult r = parse("acr-registry-info", "cri-abcd1234");
    singleError(r, "acr-registry-info", "expected a YAML list");
    assertThat(r.config().registries()).as("no silent fallback to the default registry").isEmpty();
  }

  @Test
  void duplicateRegistryIsAnErrorOnTheLaterItem() {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n- instanceId: cri-efgh5678\n- instanceId: cri-abcd1234\n  regionId: cn-hangzhou\n");
    singleError(r, "acr-registry-info[2]", "same registry", "acr-registry-info[0]");
    assertThat(r.config().registries()).hasSize(2);
  }

  @Test
  void domainClaimedByTwoRegistriesIsAnError() {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n  domains: pull.example.com\n"
                + "- instanceId: cri-efgh5678\n  domains: other.example.com,pull.example.com\n");
    singleError(r, "acr-registry-info[1].domains", "'pull.example.com'", "acr-registry-info[0]");
  }

  @Test
  void tooManyRegistries() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < AcrConfigParser.MAX_REGISTRIES + 5; i++) {
      sb.append("- instanceId: cri-a").append(String.format("%05d", i)).append('\n');
    }
    ConfigParseResult r = parse("acr-registry-info", sb.toString());
    singleError(r, "acr-registry-info", "105 registries", "at most 100");
    assertThat(r.config().registries()).hasSize(100);
  }

  @Test
  void domainWarnings() {
    ConfigParseResult r =
        parse(
            "acr-registry-info",
            "- domains: x-registry.cn-hangzhou.cr.aliyuncs.com\n"
                + "- instanceId: cri-abcd1234\n  domains: registry.cn-shanghai.aliyuncs.com\n");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .extracting(ConfigProblem::message)
        .anySatisfy(m -> assertThat(m).contains("Enterprise Edition domain", "instanceId is empty"))
        .anySatisfy(m -> assertThat(m).contains("Personal Edition domain"))
        .anySatisfy(m -> assertThat(m).contains("region cn-shanghai", "cn-hangzhou"));
  }

  @Test
  void regionMissingWithoutClusterRegion() {
    ConfigParseResult r =
        AcrConfigParser.withoutClusterRegion()
            .parse(Map.of("acr-registry-info", "- instanceId: cri-abcd1234\n"));
    singleError(r, "acr-registry-info[0].regionId", "is missing", "cluster's region is unknown");
  }

  // ----------------------------------------------------------------- old acr-registry key

  @Test
  void oldKeyWithStarForTheClusterRegion() {
    ConfigParseResult r =
        parse(
            "acr-registry",
            "registry.*.aliyuncs.com,registry-vpc.*.aliyuncs.com,xxx-registry.*.cr.aliyuncs.com");
    noProblems(r);
    AcrConfiguration c = r.config();
    assertThat(c.registries())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.target())
                  .isEqualTo(
                      RegistryTarget.personal("cn-hangzhou")
                          .withDomains(
                              List.of(
                                  "registry.cn-hangzhou.aliyuncs.com",
                                  "registry-vpc.cn-hangzhou.aliyuncs.com")));
              assertThat(e.origin()).isEqualTo("acr-registry");
            });
    assertThat(c.registriesByInstanceName())
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.instanceName()).isEqualTo("xxx");
              assertThat(n.regionId()).isEqualTo("cn-hangzhou");
              assertThat(n.domains()).containsExactly("xxx-registry.cn-hangzhou.cr.aliyuncs.com");
              assertThat(n.resolve("cri-xyz12345").target())
                  .isEqualTo(
                      RegistryTarget.enterprise("cn-hangzhou", "cri-xyz12345")
                          .withDomains(List.of("xxx-registry.cn-hangzhou.cr.aliyuncs.com")));
            });
  }

  @Test
  void oldKeyWithExplicitRegionsGroupsByRegion() {
    ConfigParseResult r =
        AcrConfigParser.withoutClusterRegion()
            .parse(
                Map.of(
                    "acr-registry",
                    "registry.cn-beijing.aliyuncs.com, registry.cn-shenzhen.aliyuncs.com"));
    noProblems(r);
    assertThat(r.config().registries())
        .extracting(e -> e.target().regionId())
        .containsExactly("cn-beijing", "cn-shenzhen");
  }

  @Test
  void oldKeyStarWithoutClusterRegion() {
    ConfigParseResult r =
        AcrConfigParser.withoutClusterRegion()
            .parse(Map.of("acr-registry", "registry.*.aliyuncs.com"));
    singleError(r, "acr-registry", "'registry.*.aliyuncs.com'", "cluster's region");
  }

  @Test
  void oldKeyUnknownDomainAndBadStar() {
    ConfigParseResult r =
        parse("acr-registry", "registry.*.aliyuncs.com,docker.io,reg*.cn-hangzhou.aliyuncs.com");
    assertThat(r.errors()).hasSize(2);
    assertThat(r.errors().get(0).message()).contains("'docker.io'", "acr-registry-info");
    assertThat(r.errors().get(1).message())
        .contains("'reg*.cn-hangzhou.aliyuncs.com'", "whole region label");
    assertThat(r.config().registries()).hasSize(1);
  }

  @Test
  void oldKeyIgnoredWhenRegistryInfoIsSet() {
    ConfigParseResult r =
        parse(
            "acr-registry",
            "registry.*.aliyuncs.com",
            "acr-registry-info",
            "- instanceId: cri-abcd1234\n");
    assertThat(r.hasErrors()).isFalse();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.key()).isEqualTo("acr-registry"));
    assertThat(r.config().registries())
        .singleElement()
        .satisfies(e -> assertThat(e.target().instanceId()).contains("cri-abcd1234"));
  }

  @Test
  void oldKeyUsesRrsaWhenEnabled() {
    ConfigParseResult r = parse("rrsa", "enable: true", "acr-registry", "registry.*.aliyuncs.com");
    noProblems(r);
    assertThat(r.config().registries().get(0).identity())
        .isEqualTo(IdentitySpec.rrsaFromEnvironment());
    assertThat(Optional.of(r.config().registries().get(0).identity().source()))
        .containsInstanceOf(IdentitySpec.Rrsa.class);
  }
}
