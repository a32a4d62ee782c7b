package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.SecretLayout;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1PolicyRule;
import io.kubernetes.client.util.Yaml;
import java.util.List;
import org.junit.jupiter.api.Test;

class RbacManifestTest {

  private static final String DOMAIN = "registry.cn-hangzhou.aliyuncs.com";

  @Test
  void secretVerbsByNameAreLimitedToThePullSecretNames() throws Exception {
    String yaml =
        RbacManifest.render(
            "kube-system",
            "acr-sync",
            "acr-sync",
            RbacManifest.secretNames(SecretLayout.perDomain(), List.of(DOMAIN, DOMAIN)));
    List<Object> docs = Yaml.loadAll(yaml);
    assertThat(docs).hasSize(7);
    // the admission policy applies to the sync's identity only, and is bound
    io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicy policy =
        docs.stream()
            .filter(
                io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicy.class::isInstance)
            .map(io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicy.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(policy.getSpec().getMatchConditions().get(0).getExpression())
        .isEqualTo("request.userInfo.username == 'system:serviceaccount:kube-system:acr-sync'");
    assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Fail");
    assertThat(
            docs.stream()
                .filter(
                    io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicyBinding.class
                        ::isInstance)
                .map(
                    io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicyBinding.class
                        ::cast)
                .findFirst()
                .orElseThrow()
                .getSpec())
        .satisfies(
            b -> {
              assertThat(b.getPolicyName()).isEqualTo(policy.getMetadata().getName());
              assertThat(b.getValidationActions()).containsExactly("Deny");
            });
    V1ClusterRole role =
        docs.stream()
            .filter(V1ClusterRole.class::isInstance)
            .map(V1ClusterRole.class::cast)
            .findFirst()
            .orElseThrow();
    for (V1PolicyRule rule : role.getRules()) {
      assertThat(rule.getVerbs()).doesNotContain("*");
      assertThat(rule.getResources()).doesNotContain("*");
      if (rule.getResources().contains("secrets")) {
        if (rule.getResourceNames() == null || rule.getResourceNames().isEmpty()) {
          assertThat(rule.getVerbs())
              .as("only create cannot be limited by name")
              .containsExactly("create");
        } else {
          assertThat(rule.getResourceNames()).containsExactly(DockerConfig.secretName(DOMAIN));
        }
      }
    }
    assertThat(
            role.getRules().stream()
                .filter(r -> r.getResources().contains("secrets"))
                .flatMap(r -> r.getVerbs().stream())
                .toList())
        .containsExactlyInAnyOrder("create", "get", "list", "watch", "update", "patch", "delete");
    assertThat(yaml).doesNotContain("${").doesNotContain("cluster-admin");
  }

  @Test
  void namesFromTheConfigurationWhenEveryDomainIsConfigured() {
    AcrConfiguration config =
        SyncFixture.config(
            "x", ServiceAccountScope.allServiceAccounts(), SyncFixture.HZ, SyncFixture.SH);
    assertThat(RbacManifest.secretNames(config))
        .containsExactly(SyncFixture.HZ_SECRET, SyncFixture.SH_SECRET);
    AcrConfiguration combined =
        config.toBuilder().secretLayout(SecretLayout.combined("pulls")).build();
    assertThat(RbacManifest.secretNames(combined)).containsExactly("pulls");
  }

  @Test
  void domainsResolvedAtRunTimeAreNamedAndLearnedFromTheCredentials() {
    RegistryTarget ee = RegistryTarget.enterprise("cn-beijing", "cri-abc123");
    AcrConfiguration config =
        SyncFixture.config("x", ServiceAccountScope.allServiceAccounts(), SyncFixture.HZ, ee);
    assertThatThrownBy(() -> RbacManifest.secretNames(config))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("enterprise cri-abc123 in cn-beijing")
        .hasMessageContaining("resolved at run time");
    assertThat(RbacManifest.secretNames(config, new FakeTokens()))
        .containsExactly(
            SyncFixture.HZ_SECRET, DockerConfig.secretName(FakeTokens.resolvedDomain(ee)));
  }

  @Test
  void aFailedFetchIsReportedNotGuessed() {
    RegistryTarget ee = RegistryTarget.enterprise("cn-beijing", "cri-abc123");
    AcrConfiguration config = SyncFixture.config("x", ServiceAccountScope.allServiceAccounts(), ee);
    TokenProvider failing =
        t -> {
          throw new TokenException(
              TokenException.Reason.PERMISSION_DENIED,
              null,
              "no permission for cr:GetAuthorizationToken");
        };
    assertThatThrownBy(() -> RbacManifest.secretNames(config, failing))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cri-abc123")
        .hasMessageContaining("cr:GetAuthorizationToken");
  }

  @Test
  void combinedLayoutHasOneName() {
    assertThat(RbacManifest.secretNames(SecretLayout.combined("pulls"), List.of(DOMAIN)))
        .containsExactly("pulls");
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> RbacManifest.render("Kube System", "sa", "l", List.of("x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("namespace");
    assertThatThrownBy(() -> RbacManifest.render("ns", "sa", "l", List.of()))
        .hasMessageContaining("secretNames");
    assertThatThrownBy(() -> RbacManifest.render("ns", "sa", "l", List.of("a\nb: c")))
        .hasMessageContaining("secret name");
  }
}
