package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.DockerConfig;
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
    assertThat(docs).hasSize(5);
    V1ClusterRole role =
        docs.stream()
            .filter(V1ClusterRole.class::isInstance)
            .map(V1ClusterRole.class::cast)
            .findFirst()
            .orElseThrow();
    for (V1PolicyRule rule : role.getRules()) {
      assertThat(rule.getVerbs()).doesNotContain("*");
      assertThat(rule.getResources()).doesNotContain("*");
      if (rule.getResources().contains("secrets")
          && rule.getVerbs().stream()
              .anyMatch(v -> List.of("get", "update", "patch", "delete").contains(v))) {
        assertThat(rule.getResourceNames()).containsExactly(DockerConfig.secretName(DOMAIN));
      }
    }
    assertThat(yaml).doesNotContain("${").doesNotContain("cluster-admin");
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
