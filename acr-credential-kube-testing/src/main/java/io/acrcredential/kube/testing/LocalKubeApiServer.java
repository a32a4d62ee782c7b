package io.acrcredential.kube.testing;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1WebhookClientConfig;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1RuleWithOperations;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import io.kubernetes.client.util.credentials.ClientCertificateAuthentication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

  private final Path workDir;
  private final Pki pki;
  private final URI url;
  private final List<Integer> ports;
  private final boolean controllerManager;
  private final boolean nodeAuthorization;
  private final Duration startupTime;
  private final ControlPlane controlPlane;
  private final ClusterAccess access;
  private final Path adminKubeconfig;
  private final Thread shutdownHook;

  private LocalKubeApiServer(
      ControlPlaneStartup startup, boolean nodeAuthorization, Duration startupTime) {
    this.workDir = startup.workDir;
    this.pki = startup.pki;
    this.url = startup.url;
    this.ports = List.copyOf(startup.ports);
    this.controllerManager = startup.controllerManagerStarted;
    this.nodeAuthorization = nodeAuthorization;
    this.startupTime = startupTime;
    this.controlPlane = new ControlPlane(startup);
    this.access = new ClusterAccess(url, pki, startup.adminToken, workDir);
    this.adminKubeconfig = access.writeKubeconfig("admin", startup.adminToken);
    this.shutdownHook = new Thread(controlPlane::stop, "acr-kube-apiserver-shutdown");
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
    Names.requireText("commonName", commonName);
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
    Names.requireText("name", name);
    Names.requireText("url", url);
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
    return access.adminClient();
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
    checkOpen();
    return access.client(
        new AccessTokenAuthentication(access.serviceAccountToken(namespace, serviceAccount)));
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
    Names.requireText("user", user);
    for (String group : groups) {
      Names.requireText("group", group);
    }
    Pki.Issued issued = pki.issueClient(user, List.of(groups));
    return access.client(
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
    checkOpen();
    String token = access.serviceAccountToken(namespace, serviceAccount);
    return access.writeKubeconfig(namespace + "-" + serviceAccount, token);
  }

  /**
   * Creates a namespace with a unique name starting with {@code prefix}, so tests sharing one
   * server do not collide.
   *
   * @param prefix a DNS label prefix such as {@code "smoke"}
   * @return the name of the created namespace
   */
  public String createNamespace(String prefix) {
    Names.requireDnsLabel("prefix", prefix);
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
    Names.requireText("yaml", yaml);
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
    checkOpen();
    controlPlane.restartApiServer(downtime);
  }

  /** Stops kube-controller-manager, kube-apiserver and etcd, then deletes the private directory. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or about to run stopAll(); closing twice is harmless.
    }
    controlPlane.stop();
  }

  @Override
  public String toString() {
    return "LocalKubeApiServer[" + url + (controlPlane.isStopped() ? ", closed" : "") + "]";
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
    return controlPlane.processIds();
  }

  List<Integer> ports() {
    return ports;
  }

  Path workDirectory() {
    return workDir;
  }

  // ---- internals ----

  private void checkOpen() {
    if (controlPlane.isStopped()) {
      throw new IllegalStateException(this + " is closed");
    }
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
      this.startupTimeout = Names.requirePositive("startupTimeout", timeout);
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
      ControlPlaneStartup startup =
          ControlPlaneStartup.startWithRetries(
              binaries, controllerManager, nodeAuthorization, startupTimeout);
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      LocalKubeApiServer server = new LocalKubeApiServer(startup, nodeAuthorization, took);
      LOG.info(
          "local kube-apiserver {} ready at {} in {} ms (controller manager: {}, logs in {})",
          KubeBinaries.KUBERNETES_VERSION,
          server.url,
          took.toMillis(),
          server.controllerManager,
          startup.workDir);
      return server;
    }
  }
}
