package io.acrcredential.examples.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {

  @Test
  void splitsHostRepositoryAndReference() {
    ImageReference r =
        ImageReference.parse("MyCo-Registry.cn-hangzhou.cr.aliyuncs.com/team/app:1.2");
    assertThat(r.host()).isEqualTo("myco-registry.cn-hangzhou.cr.aliyuncs.com");
    assertThat(r.repository()).isEqualTo("team/app");
    assertThat(r.reference()).isEqualTo("1.2");
    assertThat(r.port()).isEmpty();
  }

  @Test
  void portDigestAndDefaults() {
    ImageReference r = ImageReference.parse("127.0.0.1:5000/team/app");
    assertThat(r.hostName()).isEqualTo("127.0.0.1");
    assertThat(r.port()).contains("5000");
    assertThat(r.reference()).isEqualTo("latest");
    String digest = "sha256:" + "a".repeat(64);
    assertThat(ImageReference.parse("localhost/app@" + digest).reference()).isEqualTo(digest);
    ImageReference hub = ImageReference.parse("nginx:1");
    assertThat(hub.host()).isEqualTo("docker.io");
    assertThat(hub.repository()).isEqualTo("library/nginx");
    assertThat(ImageReference.parse("team/app").host()).isEqualTo("docker.io");
  }

  @Test
  void refusesMalformedAndOversized() {
    assertThatThrownBy(() -> ImageReference.parse("host.example/Team/App"))
        .hasMessageContaining("expected HOST/PATH[:TAG]");
    assertThatThrownBy(() -> ImageReference.parse("a b")).hasMessageContaining("whitespace");
    assertThatThrownBy(() -> ImageReference.parse("x/" + "a".repeat(5000)))
        .hasMessageContaining("longer than");
  }
}
