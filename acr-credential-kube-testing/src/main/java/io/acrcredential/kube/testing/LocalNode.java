package io.acrcredential.kube.testing;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeCondition;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodList;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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

  static final Path LOCK_FILE = Path.of("/run/lock/acr-credential-node.lock");
  private static final String BRIDGE = "acrnode0";
  private static final String NETWORK = "acr-node-test";
  private static final String SUBNET = "10.244.77.0/24";
  private static final Path CNI_BIN = Path.of("/usr/lib/cni");
  private static final String SANDBOX_IMAGE = "registry.local/acr-test/pause:sandbox";
  private static final int HEALTHZ_PORT = 10248;
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Pattern DNS_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private final LocalKubeApiServer server;
  private final String name;
  private final Path workDir;
  private final HostChanges changes;
  private final Duration startupTime;
  private final Path containerdSocket;
  private final Path registryHosts;
  private final Path kubeletLog;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger hostsEntries = new AtomicInteger();
  private final Thread shutdownHook;
  private final Startup startup;

  private LocalNode(Startup startup, Duration startupTime) {
    this.startup = startup;
    this.server = startup.server;
    this.name = startup.name;
    this.workDir = startup.workDir;
    this.changes = startup.changes;
    this.startupTime = startupTime;
    this.containerdSocket = startup.containerdSocket;
    this.registryHosts = startup.registryHosts;
    this.kubeletLog = startup.kubeletLog;
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
    for (String plugin : List.of("bridge", "host-local", "loopback")) {
      if (!Files.isExecutable(CNI_BIN.resolve(plugin))) {
        return Optional.of(
            "CNI plugin "
                + CNI_BIN.resolve(plugin)
                + " is missing (apt-get install containernetworking-plugins)");
      }
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
    requireHost(host);
    Objects.requireNonNull(caPem, "caPem");
    try {
      Path dir = Files.createDirectories(registryHosts.resolve(host));
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
      requireHost(host);
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
    ctr("images", "import", "--all-platforms", ociArchive.toString());
  }

  /**
   * Removes an image from the node's image store (blobs may stay, as {@code ctr images rm} keeps
   * them), so the next Pod using it pulls again. Absent images are ignored.
   *
   * @param reference the image reference
   */
  public void removeImage(String reference) {
    checkOpen();
    HostChanges.run(
        COMMAND_TIMEOUT,
        "ctr",
        "--address",
        containerdSocket.toString(),
        "-n",
        "k8s.io",
        "images",
        "rm",
        reference);
  }

  /**
   * Image references in the node's image store.
   *
   * @return the references, as {@code ctr images ls -q} lists them
   */
  public List<String> images() {
    checkOpen();
    return ctr("images", "ls", "-q").lines().filter(s -> !s.isBlank()).toList();
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
    CoreV1Api api = new CoreV1Api(server.adminClient());
    long deadline = System.nanoTime() + timeout.toNanos();
    V1Pod last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = api.readNamespacedPod(pod, namespace).execute();
      } catch (ApiException e) {
        if (e.getCode() != 404) {
          throw new IllegalStateException("reading Pod " + namespace + "/" + pod, e);
        }
      }
      String phase = last == null || last.getStatus() == null ? null : last.getStatus().getPhase();
      if ("Running".equals(phase)) {
        return last;
      }
      if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
        break;
      }
      HostChanges.sleep(POLL);
    }
    throw new AssertionError(
        "Pod "
            + namespace
            + "/"
            + pod
            + " is not Running after "
            + timeout.toSeconds()
            + " s: "
            + describe(last));
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
    CoreV1Api api = new CoreV1Api(server.adminClient());
    long deadline = System.nanoTime() + timeout.toNanos();
    V1Pod last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = api.readNamespacedPod(pod, namespace).execute();
      } catch (ApiException e) {
        throw new IllegalStateException("reading Pod " + namespace + "/" + pod, e);
      }
      if (last.getStatus() != null && "Running".equals(last.getStatus().getPhase())) {
        throw new AssertionError(
            "Pod " + namespace + "/" + pod + " runs, but its pull was expected to fail");
      }
      for (CoreV1Event event : events(api, last)) {
        if ("Failed".equals(event.getReason())
            && event.getMessage() != null
            && event.getMessage().contains("ailed to pull image")) {
          return event.getMessage();
        }
      }
      HostChanges.sleep(POLL);
    }
    throw new AssertionError(
        "no image pull failure for Pod "
            + namespace
            + "/"
            + pod
            + " within "
            + timeout.toSeconds()
            + " s: "
            + describe(last));
  }

  /**
   * The last lines of the kubelet's log, for failure messages.
   *
   * @param lines how many lines
   * @return the log tail
   */
  public String kubeletLogTail(int lines) {
    try {
      List<String> all = Files.readAllLines(kubeletLog, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + kubeletLog + ")";
    }
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
    startup.restartKubelet(extraFlags, System.nanoTime() + timeout.toNanos());
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

  private String describe(V1Pod pod) {
    if (pod == null) {
      return "the Pod does not exist";
    }
    StringBuilder text = new StringBuilder();
    text.append("phase ").append(pod.getStatus() == null ? null : pod.getStatus().getPhase());
    if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
      for (V1ContainerStatus status : pod.getStatus().getContainerStatuses()) {
        text.append("; container ").append(status.getName()).append(": ");
        if (status.getState() != null && status.getState().getWaiting() != null) {
          text.append(status.getState().getWaiting().getReason())
              .append(" ")
              .append(status.getState().getWaiting().getMessage());
        } else {
          text.append(status.getState());
        }
      }
    }
    CoreV1Api api = new CoreV1Api(server.adminClient());
    for (CoreV1Event event : events(api, pod)) {
      text.append("\n  event ").append(event.getReason()).append(": ").append(event.getMessage());
    }
    text.append("\n--- kubelet log ---\n").append(kubeletLogTail(15));
    return text.toString();
  }

  /** Events of exactly this Pod (by UID: earlier Pods of the same name leave events). */
  private static List<CoreV1Event> events(CoreV1Api api, V1Pod pod) {
    String uid = pod.getMetadata().getUid();
    try {
      return api.listNamespacedEvent(pod.getMetadata().getNamespace())
          .fieldSelector("involvedObject.uid=" + uid)
          .execute()
          .getItems();
    } catch (ApiException e) {
      return List.of();
    }
  }

  private String ctr(String... args) {
    List<String> command = new ArrayList<>();
    command.addAll(List.of("ctr", "--address", containerdSocket.toString(), "-n", "k8s.io"));
    command.addAll(List.of(args));
    return HostChanges.runOrFail(COMMAND_TIMEOUT, command.toArray(String[]::new));
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  private static void requireHost(String host) {
    if (host == null) {
      throw new IllegalArgumentException("host must not be null");
    }
    String bare = host.replaceFirst(":[0-9]{1,5}$", "");
    if (bare.length() > 253 || !DNS_NAME.matcher(bare).matches()) {
      throw new IllegalArgumentException("'" + host + "' is not a host name");
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
      if (name == null || name.length() > 63 || !DNS_NAME.matcher(name).matches()) {
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
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startupTimeout must be positive, got " + timeout);
      }
      this.startupTimeout = timeout;
      return this;
    }

    /**
     * How long to wait for another node on this machine to stop (default 20 minutes).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder lockTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("lockTimeout must be positive, got " + timeout);
      }
      this.lockTimeout = timeout;
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
      Startup startup = new Startup(this);
      try {
        startup.run();
      } catch (RuntimeException | Error e) {
        List<String> failed = startup.changes.undoAll();
        if (!failed.isEmpty()) {
          e.addSuppressed(new IllegalStateException("restoring the host failed: " + failed));
        }
        throw e;
      }
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      LocalNode node = new LocalNode(startup, took);
      LOG.info("node {} Ready in {} ms (files in {})", node.name, took.toMillis(), node.workDir);
      return node;
    }
  }

  /** One start: each step registers how to undo it before (or right after) making its change. */
  private static final class Startup {
    private final LocalKubeApiServer server;
    private final String name;
    private final Builder settings;
    private final HostChanges changes = new HostChanges();
    private Path workDir;
    private Path containerdSocket;
    private Path registryHosts;
    private Path kubeletLog;
    private List<String> kubeletCommand;
    private final java.util.concurrent.atomic.AtomicReference<ManagedProcess> kubeletProcess =
        new java.util.concurrent.atomic.AtomicReference<>();
    private int kubeletRestarts;

    Startup(Builder settings) {
      this.settings = settings;
      this.server = settings.server;
      this.name = settings.name;
    }

    void run() {
      long deadline = System.nanoTime() + settings.startupTimeout.toNanos();
      lock();
      try {
        workDir = Files.createTempDirectory("acr-node-");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the node's directory", e);
      }
      Path dir = workDir;
      changes.onUndo("delete " + dir, () -> HostChanges.deleteRecursively(dir));
      changes.onUndo("unmount under " + dir, () -> HostChanges.unmountUnder(dir));
      recordHostState();

      TestImage pause =
          TestImage.build(workDir.resolve("images/sandbox"), SANDBOX_IMAGE, "sandbox");
      startContainerd(deadline);
      HostChanges.runOrFail(
          COMMAND_TIMEOUT,
          "ctr",
          "--address",
          containerdSocket.toString(),
          "-n",
          "k8s.io",
          "images",
          "import",
          pause.archive().toString());
      startKubelet(deadline);
    }

    /** One node per machine: fixed ports and host paths. */
    private void lock() {
      try {
        Files.createDirectories(LOCK_FILE.getParent());
        FileChannel channel =
            FileChannel.open(LOCK_FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        long deadline = System.nanoTime() + settings.lockTimeout.toNanos();
        FileLock lock;
        boolean logged = false;
        while ((lock = tryLock(channel)) == null) {
          if (System.nanoTime() > deadline) {
            channel.close();
            throw new IllegalStateException(
                "another node holds "
                    + LOCK_FILE
                    + " for more than "
                    + settings.lockTimeout.toMinutes()
                    + " min (one kubelet per machine)");
          }
          if (!logged) {
            LOG.info("waiting for {}: another node runs on this machine", LOCK_FILE);
            logged = true;
          }
          HostChanges.sleep(Duration.ofSeconds(1));
        }
        FileLock held = lock;
        changes.onUndo(
            "release " + LOCK_FILE,
            () -> {
              try {
                held.release();
                channel.close();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
      } catch (IOException e) {
        throw new UncheckedIOException("cannot lock " + LOCK_FILE, e);
      }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
      try {
        return channel.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        return null; // held by this JVM
      }
    }

    /** Records what the node may change and registers how to restore it. */
    private void recordHostState() {
      Map<String, String> sysctls = HostChanges.readSysctls();
      changes.onUndo("restore sysctls", () -> HostChanges.restoreSysctls(sysctls));

      for (Path fixed :
          List.of(
              Path.of("/var/lib/kubelet"),
              Path.of("/run/containerd"),
              Path.of("/var/lib/cni"),
              Path.of("/run/netns"))) {
        if (!Files.exists(fixed)) {
          changes.onUndo("delete " + fixed, () -> HostChanges.deleteRecursively(fixed));
          changes.onUndo("unmount under " + fixed, () -> HostChanges.unmountUnder(fixed));
        }
      }
      Set<String> netnsBefore = listNames(Path.of("/run/netns"));
      changes.onUndo(
          "remove the node's network namespaces",
          () -> {
            for (String ns : listNames(Path.of("/run/netns"))) {
              if (!netnsBefore.contains(ns) && ns.startsWith("cni-")) {
                Path file = Path.of("/run/netns", ns);
                HostChanges.unmountUnder(file);
                try {
                  Files.deleteIfExists(file);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            }
          });
      Set<String> resultsBefore = listNames(Path.of("/var/lib/cni/results"));
      changes.onUndo(
          "remove the node's CNI results",
          () -> {
            for (String result : listNames(Path.of("/var/lib/cni/results"))) {
              if (!resultsBefore.contains(result) && result.startsWith(NETWORK + "-")) {
                try {
                  Files.deleteIfExists(Path.of("/var/lib/cni/results", result));
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            }
          });
      if (!Files.exists(Path.of("/sys/class/net", BRIDGE))) {
        changes.onUndo(
            "delete bridge " + BRIDGE,
            () -> {
              if (Files.exists(Path.of("/sys/class/net", BRIDGE))) {
                HostChanges.runOrFail(COMMAND_TIMEOUT, "ip", "link", "delete", BRIDGE);
              }
            });
      } else {
        LOG.warn("bridge {} exists already (left by an earlier run?); reusing it", BRIDGE);
      }
      List<Path> kubepods =
          HostChanges.cgroupDirectories("kubepods").stream().filter(p -> !Files.exists(p)).toList();
      changes.onUndo("remove kubepods cgroups", () -> HostChanges.removeCgroups(kubepods));
    }

    private static Set<String> listNames(Path dir) {
      if (!Files.isDirectory(dir)) {
        return Set.of();
      }
      try (Stream<Path> list = Files.list(dir)) {
        return list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
      } catch (IOException e) {
        return Set.of();
      }
    }

    private void startContainerd(long deadline) {
      Path root = workDir.resolve("containerd");
      containerdSocket = root.resolve("containerd.sock");
      registryHosts = root.resolve("certs.d");
      Path cniConf = workDir.resolve("cni/net.d");
      try {
        Files.createDirectories(registryHosts);
        Files.createDirectories(cniConf);
        Files.writeString(
            cniConf.resolve("10-" + NETWORK + ".conflist"),
            "{\"cniVersion\":\"0.4.0\",\"name\":\""
                + NETWORK
                + "\",\"plugins\":[{\"type\":\"bridge\",\"bridge\":\""
                + BRIDGE
                + "\",\"isGateway\":false,\"ipMasq\":false,\"hairpinMode\":false,"
                + "\"ipam\":{\"type\":\"host-local\",\"subnet\":\""
                + SUBNET
                + "\",\"dataDir\":\""
                + workDir.resolve("cni/ipam")
                + "\"}}]}\n",
            StandardCharsets.UTF_8);
        Files.writeString(
            root.resolve("config.toml"), containerdConfig(root, cniConf), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write containerd's configuration", e);
      }
      String marker = root.toString();
      ManagedProcess containerd =
          ManagedProcess.start(
              "containerd",
              List.of("containerd", "--config", root.resolve("config.toml").toString()),
              workDir.resolve("containerd.log"));
      changes.onUndo(
          "stop containerd and its shims",
          () -> {
            stopContainers();
            containerd.close();
            // Shims re-parent to init; each carries containerd's address on its command line.
            int killed = HostChanges.killByCommandLine(marker, Set.of());
            if (killed > 0) {
              LOG.info("killed {} leftover containerd shim(s)", killed);
            }
          });
      while (true) {
        if (!containerd.isAlive()) {
          throw new IllegalStateException(
              "containerd exited while starting:\n" + containerd.tail(30));
        }
        if (Files.exists(containerdSocket)
            && HostChanges.run(
                        Duration.ofSeconds(10),
                        "ctr",
                        "--address",
                        containerdSocket.toString(),
                        "version")
                    .exitCode()
                == 0) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("containerd not ready in time:\n" + containerd.tail(30));
        }
        HostChanges.sleep(POLL);
      }
    }

    /** Kills and deletes every container task containerd still runs (Pods the kubelet kept). */
    private void stopContainers() {
      String[] base = {"ctr", "--address", containerdSocket.toString(), "-n", "k8s.io"};
      HostChanges.Result tasks =
          HostChanges.run(COMMAND_TIMEOUT, concat(base, "tasks", "ls", "-q"));
      if (tasks.exitCode() != 0) {
        return;
      }
      for (String task : tasks.output().lines().filter(s -> !s.isBlank()).toList()) {
        HostChanges.run(COMMAND_TIMEOUT, concat(base, "tasks", "kill", "-s", "SIGKILL", task));
        HostChanges.run(COMMAND_TIMEOUT, concat(base, "tasks", "delete", "-f", task));
      }
    }

    private static String[] concat(String[] base, String... more) {
      String[] all = new String[base.length + more.length];
      System.arraycopy(base, 0, all, 0, base.length);
      System.arraycopy(more, 0, all, base.length, more.length);
      return all;
    }

    private String containerdConfig(Path root, Path cniConf) {
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
          + containerdSocket
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
          + SANDBOX_IMAGE
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
          + CNI_BIN
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

    private void startKubelet(long deadline) {
      Path dir = workDir.resolve("kubelet");
      Path pki = dir.resolve("pki");
      kubeletLog = workDir.resolve("kubelet.log");
      try {
        Files.createDirectories(pki);
        Pki.Issued certificate =
            server.pki().issueClient("system:node:" + name, List.of("system:nodes"));
        Files.writeString(pki.resolve("node.crt"), certificate.certificatePem());
        Files.writeString(pki.resolve("node.key"), certificate.privateKeyPem());
        Files.writeString(pki.resolve("ca.crt"), server.caCertificatePem());
        Files.writeString(dir.resolve("kubeconfig"), kubeconfig(pki));
        Files.writeString(dir.resolve("config.yaml"), kubeletConfig(dir, pki));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the kubelet's configuration", e);
      }
      Path kubelet = KubeBinaries.locate().flatMap(KubeBinaries::kubelet).orElseThrow();
      List<String> command =
          new ArrayList<>(
              List.of(
                  kubelet.toString(),
                  "--config=" + dir.resolve("config.yaml"),
                  "--kubeconfig=" + dir.resolve("kubeconfig"),
                  "--root-dir=" + dir.resolve("root"),
                  "--cert-dir=" + pki,
                  "--hostname-override=" + name,
                  "--node-ip=127.0.0.1",
                  "--v=2"));
      if (settings.credentialProviderConfig != null) {
        command.add("--image-credential-provider-config=" + settings.credentialProviderConfig);
        command.add("--image-credential-provider-bin-dir=" + settings.credentialProviderBinDir);
      }
      kubeletCommand = List.copyOf(command);
      ManagedProcess process =
          ManagedProcess.start("kubelet", command, kubeletLog, settings.environment);
      kubeletProcess.set(process);
      changes.onUndo(
          "stop the kubelet",
          () -> {
            deletePodsAndWait();
            kubeletProcess.get().close();
            deleteNode();
          });
      awaitHealthy(process, deadline);
      awaitReady(process, deadline);
    }

    /** Stops the kubelet and starts it again with the node's flags plus {@code extraFlags}. */
    synchronized void restartKubelet(List<String> extraFlags, long deadline) {
      kubeletProcess.get().close();
      kubeletRestarts++;
      try {
        Files.move(kubeletLog, kubeletLog.resolveSibling("kubelet.log." + kubeletRestarts));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot keep the kubelet's log " + kubeletLog, e);
      }
      List<String> command = new ArrayList<>(kubeletCommand);
      command.addAll(extraFlags);
      ManagedProcess process =
          ManagedProcess.start("kubelet", command, kubeletLog, settings.environment);
      kubeletProcess.set(process);
      awaitHealthy(process, deadline);
      awaitReady(process, deadline);
    }

    private void awaitHealthy(ManagedProcess kubelet, long deadline) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HEALTHZ_PORT + "/healthz"))
              .timeout(Duration.ofSeconds(2))
              .build();
      String last = "no answer";
      while (true) {
        if (!kubelet.isAlive()) {
          throw new IllegalStateException(
              "the kubelet exited while starting:\n" + kubelet.tail(40));
        }
        try {
          HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() == 200) {
            return;
          }
          last = "HTTP " + response.statusCode() + " " + response.body();
        } catch (IOException e) {
          last = e.toString();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the kubelet", e);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the kubelet is not healthy in time (" + last + "):\n" + kubelet.tail(40));
        }
        HostChanges.sleep(POLL);
      }
    }

    /**
     * Ready with a heartbeat from this kubelet (a Node left by an earlier one could show Ready).
     */
    private void awaitReady(ManagedProcess kubelet, long deadline) {
      CoreV1Api api = new CoreV1Api(server.adminClient());
      OffsetDateTime since = OffsetDateTime.now().minusSeconds(2);
      String last = "no Node yet";
      while (true) {
        if (!kubelet.isAlive()) {
          throw new IllegalStateException(
              "the kubelet exited while starting:\n" + kubelet.tail(40));
        }
        try {
          V1Node node = api.readNode(name).execute();
          List<V1NodeCondition> conditions =
              node.getStatus() == null || node.getStatus().getConditions() == null
                  ? List.of()
                  : node.getStatus().getConditions();
          for (V1NodeCondition condition : conditions) {
            if ("Ready".equals(condition.getType())) {
              last = "Ready=" + condition.getStatus() + " " + condition.getMessage();
              if ("True".equals(condition.getStatus())
                  && condition.getLastHeartbeatTime() != null
                  && condition.getLastHeartbeatTime().isAfter(since)) {
                return;
              }
            }
          }
        } catch (ApiException e) {
          last = "HTTP " + e.getCode();
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Node " + name + " not Ready in time (" + last + "):\n" + kubelet.tail(40));
        }
        HostChanges.sleep(POLL);
      }
    }

    /** Deletes the Pods bound to this node and waits (bounded) for their containers to stop. */
    private void deletePodsAndWait() {
      ApiClient client;
      try {
        client = server.adminClient();
      } catch (IllegalStateException serverClosed) {
        return; // the server stopped first; the containers are killed with containerd
      }
      CoreV1Api api = new CoreV1Api(client);
      try {
        V1PodList pods =
            api.listPodForAllNamespaces().fieldSelector("spec.nodeName=" + name).execute();
        for (V1Pod pod : pods.getItems()) {
          api.deleteNamespacedPod(pod.getMetadata().getName(), pod.getMetadata().getNamespace())
              .gracePeriodSeconds(0)
              .execute();
        }
      } catch (ApiException e) {
        LOG.warn("cannot delete the Pods of node {}: HTTP {}", name, e.getCode());
        return;
      }
      String[] list = {
        "ctr", "--address", containerdSocket.toString(), "-n", "k8s.io", "tasks", "ls", "-q"
      };
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        HostChanges.Result tasks = HostChanges.run(COMMAND_TIMEOUT, list);
        if (tasks.exitCode() != 0 || tasks.output().isBlank()) {
          return;
        }
        HostChanges.sleep(Duration.ofMillis(500));
      }
    }

    private void deleteNode() {
      try {
        new CoreV1Api(server.adminClient()).deleteNode(name).execute();
      } catch (ApiException | IllegalStateException e) {
        // The server is gone or the Node never registered: nothing to clean.
      }
    }

    private String kubeconfig(Path pki) {
      return "apiVersion: v1\n"
          + "kind: Config\n"
          + "clusters:\n"
          + "- name: local\n"
          + "  cluster:\n"
          + "    server: "
          + server.url()
          + "\n"
          + "    certificate-authority: "
          + pki.resolve("ca.crt")
          + "\n"
          + "users:\n"
          + "- name: node\n"
          + "  user:\n"
          + "    client-certificate: "
          + pki.resolve("node.crt")
          + "\n"
          + "    client-key: "
          + pki.resolve("node.key")
          + "\n"
          + "contexts:\n"
          + "- name: local\n"
          + "  context:\n"
          + "    cluster: local\n"
          + "    user: node\n"
          + "current-context: local\n";
    }

    private String kubeletConfig(Path dir, Path pki) {
      return "apiVersion: kubelet.config.k8s.io/v1beta1\n"
          + "kind: KubeletConfiguration\n"
          + "address: 127.0.0.1\n"
          + "port: 10250\n"
          + "readOnlyPort: 0\n"
          + "healthzBindAddress: 127.0.0.1\n"
          + "healthzPort: "
          + HEALTHZ_PORT
          + "\n"
          + "containerRuntimeEndpoint: unix://"
          + containerdSocket
          + "\n"
          + "cgroupDriver: cgroupfs\n"
          + "failCgroupV1: false\n"
          + "failSwapOn: false\n"
          // No process here may lower its oom_score_adj (real-node.md).
          + "oomScoreAdj: 0\n"
          + "makeIPTablesUtilChains: false\n"
          + "imageGCHighThresholdPercent: 100\n"
          + "imageGCLowThresholdPercent: 99\n"
          + "evictionHard:\n"
          + "  memory.available: \"1Mi\"\n"
          + "  nodefs.available: \"1%\"\n"
          + "  imagefs.available: \"1%\"\n"
          + "  nodefs.inodesFree: \"1%\"\n"
          + "nodeStatusUpdateFrequency: 2s\n"
          + "syncFrequency: 5s\n"
          + "fileCheckFrequency: 5s\n"
          + "podLogsDir: "
          + dir.resolve("pod-logs")
          + "\n"
          + "volumePluginDir: "
          + dir.resolve("volume-plugins")
          + "\n"
          + "authentication:\n"
          + "  anonymous:\n"
          + "    enabled: false\n"
          + "  webhook:\n"
          + "    enabled: true\n"
          + "  x509:\n"
          + "    clientCAFile: "
          + pki.resolve("ca.crt")
          + "\n"
          + "authorization:\n"
          + "  mode: Webhook\n";
    }
  }
}
