package io.acrcredential.examples.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** matchImages as the kubelet matches them. */
class CredentialProviderConfigTest {

  static boolean matches(String pattern, String image) {
    return CredentialProviderConfig.matches(pattern, ImageReference.parse(image));
  }

  @Test
  void globsMatchWithinOneLabel() {
    String ee = "myco-registry.cn-hangzhou.cr.aliyuncs.com/team/app:1";
    assertThat(matches("*.cr.aliyuncs.com", ee)).isFalse(); // 5 labels vs 4
    assertThat(matches("*.*.cr.aliyuncs.com", ee)).isTrue();
    assertThat(matches("*-registry.*.cr.aliyuncs.com", ee)).isTrue();
    assertThat(matches("*-registry-vpc.*.cr.aliyuncs.com", ee)).isFalse();
    assertThat(matches("registry.*.aliyuncs.com", "registry.cn-beijing.aliyuncs.com/a/b")).isTrue();
  }

  @Test
  void portsMustBeEqualAndPathIsAPrefix() {
    assertThat(matches("127.0.0.1", "127.0.0.1:5000/a/b")).isFalse();
    assertThat(matches("127.0.0.1:5000", "127.0.0.1:5000/a/b")).isTrue();
    assertThat(matches("127.0.0.1:5001", "127.0.0.1:5000/a/b")).isFalse();
    assertThat(matches("https://127.0.0.1:5000/a", "127.0.0.1:5000/a/b")).isTrue();
    assertThat(matches("127.0.0.1:5000/c", "127.0.0.1:5000/a/b")).isFalse();
  }

  @Test
  void readsTheProvidersAndNamesTheMatch() {
    CredentialProviderConfig c =
        CredentialProviderConfig.parse(
            "apiVersion: kubelet.config.k8s.io/v1\n"
                + "kind: CredentialProviderConfig\n"
                + "providers:\n"
                + "  - name: ecr\n    matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]\n"
                + "  - name: acr-credential\n    matchImages:\n"
                + "      - \"*.*.cr.aliyuncs.com\"\n");
    assertThat(c.providers()).hasSize(2);
    assertThat(c.match(ImageReference.parse("x-registry.cn-hangzhou.cr.aliyuncs.com/a/b")))
        .contains("acr-credential (*.*.cr.aliyuncs.com)");
    assertThat(c.match(ImageReference.parse("127.0.0.1:5000/a/b"))).isEmpty();
  }

  @Test
  void refusesOtherKinds() {
    assertThatThrownBy(() -> CredentialProviderConfig.parse("kind: Pod\n"))
        .hasMessageContaining("expected CredentialProviderConfig");
    assertThatThrownBy(() -> CredentialProviderConfig.parse("[1, 2"))
        .hasMessageContaining("not valid YAML");
  }
}
