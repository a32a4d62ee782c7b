package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Binding;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.util.Yaml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The node installer on a real node, the way the README tells users to install it: the installer
 * image built offline by {@code src/node/build-installer-image.sh} (static BusyBox and the node
 * bundle) is imported into the node's containerd (what a push to a registry and a pull would
 * deliver), the shipped DaemonSet {@code src/main/deploy/node-installer.yaml} is created in the API
 * server, and the kubelet runs its Pod with the manifest's securityContext (ALL capabilities
 * dropped but CHOWN, DAC_OVERRIDE, FOWNER; read-only root; the idle container as uid 65532). The
 * installer Pod is deleted twice and the DaemonSet's next Pod installs again over its own files
 * (the time from delete to the new Pod Running showed the idle container ignoring SIGTERM before
 * the manifest set a short grace period). Then the kubelet is restarted with exactly the flags the
 * installer's log printed, and a Pod pulls a private image from an ACR-like registry through the
 * installed plugin, where before the restart the same kind of Pod failed with 401.
 *
 * <p>What differs from a cluster, and why:
 *
 * <ul>
 *   <li>The manifest is patched as a kustomize overlay would: {@code IMAGE} becomes the imported
 *       image's reference, and the two hostPath volumes ({@code /opt}, {@code /etc/kubernetes})
 *       point into a scratch host root under this test's temporary directory, never the machine's
 *       own {@code /opt} or {@code /etc}. For the same reason the printed flags' paths are read
 *       under that root when the kubelet restarts (they name the node's {@code /etc/kubernetes} and
 *       {@code /opt}, which here is the scratch root).
 *   <li>The installed provider config's token cache directory ({@code /var/cache/acr-credential})
 *       is moved into the temporary directory after the installed file was checked, so the plugin
 *       writes nothing into the machine's {@code /var/cache}.
 *   <li>This control plane has no kube-scheduler and its controller manager runs no DaemonSet
 *       controller: the test runs a second kube-controller-manager with only the {@code daemonset}
 *       controller, and binds the Pod that controller creates to the one node (what the scheduler
 *       does when one node fits).
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeInstallerIT {

  static final String NODE_ROLE = "acs:ram::1234567890123456:role/KubernetesWorkerRole";
  static final AcrInstance INSTANCE =
      AcrInstance.of("cri-nodeinstall01", "nodeinstall", "cn-hangzhou");
  static final Path MANIFEST = Path.of("src/main/deploy/node-installer.yaml");
  static final Path SHIPPED_CONFIG = Path.of("src/main/deploy/credential-provider-config.yaml");
  static final Path BUNDLE = Path.of("target/acr-credential-node").toAbsolutePath();
  static final String MARKER = "# installed by acr-credential install-node";
  static final String CACHE_LINE = "value: /var/cache/acr-credential/tokens";
  static final Pattern FLAG = Pattern.compile("^\\s*(--image-credential-provider-[a-z-]+)=(\\S+)$");
  static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(2);
  static final int REINSTALLS = 2;
  static final int PULLS = 3;

  private Path tmp;
  private Path hostRoot;
  private String installerImage;
  private LocalKubeApiServer server;
  private LocalNode node;
  private FakeAlibabaCloud cloud;
  private NodeRegistry registry;
  private Process daemonSetController;

  @BeforeAll
  void startNode() throws Exception {
    Optional<String> reason = LocalNode.unavailableReason();
    if (reason.isPresent()) {
      if (Boolean.parseBoolean(System.getenv().getOrDefault("ACR_NODE_REQUIRED", "false"))) {
        throw new IllegalStateException(reason.get() + " (ACR_NODE_REQUIRED=true)");
      }
      Assumptions.abort("no real node: " + reason.get());
    }
    tmp = Files.createTempDirectory("acr-node-installer-");
    hostRoot = Files.createDirectories(tmp.resolve("host"));

    // The image as the README builds it, then named as a user's registry would serve it (a
    // versioned tag, so the manifest's default pull policy is IfNotPresent).
    Path built = tmp.resolve("installer.tar");
    run(
        Duration.ofMinutes(5),
        "bash",
        "src/node/build-installer-image.sh",
        BUNDLE.toString(),
        built.toString());
    installerImage =
        "registry.local/acr-test/acr-credential-node-installer:"
            + System.getProperty("acr.project.version", "0.0.0-it");
    Path tagged = tmp.resolve("installer-tagged.tar");
    run(
        Duration.ofMinutes(2),
        "skopeo",
        "copy",
        "-q",
        "docker-archive:" + built,
        "docker-archive:" + tagged + ":" + installerImage);
    Files.delete(built);

    cloud = FakeAlibabaCloud.start();
    cloud.identities().addRole(NODE_ROLE);
    cloud.metadata().attachRole("KubernetesWorkerRole", NODE_ROLE);
    cloud.acr().addInstance(INSTANCE);

    server = LocalKubeApiServer.builder().nodeAuthorization(true).start();
    // No credential provider flags yet: the installer says which to add.
    node =
        LocalNode.builder(server)
            .kubeletEnvironment(
                Map.of(
                    "ACR_CREDENTIAL_ACR_ENDPOINT", "http://" + cloud.acr().endpoint(),
                    "ACR_CREDENTIAL_STS_ENDPOINT", "http://" + cloud.sts().endpoint(),
                    "ACR_CREDENTIAL_METADATA_ENDPOINT", "http://" + cloud.metadata().endpoint(),
                    // the JVM refuses to start unless the bundle's AppCDS archive is still valid
                    // after the image layer, containerd's unpacking and install-node's copy
                    "ACR_CREDENTIAL_JAVA_OPTS", "-Xshare:on",
                    "HOME", Files.createDirectories(tmp.resolve("home")).toString()))
            .start();
    node.importImage(tagged);
    Files.delete(tagged);
    registry =
        NodeRegistry.start(
            server,
            node,
            cloud.acr(),
            INSTANCE.instanceId(),
            "127.0.0.9",
            List.of(INSTANCE.internetDomains().get(0)));
    daemonSetController = startDaemonSetController();
  }

  @AfterAll
  void stop() {
    if (daemonSetController != null) {
      daemonSetController.destroy();
      try {
        if (!daemonSetController.waitFor(10, TimeUnit.SECONDS)) {
          daemonSetController.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (AutoCloseable closeable : new AutoCloseable[] {registry, node, server, cloud}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        System.err.println("closing " + closeable + ": " + e);
      }
    }
    if (tmp != null) {
      try (var walk = Files.walk(tmp)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // temporary files only
      }
    }
  }

  @Test
  void theShippedDaemonSetInstallsThePluginAndTheKubeletPullsThroughItWithThePrintedFlags()
      throws Exception {
    assertThat(node.images()).contains(installerImage);
    CoreV1Api core = new CoreV1Api(server.adminClient());

    // 1. The shipped DaemonSet, only the image and the host paths changed.
    V1DaemonSet daemonSet = patched(Files.readString(MANIFEST));
    String ns = daemonSet.getMetadata().getNamespace();
    long applied = System.nanoTime();
    new AppsV1Api(server.adminClient()).createNamespacedDaemonSet(ns, daemonSet).execute();
    String selector = "app.kubernetes.io/name=acr-credential-node-installer";
    V1Pod installer = awaitInstalled(core, ns, selector, null);
    List<Long> installMillis = new ArrayList<>();
    installMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - applied));
    V1ContainerStatus install = installer.getStatus().getInitContainerStatuses().get(0);
    assertThat(install.getName()).isEqualTo("install");
    assertThat(install.getState().getTerminated())
        .as("the init container's state: %s", install.getState())
        .isNotNull();
    assertThat(install.getState().getTerminated().getExitCode()).isZero();
    assertThat(installer.getStatus().getContainerStatuses())
        .singleElement()
        .satisfies(idle -> assertThat(idle.getState().getRunning()).isNotNull());

    // 2. What it printed: the two kubelet flags, for the node's own paths.
    List<String> log = node.containerLog(installer, "install");
    Map<String, String> printed = new java.util.LinkedHashMap<>();
    for (String line : log) {
      Matcher m = FLAG.matcher(line);
      if (m.matches()) {
        printed.put(m.group(1), m.group(2));
      }
    }
    assertThat(printed)
        .as("the kubelet flags in the installer's log:%n%s", String.join("\n", log))
        .containsExactly(
            Map.entry(
                "--image-credential-provider-config",
                "/etc/kubernetes/acr-credential-provider.yaml"),
            Map.entry("--image-credential-provider-bin-dir", "/opt/acr-credential/bin"));
    assertThat(log).anyMatch(l -> l.contains("installed in /opt/acr-credential"));

    // 3. What landed on the (scratch) host.
    Path prefix = hostRoot.resolve("opt/acr-credential");
    Path config = hostRoot.resolve("etc/kubernetes/acr-credential-provider.yaml");
    checkInstalledFiles(prefix, config);

    // 3b. A Pod restart (node reboot, DaemonSet upgrade) installs again over its own files.
    for (int i = 0; i < REINSTALLS; i++) {
      long deleted = System.nanoTime();
      core.deleteNamespacedPod(installer.getMetadata().getName(), ns).execute();
      installer = awaitInstalled(core, ns, selector, installer.getMetadata().getUid());
      installMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deleted));
      assertThat(installer.getStatus().getInitContainerStatuses().get(0).getState().getTerminated())
          .isNotNull()
          .satisfies(t -> assertThat(t.getExitCode()).isZero());
      assertThat(node.containerLog(installer, "install"))
          .contains("  --image-credential-provider-bin-dir=/opt/acr-credential/bin");
      checkInstalledFiles(prefix, config);
    }

    // 4. Without the plugin, a private image does not pull.
    String domain = INSTANCE.internetDomains().get(0);
    String tenant = server.createNamespace("installer-pulls");
    NodeRegistry.awaitDefaultServiceAccount(core, tenant);
    core.createNamespacedPod(
            tenant, NodeRegistry.pod(node, "without-plugin", registry.pushNew(domain, "team/app")))
        .execute();
    String failure = node.awaitPullFailure(tenant, "without-plugin", NodeRegistry.POD_START);
    assertThat(failure).contains("401 Unauthorized");
    int grantedBefore = registry.tokens.grantedCount();

    // 5. The kubelet restarted with exactly the printed flags (their paths on the scratch root).
    Path cache = tmp.resolve("token-cache");
    String installed = Files.readString(config);
    assertThat(installed).contains(CACHE_LINE);
    Files.writeString(config, installed.replace(CACHE_LINE, "value: " + cache));
    List<String> flags = new ArrayList<>();
    printed.forEach((flag, path) -> flags.add(flag + "=" + hostRoot.resolve(path.substring(1))));
    long restart = System.nanoTime();
    node.restartKubelet(flags, Duration.ofMinutes(2));
    long restartMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restart);

    List<Duration> viaPlugin = new ArrayList<>();
    for (int i = 0; i < PULLS; i++) {
      String image = registry.pushNew(domain, "team/app");
      viaPlugin.add(
          NodeRegistry.createAndAwaitRunning(
              core, node, tenant, NodeRegistry.pod(node, "through-plugin-" + i, image)));
    }
    assertThat(registry.tokens.grantedCount())
        .as("registry logins with a fake ACR token after the restart")
        .isGreaterThan(grantedBefore);
    assertThat(cache).isDirectoryContaining(p -> Files.isRegularFile(p));
    for (V1Secret secret : core.listSecretForAllNamespaces().execute().getItems()) {
      assertThat(secret.getType())
          .isNotIn("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg");
    }
    System.out.printf(
        "[node] node installer: installer Pod -> Running p50 %d ms %s (first: DaemonSet created,"
            + " then %d reinstalls: Pod deleted -> new Pod Running; init container exit 0, image"
            + " imported, not pulled); kubelet restart with the printed flags %d ms; Pod create ->"
            + " Running through the installed plugin %s ms (first: plugin start, one ACR call; then"
            + " the kubelet's cache); without the plugin: %s%n",
        NodeRegistry.p50Millis(installMillis.stream().map(Duration::ofMillis).toList()),
        installMillis,
        REINSTALLS,
        restartMillis,
        viaPlugin.stream().map(Duration::toMillis).toList(),
        failure.contains("401") ? "401 Unauthorized" : failure);
  }

  /** The shipped manifest with only the image and the two host paths changed. */
  private V1DaemonSet patched(String manifest) {
    V1DaemonSet daemonSet = Yaml.loadAs(manifest, V1DaemonSet.class);
    V1PodSpec spec = daemonSet.getSpec().getTemplate().getSpec();
    List<V1Container> containers = new ArrayList<>(spec.getInitContainers());
    containers.addAll(spec.getContainers());
    for (V1Container container : containers) {
      assertThat(container.getImage()).as("the manifest's image placeholder").isEqualTo("IMAGE");
      container.setImage(installerImage);
    }
    Map<String, String> paths = Map.of("host-opt", "/opt", "host-kubernetes", "/etc/kubernetes");
    assertThat(spec.getVolumes()).extracting(V1Volume::getName).hasSameElementsAs(paths.keySet());
    for (V1Volume volume : spec.getVolumes()) {
      String path = paths.get(volume.getName());
      assertThat(volume.getHostPath().getPath()).isEqualTo(path);
      volume.getHostPath().setPath(hostRoot.resolve(path.substring(1)).toString());
    }
    return daemonSet;
  }

  /**
   * Waits for the DaemonSet controller's Pod (not {@code previousUid}), binds it to the node and
   * waits until it runs.
   */
  private V1Pod awaitInstalled(CoreV1Api core, String ns, String selector, String previousUid)
      throws Exception {
    V1Pod created = awaitControllerPod(core, ns, selector, previousUid);
    bind(created);
    return node.awaitRunning(ns, created.getMetadata().getName(), INSTALL_TIMEOUT);
  }

  /** Waits for the Pod the DaemonSet controller creates for this node. */
  private V1Pod awaitControllerPod(CoreV1Api core, String ns, String selector, String previousUid)
      throws Exception {
    V1Pod[] found = new V1Pod[1];
    SyncCommandIT.await(
        "the DaemonSet controller's Pod",
        Duration.ofSeconds(60),
        SyncCommandIT.quietly(
            () -> {
              List<V1Pod> pods =
                  core.listNamespacedPod(ns).labelSelector(selector).execute().getItems().stream()
                      .filter(p -> !p.getMetadata().getUid().equals(previousUid))
                      .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                      .toList();
              if (pods.isEmpty()) {
                return false;
              }
              assertThat(pods).hasSize(1);
              found[0] = pods.get(0);
              return true;
            }));
    return found[0];
  }

  /** What kube-scheduler does with a Pod that fits the one node: a Binding. */
  private void bind(V1Pod pod) throws Exception {
    V1Binding binding =
        new V1Binding()
            .metadata(new V1ObjectMeta().name(pod.getMetadata().getName()))
            .target(new V1ObjectReference().kind("Node").name(node.name()));
    // The API server answers with a Status the generated client cannot read as a V1Binding.
    try (okhttp3.Response response =
        new CoreV1Api(server.adminClient())
            .createNamespacedPodBinding(
                pod.getMetadata().getName(), pod.getMetadata().getNamespace(), binding)
            .buildCall(null)
            .execute()) {
      assertThat(response.code()).as("binding the installer Pod").isEqualTo(201);
    }
  }

  private void checkInstalledFiles(Path prefix, Path config) throws IOException {
    assertThat(prefix.resolve("bin/acr-credential-provider")).isExecutable();
    assertThat(prefix.resolve("bin/docker-credential-acr")).isExecutable();
    assertThat(prefix.resolve("runtime/bin/java")).isExecutable();
    Path jar = prefix.resolve("lib/acr-credential.jar");
    assertThat(Files.size(jar)).isEqualTo(Files.size(BUNDLE.resolve("lib/acr-credential.jar")));
    assertThat(Files.getLastModifiedTime(jar))
        .as("the jar's time, which the AppCDS archive checks")
        .isEqualTo(FileTime.fromMillis(1000));
    assertThat(prefix.resolve("lib/acr-credential.jsa")).isRegularFile();
    List<String> problems = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(hostRoot)) {
      for (Path p : walk.toList()) {
        int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int gid = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        if (uid != 0 || gid != 0) {
          problems.add(hostRoot.relativize(p) + " owned by " + uid + ":" + gid);
        }
        if (!Files.isSymbolicLink(p)) {
          Set<PosixFilePermission> mode =
              Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
          if (mode.contains(PosixFilePermission.GROUP_WRITE)
              || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
            problems.add(
                hostRoot.relativize(p)
                    + " writable by others: "
                    + PosixFilePermissions.toString(mode));
          }
        }
        String name = p.getFileName().toString();
        if (name.contains(".new.") || name.contains(".old.")) {
          problems.add(hostRoot.relativize(p) + " left over from the install");
        }
      }
    }
    assertThat(problems).as("files on the host").isEmpty();
    try (Stream<Path> top = Files.list(hostRoot)) {
      assertThat(top.map(p -> p.getFileName().toString()).sorted().toList())
          .as("the installer wrote only into its two host paths")
          .containsExactly("etc", "opt");
    }
    try (Stream<Path> opt = Files.list(hostRoot.resolve("opt"))) {
      assertThat(opt.map(p -> p.getFileName().toString()).toList())
          .containsExactly("acr-credential");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config)))
        .isEqualTo("rw-r--r--");
    assertThat(Files.readString(config, StandardCharsets.UTF_8))
        .isEqualTo(MARKER + "\n" + Files.readString(SHIPPED_CONFIG, StandardCharsets.UTF_8));
  }

  /**
   * A kube-controller-manager running only the DaemonSet controller (the server's own runs the
   * namespace and service account controllers), from the same binary directory.
   */
  private Process startDaemonSetController() throws IOException {
    Path kcm =
        ProcessHandle.current()
            .descendants()
            .map(h -> h.info().command().orElse(""))
            .filter(c -> c.endsWith("/kube-controller-manager"))
            .findFirst()
            .map(Path::of)
            .orElseThrow(
                () -> new IllegalStateException("the API server runs no kube-controller-manager"));
    Path kubeconfig = server.kubeconfig();
    return new ProcessBuilder(
            kcm.toString(),
            "--kubeconfig=" + kubeconfig,
            "--authentication-kubeconfig=" + kubeconfig,
            "--authorization-kubeconfig=" + kubeconfig,
            "--controllers=daemonset",
            "--leader-elect=false",
            "--secure-port=0",
            "--use-service-account-credentials=false",
            "--profiling=false")
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve("daemonset-controller.log").toFile())
        .start();
  }

  private static void run(Duration timeout, String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish in " + timeout);
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(
          String.join(" ", command)
              + " failed ("
              + p.exitValue()
              + "):\n"
              + new String(out, StandardCharsets.UTF_8));
    }
  }
}
