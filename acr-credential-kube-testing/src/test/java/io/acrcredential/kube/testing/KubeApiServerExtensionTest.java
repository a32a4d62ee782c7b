package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

class KubeApiServerExtensionTest {

  private static final UnaryOperator<String> NO_PROPERTIES =
      key -> key.equals("user.home") ? "/nonexistent-home" : null;

  @Test
  void missingBinariesSkipWithTheBuildCommand(@TempDir Path empty) {
    Map<String, String> env = Map.of("ACR_KUBE_BIN", empty.toString());
    KubeApiServerExtension.Shared shared = KubeApiServerExtension.Shared.create(NO_PROPERTIES, env);

    assertThatThrownBy(() -> shared.get(env))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("bash test-infra/kube/build.sh")
        .hasMessageContaining(empty.toString());
  }

  @Test
  void missingBinariesFailWhenRequired(@TempDir Path empty) {
    Map<String, String> env =
        Map.of("ACR_KUBE_BIN", empty.toString(), KubeApiServerExtension.REQUIRED_ENV, "true");
    KubeApiServerExtension.Shared shared = KubeApiServerExtension.Shared.create(NO_PROPERTIES, env);

    assertThatThrownBy(() -> shared.get(env))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("bash test-infra/kube/build.sh")
        .hasMessageContaining("ACR_KUBE_REQUIRED=true");
  }

  @Test
  void requiredOnlyForTrue() {
    assertThat(KubeApiServerExtension.required(Map.of())).isFalse();
    assertThat(KubeApiServerExtension.required(Map.of("ACR_KUBE_REQUIRED", "false"))).isFalse();
    assertThat(KubeApiServerExtension.required(Map.of("ACR_KUBE_REQUIRED", "TRUE"))).isTrue();
  }
}
