package io.acrcredential.kube.testing;

import io.acrcredential.kube.testing.ManagedProcess.Deadline;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kubernetes node on this machine for integration tests: Debian's containerd (with runc and
 * the CNI bridge plugin) and the kubelet built by {@code test-infra/kube/build.sh}, run as child
 * processes and joined to a {@link LocalKubeApiServer} started with {@link
 * LocalKubeApiServer.Builder#nodeAuthorization(boolean) node authorization}. The kubelet
 * authenticates with a client certificate {@code CN=system:node:<name>, O=system:nodes}, so the
 * Node authorizer and {@code NodeRestriction} limit it exactly as in a cluster. Pods run when they
 * set {@code spec.nodeName} to {@link #name()} (there is no scheduler) and {@code dnsPolicy:
 * Default}.
 *
 * <p>The node needs root, a kernel that lets runc create containers, and the binaries {@code
 * kubelet}, {@code containerd}, {@code runc}, {@code ctr}, {@code /usr/lib/cni/bridge} and {@code
 * gcc}; {@link #unavailableReason()} says which is missing. Its sandbox ("pause") image is built
 * here from a tiny static program and imported, as there are no image downloads.
 *
 * <p>A node changes the host where it cannot be redirected: sysctls the kubelet sets, cgroups
 * ({@code kubepods}), mounts, network namespaces, a bridge interface, {@code /var/lib/kubelet},
 * {@code /run/containerd} and lines in {@code /etc/hosts} ({@link #addHostsEntry}). {@link
 * #close()} (also run by a shutdown hook) restores all of it, in reverse order, even when a step
 * fails. Ports 10250/10248 and those paths are fixed, so one node runs per machine at a time:
 * {@link Builder#start()} waits for a lock file held until {@link #close()}.
 */
public final class LocalNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalNode.class);

  /** Default node name. */
  public static final String DEFAULT_NAME = "acr-test-node";

  private static final String SANDBOX_IMAGE = "registry.local/acr-test/pause:sandbox";
  private static final Duration POLL = Duration.ofMillis(200);

  private final String name;
  private final Path workDir;
  private final HostChanges changes;
  private final Duration startupTime;
  private final Containerd containerd;
  private final Path kubeletLog;
  private final Kubelet kubelet;
  private final PodWatch pods;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger hostsEntries = new AtomicInteger();
  private final Thread shutdownHook;

  private LocalNode(
      LocalKubeApiServer server,
      String name,
      Path workDir,
      HostChanges changes,
      Containerd containerd,
      Path kubeletLog,
      Kubelet kubelet,
      Duration startupTime) {
    this.name = name;
    this.workDir = workDir;
    this.changes = changes;
    this.startupTime = startupTime;
    this.containerd = containerd;
    this.kubeletLog = kubeletLog;
    this.kubelet = kubelet;
    this.pods = new PodWatch(server, () -> kubeletLogTail(15));
    this.shutdownHook = new Thread(this::restore, "acr-local-node-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Why a node cannot run on this machine, or empty when everything it needs is present. Checks:
   * Linux, root, cgroups mounted, the kubelet binary next to the API server's, containerd, ctr,
   * runc, the CNI bridge/host-local plugins, gcc and tar. Whether the kernel lets runc create
   * containers shows only when a node starts.
   *
   * @return the reason, naming what to install or change
   */
  public static Optional<String> unavailableReason() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      return Optional.of("a node needs Linux (this is " + System.getProperty("os.name") + ")");
    }
    if (!isRoot()) {
      return Optional.of(
          "a node needs root (containerd, runc, mounts, cgroups, sysctls); this process runs as"
              + " uid "
              + uid());
    }
    if (!Files.isDirectory(Path.of("/sys/fs/cgroup"))) {
      return Optional.of("no cgroup file system is mounted at /sys/fs/cgroup");
    }
    Optional<KubeBinaries> binaries = KubeBinaries.locate();
    if (binaries.isEmpty()) {
      return Optional.of(KubeBinaries.missingMessage());
    }
    if (binaries.get().kubelet().isEmpty()) {
      return Optional.of(
          "kubelet not found in "
              + binaries.get().directory()
              + "; "
              + "rebuild with `bash test-infra/kube/build.sh` (it builds kubelet too)");
    }
    for (String tool : List.of("containerd", "ctr", "runc")) {
      if (which(tool).isEmpty()) {
        return Optional.of(
            tool
                + " is not installed (apt-get install containerd runc"
                + " containernetworking-plugins)");
      }
    }
    Optional<String> cni = CniNetwork.missingPlugin();
    if (cni.isPresent()) {
      return cni;
    }
    return Optional.ofNullable(TestImage.unavailableReason());
  }

  /**
   * Returns a builder for a node joining {@code server}.
   *
   * @param server a server started with {@link LocalKubeApiServer.Builder#nodeAuthorization}
   * @return a new builder
   */
  public static Builder builder(LocalKubeApiServer server) {
    return new Builder(server);
  }

  /**
   * The node's name ({@code spec.nodeName} of Pods meant to run here).
   *
   * @return the node name
   */
  public String name() {
    return name;
  }

  /**
   * How long starting took, from taking the lock to the Node being Ready.
   *
   * @return the startup duration
   */
  public Duration startupTime() {
    return startupTime;
  }

  /**
   * An image already present on the node (the sandbox image), for Pods that need no registry: use
   * it with {@code imagePullPolicy: Never}. Its command, {@code /pause}, runs until stopped.
   *
   * @return the image reference
   */
  public String localImage() {
    return SANDBOX_IMAGE;
  }

  /**
   * Makes containerd trust {@code caPem} for registry {@code host} (a {@code hosts.toml} in its
   * registry configuration directory, read at each pull). The system trust store is not changed.
   *
   * @param host a registry host name, optionally with {@code :port}
   * @param caPem the CA certificate (PEM) that signed the registry's serving certificate
   */
  public void trustRegistry(String host, String caPem) {
    checkOpen();
    Names.requireHost(host);
    Objects.requireNonNull(caPem, "caPem");
    try {
      Path dir = Files.createDirectories(containerd.registryHosts().resolve(host));
      Path ca = dir.resolve("ca.crt");
      Files.writeString(ca, caPem, StandardCharsets.US_ASCII);
      Files.writeString(
          dir.resolve("hosts.toml"),
          "server = \"https://"
              + host
              + "\"\n\n[host.\"https://"
              + host
              + "\"]\n  ca = \""
              + ca
              + "\"\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the registry configuration for " + host, e);
    }
  }

  /**
   * Maps {@code names} to {@code address} in {@code /etc/hosts} until this node closes (the lines
   * carry a marker and exactly those lines are removed again). Only loopback addresses are
   * accepted: tests never send traffic elsewhere.
   *
   * @param address an address in 127.0.0.0/8
   * @param names host names, e.g. {@code registry.cn-hangzhou.aliyuncs.com}
   */
  public void addHostsEntry(String address, String... names) {
    checkOpen();
    if (!address.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
      throw new IllegalArgumentException(
          "address " + address + " is not a loopback address (127.0.0.0/8)");
    }
    if (names.length == 0) {
      throw new IllegalArgumentException("at least one host name is needed");
    }
    for (String host : names) {
      Names.requireHost(host);
    }
    String marker = "acr-credential-node " + workDir.getFileName() + "-" + hostsEntries.get();
    changes.onUndo("remove /etc/hosts line " + marker, () -> HostChanges.removeHostsLines(marker));
    hostsEntries.incrementAndGet();
    HostChanges.addHostsLine(address, List.of(names), marker);
  }

  /**
   * Imports an OCI archive (e.g. {@link TestImage#archive()}) into the node's image store, as a
   * preloaded image.
   *
   * @param ociArchive the archive
   */
  public void importImage(Path ociArchive) {
    checkOpen();
    containerd.ctr("images", "import", "--all-platforms", ociArchive.toString());
  }

  /**
   * Removes an image from the node's image store (blobs may stay, as {@code ctr images rm} keeps
   * them), so the next Pod using it pulls again. Absent images are ignored.
   *
   * @param reference the image reference
   */
  public void removeImage(String reference) {
    checkOpen();
    containerd.run(Containerd.COMMAND_TIMEOUT, "images", "rm", reference);
  }

  /**
   * Image references in the node's image store.
   *
   * @return the references, as {@code ctr images ls -q} lists them
   */
  public List<String> images() {
    checkOpen();
    return containerd.ctr("images", "ls", "-q").lines().filter(s -> !s.isBlank()).toList();
  }

  /**
   * Waits until the Pod's phase is {@code Running}.
   *
   * @param namespace the Pod's namespace
   * @param pod the Pod's name
   * @param timeout how long to wait
   * @return the running Pod
   * @throws AssertionError on timeout or when the Pod failed, with its container states and events
   */
  public V1Pod awaitRunning(String namespace, String pod, Duration timeout) {
    return pods.awaitRunning(namespace, pod, timeout);
  }

  /**
   * Waits until pulling the Pod's image failed and returns the kubelet's message about it (the
   * {@code Failed} event of that Pod, e.g. {@code ... 401 Unauthorized}).
   *
   * @param namespace the Pod's namespace
   * @param pod the Pod's name
   * @param timeout how long to wait
   * @return the failure message
   * @throws AssertionError when the Pod runs or nothing failed in time
   */
  public String awaitPullFailure(String namespace, String pod, Duration timeout) {
    return pods.awaitPullFailure(namespace, pod, timeout);
  }

  /**
   * The last lines of the kubelet's log, for failure messages.
   *
   * @param lines how many lines
   * @return the log tail
   */
  public String kubeletLogTail(int lines) {
    return ManagedProcess.tail(kubeletLog, lines);
  }

  /**
   * Restarts the kubelet with {@code extraFlags} added to its command line (e.g. the image
   * credential provider flags a node installer printed), as an administrator does after changing a
   * node's kubelet flags: containerd, the running Pods and the Node object stay. Returns once the
   * new kubelet answers {@code /healthz} (it has read its flags and configuration files by then)
   * and the Node shows Ready; that Ready may still be the old kubelet's last heartbeat when the
   * restart took less than two seconds. The previous kubelet's log is kept next to the new one
   * ({@code kubelet.log.1}, ...); {@link #kubeletLogTail} reads the new one. Flags from an earlier
   * restart are not kept: each restart starts from the flags the node was built with.
   *
   * @param extraFlags flags of the form {@code --name=value}
   * @param timeout how long to wait for the new kubelet
   * @throws IllegalStateException when the new kubelet exits or is not Ready in time, with its log
   */
  public void restartKubelet(List<String> extraFlags, Duration timeout) {
    checkOpen();
    for (String flag : extraFlags) {
      if (flag == null || !flag.matches("--[a-z][-a-z0-9]*=.*")) {
        throw new IllegalArgumentException("'" + flag + "' is not a kubelet flag --name=value");
      }
    }
    kubelet.restart(extraFlags, Deadline.after(timeout));
    LOG.info("kubelet of node {} restarted with {}", name, extraFlags);
  }

  /**
   * What a container of a Pod on this node wrote to stdout and stderr, as the kubelet stored it
   * (its CRI log files, without their time stamp and stream prefixes): what {@code kubectl logs}
   * shows, read here directly because this API server cannot reach the kubelet.
   *
   * @param pod the Pod (from the API server: its namespace, name and UID select the files)
   * @param container the container's name (init containers too)
   * @return the log lines, oldest first; empty when the container wrote nothing yet
   */
  public List<String> containerLog(V1Pod pod, String container) {
    checkOpen();
    Path dir =
        workDir
            .resolve("kubelet/pod-logs")
            .resolve(
                pod.getMetadata().getNamespace()
                    + "_"
                    + pod.getMetadata().getName()
                    + "_"
                    + pod.getMetadata().getUid())
            .resolve(container);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          // <time> <stdout|stderr> <F|P> <text>
          String[] parts = line.split(" ", 4);
          lines.add(parts.length == 4 ? parts[3] : line);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the logs in " + dir, e);
    }
    return lines;
  }

  /**
   * Deletes the Pods on this node, stops the kubelet and containerd, and restores the host; also
   * run by a shutdown hook. Idempotent.
   *
   * @throws IllegalStateException naming the host changes that could not be undone
   */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook runs restore() itself.
    }
    List<String> failed = restore();
    if (!failed.isEmpty()) {
      throw new IllegalStateException("the node could not restore the host completely: " + failed);
    }
  }

  @Override
  public String toString() {
    return "LocalNode[" + name + (closed.get() ? ", closed" : "") + "]";
  }

  // ---- internals ----

  private List<String> restore() {
    if (!closed.compareAndSet(false, true)) {
      return List.of();
    }
    List<String> failed = changes.undoAll();
    LOG.info("node {} stopped, host restored{}", name, failed.isEmpty() ? "" : " except " + failed);
    return failed;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  static boolean isRoot() {
    return "0".equals(uid());
  }

  private static String uid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).trim().split("\\s+")[1]; // effective uid
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return "unknown";
  }

  private static Optional<Path> which(String tool) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return Optional.of(Path.of(dir, tool));
      }
    }
    return Optional.empty();
  }

  /** Settings for a node. */
  public static final class Builder {
    private final LocalKubeApiServer server;
    private String name = DEFAULT_NAME;
    private Duration startupTimeout = Duration.ofMinutes(2);
    private Duration lockTimeout = Duration.ofMinutes(20);
    private Path credentialProviderConfig;
    private Path credentialProviderBinDir;
    private final Map<String, String> environment = new java.util.LinkedHashMap<>();

    private Builder(LocalKubeApiServer server) {
      this.server = Objects.requireNonNull(server, "server");
    }

    /**
     * The node's name (default {@value LocalNode#DEFAULT_NAME}).
     *
     * @param name a DNS subdomain
     * @return this builder
     */
    public Builder name(String name) {
      if (name == null || name.length() > 63 || !Names.DNS_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("node name '" + name + "' is not a DNS name");
      }
      this.name = name;
      return this;
    }

    /**
     * Starts the kubelet with an image credential provider: {@code
     * --image-credential-provider-config} and {@code --image-credential-provider-bin-dir}.
     *
     * @param config the {@code CredentialProviderConfig} file
     * @param binDir the directory holding the providers' executables
     * @return this builder
     */
    public Builder credentialProvider(Path config, Path binDir) {
      this.credentialProviderConfig = Objects.requireNonNull(config, "config");
      this.credentialProviderBinDir = Objects.requireNonNull(binDir, "binDir");
      return this;
    }

    /**
     * Adds environment variables to the kubelet's own environment, which it passes on to credential
     * provider plugins (besides each provider's {@code env} in the config), e.g. endpoints of local
     * fakes.
     *
     * @param variables names and values
     * @return this builder
     */
    public Builder kubeletEnvironment(Map<String, String> variables) {
      environment.putAll(variables);
      return this;
    }

    /**
     * How long to wait for the node to become Ready (default two minutes).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder startupTimeout(Duration timeout) {
      this.startupTimeout = Names.requirePositive("startupTimeout", timeout);
      return this;
    }

    /**
     * How long to wait for another node on this machine to stop (default 20 minutes).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder lockTimeout(Duration timeout) {
      this.lockTimeout = Names.requirePositive("lockTimeout", timeout);
      return this;
    }

    /**
     * Starts containerd and the kubelet and waits until the Node is Ready. On failure everything
     * started or changed so far is restored before the exception propagates.
     *
     * @return the running node; close it when done
     * @throws IllegalStateException when the node cannot run here ({@link #unavailableReason()}) or
     *     does not start, with the tail of the logs
     */
    public LocalNode start() {
      Optional<String> unavailable = unavailableReason();
      if (unavailable.isPresent()) {
        throw new IllegalStateException("cannot start a node: " + unavailable.get());
      }
      if (!server.hasNodeAuthorization()) {
        throw new IllegalArgumentException(
            "the API server must be started with nodeAuthorization(true) for a node to join");
      }
      long started = System.nanoTime();
      HostChanges changes = new HostChanges();
      try {
        Deadline deadline = Deadline.after(startupTimeout);
        NodeLock.acquire(changes, lockTimeout);
        Path workDir = WorkDirs.create("acr-node-", "the node");
        changes.onUndo("delete " + workDir, () -> HostChanges.deleteRecursively(workDir));
        changes.onUndo("unmount under " + workDir, () -> HostChanges.unmountUnder(workDir));
        HostState.record(changes, Containerd.COMMAND_TIMEOUT);

        TestImage pause =
            TestImage.build(workDir.resolve("images/sandbox"), SANDBOX_IMAGE, "sandbox");
        Containerd containerd = Containerd.start(workDir, SANDBOX_IMAGE, changes, deadline, POLL);
        containerd.ctr("images", "import", pause.archive().toString());
        Path kubeletLog = workDir.resolve("kubelet.log");
        Kubelet.Settings kubelet =
            new Kubelet.Settings(
                credentialProviderConfig,
                credentialProviderBinDir,
                new java.util.LinkedHashMap<>(environment));
        Kubelet running =
            Kubelet.start(
                server, name, kubelet, workDir, containerd, kubeletLog, changes, deadline, POLL);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        LocalNode node =
            new LocalNode(server, name, workDir, changes, containerd, kubeletLog, running, took);
        LOG.info("node {} Ready in {} ms (files in {})", name, took.toMillis(), workDir);
        return node;
      } catch (RuntimeException | Error e) {
        List<String> failed = changes.undoAll();
        if (!failed.isEmpty()) {
          e.addSuppressed(new IllegalStateException("restoring the host failed: " + failed));
        }
        throw e;
      }
    }
  }
}
