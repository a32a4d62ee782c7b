package io.acrcredential.kube.testing;

import io.acrcredential.kube.testing.ManagedProcess.Deadline;
import io.acrcredential.kube.testing.ManagedProcess.NotReady;
import io.acrcredential.kube.testing.ManagedProcess.Probe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's containerd: its configuration (CRI with runc, the {@link CniNetwork}, per-registry
 * {@code hosts.toml} files), the running process, and {@code ctr} on its socket in namespace {@code
 * k8s.io} for image import and container clean-up.
 */
final class Containerd {

  private static final Logger LOG = LoggerFactory.getLogger(Containerd.class);
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private final Path socket;
  private final Path registryHosts;

  private Containerd(Path root) {
    this.socket = root.resolve("containerd.sock");
    this.registryHosts = root.resolve("certs.d");
  }

  /**
   * Writes the configuration under {@code workDir}, starts containerd, registers its stop (with
   * every container and leftover shim) and waits until {@code ctr version} answers.
   */
  static Containerd start(
      Path workDir, String sandboxImage, HostChanges changes, Deadline deadline, Duration poll) {
    Path root = workDir.resolve("containerd");
    Containerd containerd = new Containerd(root);
    Path cniConf = workDir.resolve("cni/net.d");
    CniNetwork.writeConfig(cniConf, workDir.resolve("cni/ipam"));
    try {
      Files.createDirectories(containerd.registryHosts);
      Files.writeString(
          root.resolve("config.toml"), containerd.config(root, cniConf, sandboxImage));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write containerd's configuration", e);
    }
    ManagedProcess process =
        ManagedProcess.start(
            "containerd",
            List.of("containerd", "--config", root.resolve("config.toml").toString()),
            workDir.resolve("containerd.log"));
    changes.onUndo(
        "stop containerd and its shims",
        () -> {
          containerd.stopContainers();
          process.close();
          // Shims re-parent to init; each carries containerd's address on its command line.
          int killed = HostChanges.killByCommandLine(root.toString(), Set.of());
          if (killed > 0) {
            LOG.info("killed {} leftover containerd shim(s)", killed);
          }
        });
    Probe answers =
        () ->
            Files.exists(containerd.socket)
                    && containerd.run(Duration.ofSeconds(10), "version").exitCode() == 0
                ? null
                : "ctr version does not answer";
    try {
      process.awaitReady("containerd's socket", answers, deadline, poll);
    } catch (NotReady e) {
      throw ManagedProcess.failure("the node did not start: " + e.getMessage(), List.of(process));
    }
    return containerd;
  }

  Path socket() {
    return socket;
  }

  /** Where containerd reads a {@code <host>/hosts.toml} at each pull. */
  Path registryHosts() {
    return registryHosts;
  }

  /** Runs {@code ctr} with {@code args}; a failure throws with its output. */
  String ctr(String... args) {
    return HostChanges.runOrFail(COMMAND_TIMEOUT, command(args));
  }

  /** Runs {@code ctr} with {@code args}, whatever its exit code. */
  HostChanges.Result run(Duration timeout, String... args) {
    return HostChanges.run(timeout, command(args));
  }

  /** Whether no container task runs any more (or containerd cannot say). */
  boolean hasNoTasks() {
    HostChanges.Result tasks = run(COMMAND_TIMEOUT, "tasks", "ls", "-q");
    return tasks.exitCode() != 0 || tasks.output().isBlank();
  }

  /** Kills and deletes every container task containerd still runs (Pods the kubelet kept). */
  private void stopContainers() {
    HostChanges.Result tasks = run(COMMAND_TIMEOUT, "tasks", "ls", "-q");
    if (tasks.exitCode() != 0) {
      return;
    }
    for (String task : tasks.output().lines().filter(s -> !s.isBlank()).toList()) {
      run(COMMAND_TIMEOUT, "tasks", "kill", "-s", "SIGKILL", task);
      run(COMMAND_TIMEOUT, "tasks", "delete", "-f", task);
    }
  }

  private String[] command(String... args) {
    List<String> command =
        new ArrayList<>(List.of("ctr", "--address", socket.toString(), "-n", "k8s.io"));
    command.addAll(List.of(args));
    return command.toArray(String[]::new);
  }

  private String config(Path root, Path cniConf, String sandboxImage) {
    String cri = "[plugins.\"io.containerd.grpc.v1.cri\"";
    return "version = 2\n"
        + "root = \""
        + root.resolve("root")
        + "\"\n"
        + "state = \""
        + root.resolve("state")
        + "\"\n"
        + "disabled_plugins = [\"io.containerd.snapshotter.v1.btrfs\","
        + " \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\","
        + " \"io.containerd.snapshotter.v1.aufs\", \"io.containerd.tracing.processor.v1.otlp\"]\n"
        + "[grpc]\n  address = \""
        + socket
        + "\"\n"
        + "[ttrpc]\n  address = \""
        + root.resolve("containerd.sock.ttrpc")
        + "\"\n"
        + "[debug]\n  address = \"\"\n"
        + "[metrics]\n  address = \"\"\n"
        + "[plugins]\n"
        + "  [plugins.\"io.containerd.internal.v1.opt\"]\n    path = \""
        + root.resolve("opt")
        + "\"\n"
        + "  "
        + cri
        + "]\n"
        + "    sandbox_image = \""
        + sandboxImage
        + "\"\n"
        // This VM drops CAP_SYS_RESOURCE: runc may not lower oom_score_adj (real-node.md).
        + "    restrict_oom_score_adj = true\n"
        + "    enable_selinux = false\n"
        // Pod network namespaces under containerd's state directory, not /run/netns.
        + "    netns_mounts_under_state_dir = true\n"
        + "  "
        + cri
        + ".containerd]\n"
        + "    snapshotter = \"overlayfs\"\n"
        + "    default_runtime_name = \"runc\"\n"
        + "  "
        + cri
        + ".containerd.runtimes.runc]\n"
        + "    runtime_type = \"io.containerd.runc.v2\"\n"
        + "  "
        + cri
        + ".containerd.runtimes.runc.options]\n"
        + "    SystemdCgroup = false\n"
        + "    Root = \""
        + root.resolve("runc")
        + "\"\n"
        + "  "
        + cri
        + ".cni]\n"
        + "    bin_dir = \""
        + CniNetwork.PLUGINS
        + "\"\n"
        + "    conf_dir = \""
        + cniConf
        + "\"\n"
        + "    max_conf_num = 1\n"
        + "  "
        + cri
        + ".registry]\n"
        + "    config_path = \""
        + registryHosts
        + "\"\n";
  }
}
