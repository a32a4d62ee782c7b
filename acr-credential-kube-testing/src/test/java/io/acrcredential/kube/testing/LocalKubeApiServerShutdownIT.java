package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.apis.CoreV1Api;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A separately started server leaves no process, port or directory behind once closed. */
class LocalKubeApiServerShutdownIT {

  @BeforeEach
  void binariesPresent() {
    KubeApiServerExtension.assumeBinariesPresent();
  }

  @Test
  void closeStopsAllProcessesFreesPortsAndDeletesTheDirectory() throws Exception {
    LocalKubeApiServer server = LocalKubeApiServer.start();
    List<Long> pids;
    List<Integer> ports;
    Path workDir;
    try {
      pids = server.processIds();
      ports = server.ports();
      workDir = server.workDirectory();
      assertThat(pids).hasSize(server.hasControllerManager() ? 3 : 2);
      assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid)).isPresent());
      assertThat(new CoreV1Api(server.adminClient()).listNamespace().execute().getItems())
          .isNotEmpty();
      assertThat(Files.isDirectory(workDir)).isTrue();
      System.out.printf(
          "local kube-apiserver cold start: %d ms (controller manager: %s)%n",
          server.startupTime().toMillis(), server.hasControllerManager());
    } finally {
      server.close();
    }

    assertThat(pids)
        .allSatisfy(
            pid ->
                assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive))
                    .as("process %d", pid)
                    .isEmpty());
    for (int port : ports) {
      assertThat(canBind(port)).as("port %d is free again", port).isTrue();
    }
    assertThat(workDir).doesNotExist();
    assertThatThrownBy(server::adminClient)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    server.close(); // idempotent
  }

  private static boolean canBind(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort() == port;
    } catch (IOException e) {
      return false;
    }
  }
}
