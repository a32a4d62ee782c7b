package io.acrcredential.kube.testing;

import io.acrcredential.kube.testing.ManagedProcess.Deadline;
import io.acrcredential.kube.testing.ManagedProcess.NotReady;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running processes of a {@link LocalKubeApiServer} and their private directory: restarts the
 * API server in place, and stops everything (in reverse start order) exactly once.
 */
final class ControlPlane {

  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
  private static final String API_SERVER = "kube-apiserver";

  private final List<ManagedProcess> processes;
  private final List<String> apiServerCommand;
  private final Path workDir;
  private final URI url;
  private final Pki pki;
  private final String adminToken;
  private final AtomicBoolean stopped = new AtomicBoolean();
  private int restarts;

  ControlPlane(ControlPlaneStartup startup) {
    this.processes = new CopyOnWriteArrayList<>(startup.processes);
    this.apiServerCommand = startup.apiServerCommand;
    this.workDir = startup.workDir;
    this.url = startup.url;
    this.pki = startup.pki;
    this.adminToken = startup.adminToken;
  }

  boolean isStopped() {
    return stopped.get();
  }

  /** Stops the API server, waits {@code downtime}, starts it with the same flags and waits. */
  synchronized void restartApiServer(Duration downtime) {
    int index = -1;
    for (int i = 0; i < processes.size(); i++) {
      if (processes.get(i).name().equals(API_SERVER)) {
        index = i;
      }
    }
    if (index < 0) {
      throw new IllegalStateException("no kube-apiserver process to restart at " + url);
    }
    processes.get(index).close();
    try {
      Thread.sleep(downtime.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the API server was down", e);
    }
    restarts++;
    ManagedProcess next =
        ManagedProcess.start(
            API_SERVER,
            apiServerCommand,
            workDir.resolve("kube-apiserver-restart-" + restarts + ".log"));
    processes.set(index, next);
    try {
      next.awaitReady(
          "/readyz",
          ControlPlaneStartup.readyz(ControlPlaneStartup.httpClient(pki), url, adminToken),
          Deadline.after(Duration.ofMinutes(2)),
          ControlPlaneStartup.POLL_INTERVAL);
    } catch (NotReady e) {
      throw ManagedProcess.failure(
          "kube-apiserver did not come back after a restart: " + e.getMessage(), List.of(next));
    }
    LOG.info("restarted kube-apiserver at {} ({})", url, next);
  }

  /** Stops every process, last started first, and deletes the directory; later calls do nothing. */
  void stop() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).close();
    }
    WorkDirs.deleteOrWarn(workDir);
    LOG.info("stopped local kube-apiserver at {}", url);
  }

  List<Long> processIds() {
    return processes.stream().map(ManagedProcess::pid).toList();
  }
}
