package io.acrcredential.kube.testing;

import io.acrcredential.kube.testing.ManagedProcess.Deadline;
import io.acrcredential.kube.testing.ManagedProcess.NotReady;
import io.acrcredential.kube.testing.ManagedProcess.Probe;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1WebhookClientConfig;
import io.kubernetes.client.openapi.models.AuthenticationV1TokenRequest;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1RuleWithOperations;
import io.kubernetes.client.openapi.models.V1TokenRequestSpec;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import io.kubernetes.client.util.credentials.Authentication;
import io.kubernetes.client.util.credentials.ClientCertificateAuthentication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kubernetes control plane on loopback for integration tests: etcd, kube-apiserver with RBAC
 * authorization and, when its binary is present, kube-controller-manager running only the
 * namespace, serviceaccount, serviceaccount-token and root-ca-cert-publisher controllers (so that
 * deleted namespaces finalize and new namespaces get their {@code default} ServiceAccount).
 *
 * <p>The binaries come from {@code test-infra/kube/build.sh}. Everything else (certificates,
 * service-account signing key, etcd data, logs) lives in a private temporary directory that {@link
 * #close()} deletes, after stopping every process. Each process logs to a file in that directory;
 * when startup fails, the exception carries the tail of those logs.
 *
 * <p>Identities: {@link #adminClient()} is in group {@code system:masters}; {@link #clientFor}
 * authenticates as a ServiceAccount and {@link #clientForUser} as a user, so a test can prove that
 * an RBAC manifest grants exactly what is needed.
 */
public final class LocalKubeApiServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalKubeApiServer.class);

  private static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
  private static final String ADMIN_USER = "acr-test-admin";
  private static final String CONTROLLERS =
      "namespace,serviceaccount,serviceaccount-token,root-ca-cert-publisher";
  private static final int MAX_ATTEMPTS = 3;
  private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
  private static final long TOKEN_SECONDS = 3600;
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path workDir;
  private final Pki pki;
  private final URI url;
  private final String adminToken;
  private final List<ManagedProcess> processes;
  private final List<String> apiServerCommand;
  private final Object restartLock = new Object();
  private int restarts;
  private final List<Integer> ports;
  private final boolean controllerManager;
  private final boolean nodeAuthorization;
  private final Duration startupTime;
  private final Path adminKubeconfig;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger fileCounter = new AtomicInteger();
  private final Thread shutdownHook;

  private LocalKubeApiServer(Startup startup, Duration startupTime) {
    this.workDir = startup.workDir;
    this.pki = startup.pki;
    this.url = startup.url;
    this.adminToken = startup.adminToken;
    this.processes = new java.util.concurrent.CopyOnWriteArrayList<>(startup.processes);
    this.apiServerCommand = List.copyOf(startup.apiServerCommand);
    this.ports = List.copyOf(startup.ports);
    this.controllerManager = startup.controllerManagerStarted;
    this.nodeAuthorization = startup.nodeAuthorization;
    this.startupTime = startupTime;
    this.adminKubeconfig = writeKubeconfig("admin", "user:\n      token: " + adminToken);
    this.shutdownHook = new Thread(this::stopAll, "acr-kube-apiserver-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts a server with the defaults: binaries from the build cache (or the {@code acr.kube.bin}
   * system property / {@code ACR_KUBE_BIN} environment variable), with kube-controller-manager.
   *
   * @return the running server; close it when done
   * @throws IllegalStateException if the binaries are missing or the server does not start
   */
  public static LocalKubeApiServer start() {
    return builder().start();
  }

  /**
   * Returns a builder for a server with non-default settings.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the API server's base URL, {@code https://127.0.0.1:<port>}.
   *
   * @return the base URL
   */
  public URI url() {
    return url;
  }

  /**
   * Returns the CA certificate (PEM) that signed the API server's serving certificate.
   *
   * @return the PEM text of the CA certificate
   */
  public String caCertificatePem() {
    return pki.caPem();
  }

  /**
   * Issues a TLS serving certificate for {@code 127.0.0.1} and {@code localhost}, signed by the CA
   * of {@link #caCertificatePem()}, for a local server the API server calls (an admission webhook
   * registered with {@code clientConfig.url} and that CA as its {@code caBundle}). The key is an EC
   * P-256 key in PKCS#8 PEM ({@code BEGIN PRIVATE KEY}).
   *
   * @param commonName the certificate's common name
   * @return the certificate and its key, both PEM
   */
  public ServingCertificate issueServingCertificate(String commonName) {
    checkOpen();
    requireText("commonName", commonName);
    Pki.Issued issued = pki.issueServerPkcs8(commonName);
    return new ServingCertificate(issued.certificatePem(), issued.privateKeyPem());
  }

  /**
   * A mutating webhook entry for Pod {@code CREATE} that this API server calls at {@code url},
   * trusting the CA of {@link #caCertificatePem()} (so a server using {@link
   * #issueServingCertificate} answers it): admission review v1, no side effects, failure policy
   * {@code Ignore}, 10 s timeout, reinvocation {@code IfNeeded}. Only namespaces carrying {@code
   * namespaceLabels} are sent to it, so other tests' Pods on this shared server never reach it.
   * Callers adjust further fields with the model's fluent setters.
   *
   * @param name the entry's name under {@code webhooks}
   * @param url the {@code https://127.0.0.1:<port>/<path>} of the local webhook server
   * @param namespaceLabels labels a namespace needs to be selected
   * @return the entry, to add to a {@code V1MutatingWebhookConfiguration}
   */
  public V1MutatingWebhook podCreateWebhook(
      String name, String url, Map<String, String> namespaceLabels) {
    requireText("name", name);
    requireText("url", url);
    Objects.requireNonNull(namespaceLabels, "namespaceLabels");
    return new V1MutatingWebhook()
        .name(name)
        .admissionReviewVersions(List.of("v1"))
        .sideEffects("None")
        .failurePolicy("Ignore")
        .timeoutSeconds(10)
        .reinvocationPolicy("IfNeeded")
        .namespaceSelector(new V1LabelSelector().matchLabels(namespaceLabels))
        .addRulesItem(
            new V1RuleWithOperations()
                .apiGroups(List.of(""))
                .apiVersions(List.of("v1"))
                .resources(List.of("pods"))
                .operations(List.of("CREATE")))
        .clientConfig(
            new AdmissionregistrationV1WebhookClientConfig()
                .url(url)
                .caBundle(caCertificatePem().getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * A serving certificate and its private key (PEM). {@link #toString()} leaves the key out.
   *
   * @param certificatePem the certificate
   * @param privateKeyPem the PKCS#8 private key
   */
  public record ServingCertificate(String certificatePem, String privateKeyPem) {
    @Override
    public String toString() {
      return "ServingCertificate[certificate, key=<redacted>]";
    }
  }

  /**
   * Returns whether kube-controller-manager runs, i.e. whether namespaces finalize and get a {@code
   * default} ServiceAccount.
   *
   * @return true when the controller manager was started
   */
  public boolean hasControllerManager() {
    return controllerManager;
  }

  /**
   * Returns how long {@link #start()} took until the server was ready (and, with the controller
   * manager, until the {@code default} ServiceAccount existed).
   *
   * @return the startup duration of this instance
   */
  public Duration startupTime() {
    return startupTime;
  }

  /**
   * Returns a new client authenticated as a cluster administrator (group {@code system:masters}).
   * Each call returns a separate client, so one given to a {@code SharedInformerFactory} (which
   * sets an infinite read timeout) does not affect the others.
   *
   * @return a new admin client
   */
  public ApiClient adminClient() {
    checkOpen();
    return client(new AccessTokenAuthentication(adminToken));
  }

  /**
   * Returns a new client authenticated as a ServiceAccount, with a one-hour token obtained through
   * the TokenRequest API. The ServiceAccount must exist; it has exactly the permissions its
   * (Cluster)RoleBindings grant.
   *
   * @param namespace the ServiceAccount's namespace
   * @param serviceAccount the ServiceAccount's name
   * @return a new client acting as {@code system:serviceaccount:<namespace>:<serviceAccount>}
   * @throws IllegalArgumentException if a name is invalid or the ServiceAccount does not exist
   */
  public ApiClient clientFor(String namespace, String serviceAccount) {
    return client(new AccessTokenAuthentication(serviceAccountToken(namespace, serviceAccount)));
  }

  /**
   * Returns a new client authenticated with a client certificate as {@code user} in {@code groups}.
   * Nothing needs to exist beforehand; the user has what RBAC bindings grant it.
   *
   * @param user the user name (certificate common name)
   * @param groups the groups (certificate organisations)
   * @return a new client acting as that user
   */
  public ApiClient clientForUser(String user, String... groups) {
    checkOpen();
    requireText("user", user);
    for (String group : groups) {
      requireText("group", group);
    }
    Pki.Issued issued = pki.issueClient(user, List.of(groups));
    return client(
        new ClientCertificateAuthentication(
            issued.certificatePem().getBytes(StandardCharsets.US_ASCII),
            issued.privateKeyPem().getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * Returns a kubeconfig file (in the server's private directory) for the administrator, for child
   * processes. It holds a bearer token: do not copy it elsewhere.
   *
   * @return path of the admin kubeconfig
   */
  public Path kubeconfig() {
    checkOpen();
    return adminKubeconfig;
  }

  /**
   * Writes a kubeconfig file for a ServiceAccount (one-hour token), for child processes that must
   * run with only that ServiceAccount's permissions.
   *
   * @param namespace the ServiceAccount's namespace
   * @param serviceAccount the ServiceAccount's name
   * @return path of the new kubeconfig
   * @throws IllegalArgumentException if a name is invalid or the ServiceAccount does not exist
   */
  public Path kubeconfigFor(String namespace, String serviceAccount) {
    String token = serviceAccountToken(namespace, serviceAccount);
    return writeKubeconfig(namespace + "-" + serviceAccount, "user:\n      token: " + token);
  }

  /**
   * Creates a namespace with a unique name starting with {@code prefix}, so tests sharing one
   * server do not collide.
   *
   * @param prefix a DNS label prefix such as {@code "smoke"}
   * @return the name of the created namespace
   */
  public String createNamespace(String prefix) {
    requireDnsLabel("prefix", prefix);
    V1Namespace namespace =
        new V1Namespace().metadata(new V1ObjectMeta().generateName(prefix + "-"));
    try {
      V1Namespace created = new CoreV1Api(adminClient()).createNamespace(namespace).execute();
      return created.getMetadata().getName();
    } catch (ApiException e) {
      throw new IllegalStateException(
          "creating a namespace with prefix " + prefix + " failed with HTTP " + e.getCode(), e);
    }
  }

  /**
   * Creates every object of a (multi-document) YAML manifest as the administrator, e.g. a project's
   * RBAC manifest before checking it with {@link #clientFor}. Supported kinds: Namespace,
   * ServiceAccount, Secret, ConfigMap, Role, RoleBinding, ClusterRole, ClusterRoleBinding.
   *
   * @param yaml the manifest text
   * @param defaultNamespace namespace for namespaced objects that name none; may be null when all
   *     name one
   * @return the created objects, as returned by the server, in manifest order
   * @throws IllegalArgumentException for invalid YAML, an unsupported kind or a missing namespace
   * @throws IllegalStateException if the server rejects an object
   */
  public List<KubernetesObject> createFromYaml(String yaml, String defaultNamespace) {
    checkOpen();
    requireText("yaml", yaml);
    return new ManifestApplier(adminClient()).createAll(yaml, defaultNamespace);
  }

  /**
   * Stops kube-apiserver (SIGTERM, then SIGKILL after a grace period), waits {@code downtime}, and
   * starts it again on the same port with the same flags, keeping etcd (and so every object) and
   * kube-controller-manager running. Returns once {@code /readyz} answers. Clients keep working
   * after the restart: watches are cut and must be re-established, and a watch resumed from an old
   * resourceVersion may be answered with 410 Gone.
   *
   * @param downtime how long the API server stays down; zero or positive
   * @throws IllegalStateException when the server is closed or the API server does not come back
   */
  public void restartApiServer(Duration downtime) {
    Objects.requireNonNull(downtime, "downtime");
    if (downtime.isNegative()) {
      throw new IllegalArgumentException("downtime must not be negative, got " + downtime);
    }
    synchronized (restartLock) {
      checkOpen();
      int index = -1;
      for (int i = 0; i < processes.size(); i++) {
        if (processes.get(i).name().equals("kube-apiserver")) {
          index = i;
        }
      }
      if (index < 0) {
        throw new IllegalStateException("no kube-apiserver process to restart in " + this);
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
              "kube-apiserver",
              apiServerCommand,
              workDir.resolve("kube-apiserver-restart-" + restarts + ".log"));
      processes.set(index, next);
      awaitReady(next, Duration.ofMinutes(2));
      LOG.info("restarted kube-apiserver at {} ({})", url, next);
    }
  }

  private void awaitReady(ManagedProcess process, Duration timeout) {
    HttpClient http =
        HttpClient.newBuilder()
            .sslContext(pki.trustingSslContext())
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    HttpRequest request =
        HttpRequest.newBuilder(url.resolve("/readyz"))
            .timeout(Duration.ofSeconds(5))
            .header("Authorization", "Bearer " + adminToken)
            .GET()
            .build();
    try {
      process.awaitReady(
          "/readyz", Probe.http(http, request), Deadline.after(timeout), POLL_INTERVAL);
    } catch (NotReady e) {
      throw ManagedProcess.failure(
          "kube-apiserver did not come back after a restart: " + e.getMessage(), List.of(process));
    }
  }

  /** Stops kube-controller-manager, kube-apiserver and etcd, then deletes the private directory. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or about to run stopAll(); closing twice is harmless.
    }
    stopAll();
  }

  @Override
  public String toString() {
    return "LocalKubeApiServer[" + url + (closed.get() ? ", closed" : "") + "]";
  }

  /**
   * Returns whether this server authorizes kubelets with the Node authorizer and the {@code
   * NodeRestriction} admission plugin (see {@link Builder#nodeAuthorization}).
   *
   * @return true when a {@link LocalNode} may join this server
   */
  public boolean hasNodeAuthorization() {
    return nodeAuthorization;
  }

  /**
   * The public key (PEM, {@code BEGIN PUBLIC KEY}, EC P-256) that verifies this server's
   * ServiceAccount tokens, e.g. for a fake token exchange that must check a token a kubelet
   * requested.
   *
   * @return the PEM text
   */
  public String serviceAccountPublicKeyPem() {
    checkOpen();
    try {
      return Files.readString(workDir.resolve("sa.pub"), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the ServiceAccount public key", e);
    }
  }

  // ---- package-private accessors for LocalNode ----

  /** The server's CA, which also signs the node's client certificate. */
  Pki pki() {
    checkOpen();
    return pki;
  }

  /** The private directory; a node keeps its own files elsewhere. */
  Path privateDirectory() {
    return workDir;
  }

  // ---- package-private accessors for the shutdown test ----

  List<Long> processIds() {
    return processes.stream().map(ManagedProcess::pid).toList();
  }

  List<Integer> ports() {
    return ports;
  }

  Path workDirectory() {
    return workDir;
  }

  // ---- internals ----

  private void stopAll() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).close();
    }
    deleteRecursively(workDir);
    LOG.info("stopped local kube-apiserver at {}", url);
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  private ApiClient client(Authentication authentication) {
    return new ClientBuilder()
        .setBasePath(url.toString())
        .setVerifyingSsl(true)
        .setCertificateAuthority(pki.caPem().getBytes(StandardCharsets.US_ASCII))
        .setAuthentication(authentication)
        .build();
  }

  private String serviceAccountToken(String namespace, String serviceAccount) {
    checkOpen();
    requireDnsLabel("namespace", namespace);
    requireText("serviceAccount", serviceAccount);
    AuthenticationV1TokenRequest request =
        new AuthenticationV1TokenRequest()
            .spec(
                new V1TokenRequestSpec()
                    .audiences(List.of(ISSUER))
                    .expirationSeconds(TOKEN_SECONDS));
    try {
      AuthenticationV1TokenRequest response =
          new CoreV1Api(adminClient())
              .createNamespacedServiceAccountToken(serviceAccount, namespace, request)
              .execute();
      return Objects.requireNonNull(response.getStatus(), "TokenRequest status").getToken();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        throw new IllegalArgumentException(
            "ServiceAccount "
                + namespace
                + "/"
                + serviceAccount
                + " does not exist: create it (and its RoleBindings) before asking for a client",
            e);
      }
      throw new IllegalStateException(
          "TokenRequest for ServiceAccount "
              + namespace
              + "/"
              + serviceAccount
              + " failed with HTTP "
              + e.getCode(),
          e);
    }
  }

  private Path writeKubeconfig(String name, String userBlock) {
    String ca = Base64.getEncoder().encodeToString(pki.caPem().getBytes(StandardCharsets.US_ASCII));
    String text =
        "apiVersion: v1\n"
            + "kind: Config\n"
            + "clusters:\n"
            + "- name: local\n"
            + "  cluster:\n"
            + "    server: "
            + url
            + "\n"
            + "    certificate-authority-data: "
            + ca
            + "\n"
            + "users:\n"
            + "- name: "
            + name
            + "\n"
            + "  "
            + userBlock
            + "\n"
            + "contexts:\n"
            + "- name: local\n"
            + "  context:\n"
            + "    cluster: local\n"
            + "    user: "
            + name
            + "\n"
            + "current-context: local\n";
    Path file = workDir.resolve(fileCounter.incrementAndGet() + "-" + name + ".kubeconfig");
    writePrivate(file, text);
    return file;
  }

  private static void requireText(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be null or blank");
    }
  }

  private static void requireDnsLabel(String what, String value) {
    requireText(what, value);
    if (value.length() > 50 || !DNS_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what
              + " '"
              + value
              + "' must be a DNS label of at most 50 characters: lower-case letters, digits and '-'");
    }
  }

  private static void writePrivate(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      LOG.warn("cannot delete {} completely: {}", dir, e.toString());
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free loopback port", e);
    }
  }

  private static String randomToken() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** Settings for {@link LocalKubeApiServer#start()}. */
  public static final class Builder {
    private Path binaryDirectory;
    private boolean controllerManager = true;
    private boolean nodeAuthorization;
    private Duration startupTimeout = Duration.ofMinutes(2);

    private Builder() {}

    /**
     * Uses the binaries in {@code directory} instead of looking them up.
     *
     * @param directory a directory holding {@code etcd}, {@code kube-apiserver} and optionally
     *     {@code kube-controller-manager}
     * @return this builder
     */
    public Builder binaryDirectory(Path directory) {
      this.binaryDirectory = Objects.requireNonNull(directory, "binaryDirectory");
      return this;
    }

    /**
     * Whether to run kube-controller-manager (default true; ignored with a warning when its binary
     * is missing).
     *
     * @param enabled false for a bare etcd + kube-apiserver
     * @return this builder
     */
    public Builder controllerManager(boolean enabled) {
      this.controllerManager = enabled;
      return this;
    }

    /**
     * Whether kubelets may join: {@code --authorization-mode=Node,RBAC} and the {@code
     * NodeRestriction} admission plugin, as a real cluster runs them (default false, RBAC only).
     * {@link LocalNode} needs it.
     *
     * @param enabled true to authorize nodes
     * @return this builder
     */
    public Builder nodeAuthorization(boolean enabled) {
      this.nodeAuthorization = enabled;
      return this;
    }

    /**
     * How long to wait for the server (and the controller manager) to become ready; default two
     * minutes.
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
     * Starts etcd, kube-apiserver and (if enabled) kube-controller-manager and waits until they are
     * ready.
     *
     * @return the running server; close it when done
     * @throws IllegalStateException if the binaries are missing or the server does not start
     */
    public LocalKubeApiServer start() {
      KubeBinaries binaries =
          (binaryDirectory != null ? KubeBinaries.in(binaryDirectory) : KubeBinaries.locate())
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          binaryDirectory != null
                              ? "etcd and kube-apiserver not found in "
                                  + binaryDirectory
                                  + "; "
                                  + KubeBinaries.BUILD_HINT
                              : KubeBinaries.missingMessage()));
      if (controllerManager && binaries.controllerManager().isEmpty()) {
        LOG.warn(
            "kube-controller-manager not found in {}: namespaces will not finalize and no default"
                + " ServiceAccounts will be created",
            binaries.directory());
      }
      long started = System.nanoTime();
      for (int attempt = 1; ; attempt++) {
        Startup startup = new Startup(binaries, controllerManager, startupTimeout);
        startup.nodeAuthorization = nodeAuthorization;
        try {
          startup.run();
          Duration took = Duration.ofNanos(System.nanoTime() - started);
          LocalKubeApiServer server = new LocalKubeApiServer(startup, took);
          LOG.info(
              "local kube-apiserver {} ready at {} in {} ms (controller manager: {}, logs in {})",
              KubeBinaries.KUBERNETES_VERSION,
              server.url,
              took.toMillis(),
              server.controllerManager,
              startup.workDir);
          return server;
        } catch (PortClash clash) {
          startup.abort();
          if (attempt >= MAX_ATTEMPTS) {
            throw new IllegalStateException(
                "local kube-apiserver: ports kept being taken, gave up after "
                    + attempt
                    + " attempts",
                clash);
          }
          LOG.info("port clash on attempt {}, retrying with new ports", attempt);
        } catch (RuntimeException e) {
          startup.abort();
          throw e;
        }
      }
    }
  }

  /** A port chosen as free was taken before the process bound it. */
  private static final class PortClash extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PortClash(String message) {
      super(message, null, false, false);
    }
  }

  /** One attempt at starting the control plane. */
  private static final class Startup {
    private final KubeBinaries binaries;
    private final boolean wantControllerManager;
    private final Duration timeout;
    private final List<ManagedProcess> processes = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final List<String> apiServerCommand = new ArrayList<>();
    private final String adminToken = randomToken();
    private Path workDir;
    private Pki pki;
    private URI url;
    private HttpClient http;
    private boolean controllerManagerStarted;
    private boolean nodeAuthorization;

    Startup(KubeBinaries binaries, boolean wantControllerManager, Duration timeout) {
      this.binaries = binaries;
      this.wantControllerManager = wantControllerManager;
      this.timeout = timeout;
    }

    void run() {
      Deadline deadline = Deadline.after(timeout);
      try {
        workDir = Files.createTempDirectory("acr-kube-");
        Files.createDirectories(workDir.resolve("etcd-data"));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a temporary directory for the API server", e);
      }
      pki = Pki.newCa();
      writePrivate(workDir.resolve("ca.crt"), pki.caPem());
      Pki.Issued serving = pki.issueServer("kube-apiserver");
      writePrivate(workDir.resolve("apiserver.crt"), serving.certificatePem());
      writePrivate(workDir.resolve("apiserver.key"), serving.privateKeyPem());
      var saKeys = Pki.newKeyPair();
      writePrivate(workDir.resolve("sa.key"), Pki.privateKeyPem(saKeys));
      writePrivate(workDir.resolve("sa.pub"), Pki.publicKeyPem(saKeys.getPublic()));
      String controllerManagerToken = randomToken();
      writePrivate(
          workDir.resolve("tokens.csv"),
          adminToken
              + ","
              + ADMIN_USER
              + ",acr-test-admin-uid,\"system:masters\"\n"
              + controllerManagerToken
              + ",system:kube-controller-manager,acr-test-kcm-uid,\"system:masters\"\n");
      http =
          HttpClient.newBuilder()
              .sslContext(pki.trustingSslContext())
              .connectTimeout(Duration.ofSeconds(5))
              .build();

      int etcdClientPort = freePort();
      int etcdPeerPort = freePort();
      int apiPort = freePort();
      ports.addAll(List.of(etcdClientPort, etcdPeerPort, apiPort));
      String etcdClientUrl = "http://127.0.0.1:" + etcdClientPort;
      String etcdPeerUrl = "http://127.0.0.1:" + etcdPeerPort;

      ManagedProcess etcd =
          launch(
              "etcd",
              List.of(
                  binaries.etcd().toString(),
                  "--name=acr-test",
                  "--data-dir=" + workDir.resolve("etcd-data"),
                  "--listen-client-urls=" + etcdClientUrl,
                  "--advertise-client-urls=" + etcdClientUrl,
                  "--listen-peer-urls=" + etcdPeerUrl,
                  "--initial-advertise-peer-urls=" + etcdPeerUrl,
                  "--initial-cluster=acr-test=" + etcdPeerUrl,
                  "--initial-cluster-state=new",
                  "--unsafe-no-fsync=true",
                  "--log-level=warn"));
      awaitOk(etcd, URI.create(etcdClientUrl + "/health"), null, deadline, "etcd /health");

      url = URI.create("https://127.0.0.1:" + apiPort);
      apiServerCommand.addAll(
          List.of(
              binaries.apiServer().toString(),
              "--etcd-servers=" + etcdClientUrl,
              "--bind-address=127.0.0.1",
              "--advertise-address=127.0.0.1",
              "--secure-port=" + apiPort,
              "--cert-dir=" + workDir.resolve("apiserver-certs"),
              "--tls-cert-file=" + workDir.resolve("apiserver.crt"),
              "--tls-private-key-file=" + workDir.resolve("apiserver.key"),
              "--client-ca-file=" + workDir.resolve("ca.crt"),
              "--token-auth-file=" + workDir.resolve("tokens.csv"),
              "--authorization-mode=RBAC",
              "--anonymous-auth=false",
              "--service-account-issuer=" + ISSUER,
              "--api-audiences=" + ISSUER,
              "--service-account-key-file=" + workDir.resolve("sa.pub"),
              "--service-account-signing-key-file=" + workDir.resolve("sa.key"),
              "--service-cluster-ip-range=10.0.0.0/24",
              "--endpoint-reconciler-type=none",
              "--enable-priority-and-fairness=false",
              "--profiling=false"));
      if (nodeAuthorization) {
        apiServerCommand.set(
            apiServerCommand.indexOf("--authorization-mode=RBAC"),
            "--authorization-mode=Node,RBAC");
        apiServerCommand.add("--enable-admission-plugins=NodeRestriction");
      }
      ManagedProcess apiServer = launch("kube-apiserver", apiServerCommand);
      awaitOk(apiServer, url.resolve("/readyz"), adminToken, deadline, "kube-apiserver /readyz");

      if (wantControllerManager && binaries.controllerManager().isPresent()) {
        Path kubeconfig = workDir.resolve("controller-manager.kubeconfig");
        writePrivate(kubeconfig, controllerManagerKubeconfig(controllerManagerToken));
        ManagedProcess controllerManager =
            launch(
                "kube-controller-manager",
                List.of(
                    binaries.controllerManager().get().toString(),
                    "--kubeconfig=" + kubeconfig,
                    "--authentication-kubeconfig=" + kubeconfig,
                    "--authorization-kubeconfig=" + kubeconfig,
                    "--controllers=" + CONTROLLERS,
                    "--leader-elect=false",
                    "--secure-port=0",
                    "--use-service-account-credentials=false",
                    "--service-account-private-key-file=" + workDir.resolve("sa.key"),
                    "--root-ca-file=" + workDir.resolve("ca.crt"),
                    "--profiling=false"));
        awaitOk(
            controllerManager,
            url.resolve("/api/v1/namespaces/default/serviceaccounts/default"),
            adminToken,
            deadline,
            "kube-controller-manager creating ServiceAccount default/default");
        controllerManagerStarted = true;
      }
    }

    private String controllerManagerKubeconfig(String token) {
      return "apiVersion: v1\n"
          + "kind: Config\n"
          + "clusters:\n"
          + "- name: local\n"
          + "  cluster:\n"
          + "    server: "
          + url
          + "\n"
          + "    certificate-authority: "
          + workDir.resolve("ca.crt")
          + "\n"
          + "users:\n"
          + "- name: kcm\n"
          + "  user:\n"
          + "    token: "
          + token
          + "\n"
          + "contexts:\n"
          + "- name: local\n"
          + "  context:\n"
          + "    cluster: local\n"
          + "    user: kcm\n"
          + "current-context: local\n";
    }

    private ManagedProcess launch(String name, List<String> command) {
      ManagedProcess process = ManagedProcess.start(name, command, workDir.resolve(name + ".log"));
      processes.add(process);
      return process;
    }

    /** Polls {@code uri} until it answers 200, the process dies, or the deadline passes. */
    private void awaitOk(
        ManagedProcess process, URI uri, String token, Deadline deadline, String what) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET();
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      try {
        process.awaitReady(what, Probe.http(http, request.build()), deadline, POLL_INTERVAL);
      } catch (NotReady e) {
        if (e.exited() && process.logShowsPortClash()) {
          throw new PortClash(process.name() + ": address already in use");
        }
        throw ManagedProcess.failure(
            "local kube-apiserver did not start: " + e.getMessage(), processes);
      }
    }

    /** Stops whatever this attempt started and removes its directory. */
    void abort() {
      for (int i = processes.size() - 1; i >= 0; i--) {
        processes.get(i).close();
      }
      if (workDir != null && !Boolean.getBoolean("acr.kube.keepFailedDir")) {
        deleteRecursively(workDir);
      }
    }
  }
}
