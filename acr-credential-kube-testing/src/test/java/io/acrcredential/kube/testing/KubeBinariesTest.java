package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeBinariesTest {

  private static final UnaryOperator<String> HOME_ONLY =
      key -> key.equals("user.home") ? "/home/tester" : null;

  @Test
  void versionsMatchTheGoModuleThatBuildsTheBinaries() throws IOException {
    List<String> requirements =
        Files.readAllLines(Path.of("..", "test-infra", "kube", "go.mod")).stream()
            .map(line -> line.replaceFirst("//.*", "").trim())
            .toList();
    assertThat(requirements)
        .contains("k8s.io/kubernetes " + KubeBinaries.KUBERNETES_VERSION)
        .contains("go.etcd.io/etcd/server/v3 " + KubeBinaries.ETCD_VERSION);
  }

  @Test
  void defaultsToTheBuildScriptCacheUnderTheHomeDirectory() {
    assertThat(KubeBinaries.searchedDirectory(HOME_ONLY, Map.of()))
        .isEqualTo(
            Path.of(
                "/home/tester/.cache/acr-credential/kube-"
                    + KubeBinaries.KUBERNETES_VERSION
                    + "-etcd-"
                    + KubeBinaries.ETCD_VERSION
                    + "/bin"));
  }

  @Test
  void cacheRootComesFromAcrKubeCache() {
    assertThat(KubeBinaries.searchedDirectory(HOME_ONLY, Map.of("ACR_KUBE_CACHE", "/c")))
        .isEqualTo(
            Path.of(
                "/c/kube-"
                    + KubeBinaries.KUBERNETES_VERSION
                    + "-etcd-"
                    + KubeBinaries.ETCD_VERSION
                    + "/bin"));
  }

  @Test
  void systemPropertyWinsOverEnvironmentVariable() {
    UnaryOperator<String> props = key -> key.equals("acr.kube.bin") ? "/from-property" : null;
    Map<String, String> env = Map.of("ACR_KUBE_BIN", "/from-env", "ACR_KUBE_CACHE", "/c");
    assertThat(KubeBinaries.searchedDirectory(props, env)).isEqualTo(Path.of("/from-property"));
    assertThat(KubeBinaries.searchedDirectory(HOME_ONLY, env)).isEqualTo(Path.of("/from-env"));
  }

  @Test
  void emptyDirectoryHasNoBinariesAndTheMessageSaysHowToBuildThem(@TempDir Path dir) {
    Map<String, String> env = Map.of("ACR_KUBE_BIN", dir.toString());
    assertThat(KubeBinaries.locate(HOME_ONLY, env)).isEmpty();
    assertThat(KubeBinaries.missingMessage(HOME_ONLY, env))
        .contains(dir.toString())
        .contains("bash test-infra/kube/build.sh");
  }

  @Test
  void controllerManagerIsOptional(@TempDir Path dir) throws IOException {
    executable(dir.resolve("etcd"));
    executable(dir.resolve("kube-apiserver"));
    assertThat(KubeBinaries.in(dir))
        .hasValueSatisfying(b -> assertThat(b.controllerManager()).isEmpty());

    executable(dir.resolve("kube-controller-manager"));
    assertThat(KubeBinaries.in(dir))
        .hasValueSatisfying(
            b ->
                assertThat(b.controllerManager()).contains(dir.resolve("kube-controller-manager")));
  }

  @Test
  void nonExecutableFilesDoNotCount(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("etcd"), "");
    executable(dir.resolve("kube-apiserver"));
    assertThat(KubeBinaries.in(dir)).isEmpty();
  }

  static void executable(Path file) throws IOException {
    Files.writeString(file, "#!/bin/sh\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
  }
}
