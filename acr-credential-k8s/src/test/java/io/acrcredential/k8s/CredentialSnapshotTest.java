package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.SecretLayout;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CredentialSnapshotTest {

  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final RegistryTarget HZ =
      RegistryTarget.personal("cn-hangzhou")
          .withDomains(
              List.of(
                  "registry.cn-hangzhou.aliyuncs.com", "registry-vpc.cn-hangzhou.aliyuncs.com"));
  private static final RegistryTarget SH =
      RegistryTarget.personal("cn-shanghai")
          .withDomains(List.of("registry.cn-shanghai.aliyuncs.com"));

  private final Set<RegistryTarget> failing = new HashSet<>();
  private final TokenProvider provider =
      t -> {
        if (failing.contains(t)) {
          throw new TokenException(TokenException.Reason.NETWORK, null, "network down");
        }
        return new RegistryCredential(
            "u", "secret-" + t.regionId(), NOW.plusSeconds(3600), t.domains());
      };

  private static AcrConfiguration config(SecretLayout layout) {
    return AcrConfiguration.builder()
        .addRegistry(RegistryEntry.of(HZ, IdentitySpec.defaultChain()))
        .addRegistry(RegistryEntry.of(SH, IdentitySpec.defaultChain()))
        .secretLayout(layout)
        .build();
  }

  @Test
  void perDomainLayoutWritesOneAlibabaNamedSecretPerDomainHoldingOnlyThatDomain() {
    CredentialSnapshot s =
        CredentialSnapshot.build(
            config(SecretLayout.perDomain()), provider, null, NOW, new ArrayList<>());
    assertThat(s.secrets().keySet())
        .containsExactly(
            DockerConfig.secretName("registry.cn-hangzhou.aliyuncs.com"),
            DockerConfig.secretName("registry-vpc.cn-hangzhou.aliyuncs.com"),
            DockerConfig.secretName("registry.cn-shanghai.aliyuncs.com"));
    DesiredSecret vpc =
        s.secrets().get(DockerConfig.secretName("registry-vpc.cn-hangzhou.aliyuncs.com"));
    DockerConfig decoded = DockerConfig.decode(vpc.dockerConfigJson());
    assertThat(decoded.auths().keySet()).containsExactly("registry-vpc.cn-hangzhou.aliyuncs.com");
    assertThat(decoded.auth("registry-vpc.cn-hangzhou.aliyuncs.com").orElseThrow().password())
        .isEqualTo("secret-cn-hangzhou");
    assertThat(s.complete()).isTrue();
    assertThat(vpc.toString()).doesNotContain("secret-cn-hangzhou");
  }

  @Test
  void combinedLayoutWritesEveryDomainIntoOneSecret() {
    CredentialSnapshot s =
        CredentialSnapshot.build(
            config(SecretLayout.combined("pull")), provider, null, NOW, new ArrayList<>());
    assertThat(s.secrets().keySet()).containsExactly("pull");
    String json = new String(s.secrets().get("pull").dockerConfigJson(), StandardCharsets.UTF_8);
    assertThat(DockerConfig.decode(json.getBytes(StandardCharsets.UTF_8)).auths()).hasSize(3);
  }

  @Test
  void sameCredentialsGiveTheSameSecrets() {
    CredentialSnapshot a =
        CredentialSnapshot.build(
            config(SecretLayout.perDomain()), provider, null, NOW, new ArrayList<>());
    CredentialSnapshot b =
        CredentialSnapshot.build(
            config(SecretLayout.perDomain()), provider, a, NOW, new ArrayList<>());
    assertThat(b.sameSecrets(a)).isTrue();
  }

  @Test
  void outageKeepsTheLastValidCredential() {
    CredentialSnapshot first =
        CredentialSnapshot.build(
            config(SecretLayout.perDomain()), provider, null, NOW, new ArrayList<>());
    failing.add(SH);
    List<String> problems = new ArrayList<>();
    CredentialSnapshot second =
        CredentialSnapshot.build(config(SecretLayout.perDomain()), provider, first, NOW, problems);
    assertThat(second.sameSecrets(first)).isTrue();
    assertThat(second.complete()).isTrue();
    assertThat(problems)
        .singleElement()
        .asString()
        .contains("cn-shanghai")
        .contains("network down");
  }

  @Test
  void outageWithoutAValidCredentialProtectsTheNamesAndForbidsDeletion() {
    CredentialSnapshot first =
        CredentialSnapshot.build(
            config(SecretLayout.perDomain()), provider, null, NOW, new ArrayList<>());
    failing.add(SH);
    CredentialSnapshot later =
        CredentialSnapshot.build(
            config(SecretLayout.perDomain()),
            provider,
            first,
            NOW.plusSeconds(7200),
            new ArrayList<>());
    String sh = DockerConfig.secretName("registry.cn-shanghai.aliyuncs.com");
    assertThat(later.secrets()).doesNotContainKey(sh);
    assertThat(later.protectedNames()).containsExactly(sh);
    assertThat(later.complete()).isFalse();
  }

  @Test
  void combinedLayoutIsNotWrittenPartially() {
    failing.add(SH);
    CredentialSnapshot s =
        CredentialSnapshot.build(
            config(SecretLayout.combined("pull")), provider, null, NOW, new ArrayList<>());
    assertThat(s.secrets()).isEmpty();
    assertThat(s.protectedNames()).containsExactly("pull");
  }
}
