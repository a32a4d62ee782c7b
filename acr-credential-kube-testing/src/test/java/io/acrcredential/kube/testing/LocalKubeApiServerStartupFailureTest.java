package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Startup failures must say what broke and show the process output; uses fake binaries. */
class LocalKubeApiServerStartupFailureTest {

  @Test
  void crashingEtcdFailsWithTheTailOfItsLog(@TempDir Path bin) throws IOException {
    script(bin.resolve("etcd"), "echo 'fake etcd: cannot open data dir' >&2\nexit 3\n");
    script(bin.resolve("kube-apiserver"), "exit 0\n");

    assertThatThrownBy(
            () ->
                LocalKubeApiServer.builder()
                    .binaryDirectory(bin)
                    .controllerManager(false)
                    .startupTimeout(Duration.ofSeconds(20))
                    .start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("etcd exited while waiting for etcd /health")
        .hasMessageContaining("fake etcd: cannot open data dir")
        .hasMessageContaining("etcd.log (exited)");
  }

  @Test
  void missingBinaryDirectorySaysHowToBuild(@TempDir Path bin) {
    assertThatThrownBy(() -> LocalKubeApiServer.builder().binaryDirectory(bin).start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(bin.toString())
        .hasMessageContaining("bash test-infra/kube/build.sh");
  }

  @Test
  void rejectsNonPositiveTimeout() {
    assertThatThrownBy(() -> LocalKubeApiServer.builder().startupTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("startupTimeout");
  }

  private static void script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
  }
}
