package io.acrcredential.examples.sync;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import java.io.IOException;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's serving certificate issued by the refresher itself: a CA and a serving certificate
 * ({@link WebhookCertificates}) kept in one Secret of the refresher's own namespace and shared by
 * its replicas.
 *
 * <p>Every replica reads the Secret at start and then every {@link
 * WebhookCertificates.Lifetimes#checkEvery()}; whichever finds it missing or due for rotation
 * writes the next state: a create when it is missing (409: another replica won, its Secret is read
 * and used), an update carrying the resourceVersion that was read otherwise (409: read again and
 * use the winner). A change of content is loaded into the {@link #keyManager()} at once (new TLS
 * handshakes use it) and reported to the listener (the leader puts the new {@code caBundle} into
 * the registration). A Secret of that name that this refresher did not write (no {@value
 * #MANAGED_LABEL} label) is never overwritten: the webhook is not served and the log says why.
 */
public final class SelfIssuedCertificate implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SelfIssuedCertificate.class);

  /** The default Secret name. */
  public static final String DEFAULT_SECRET = "acr-credential-webhook-certificate";

  static final String MANAGED_LABEL = "acr-credential.io/webhook-certificate";

  /**
   * What to issue and where to keep it.
   *
   * @param namespace the Secret's namespace (the refresher's own)
   * @param secretName the Secret's name
   * @param hosts what the serving certificate covers
   * @param lifetimes how long the CA and the serving certificate live
   */
  record Spec(
      String namespace,
      String secretName,
      WebhookCertificates.Hosts hosts,
      WebhookCertificates.Lifetimes lifetimes) {
    String describe() {
      return "Secret " + namespace + "/" + secretName;
    }
  }

  private final ApiClient api;
  private final Spec spec;
  private final Clock clock;
  private final SwappingKeyManager keys = new SwappingKeyManager();
  private final ScheduledExecutorService timer;
  private volatile Consumer<WebhookCertificates.State> listener = s -> {};
  private volatile WebhookCertificates.State current;
  private volatile String lastProblem = "";

  SelfIssuedCertificate(ApiClient api, Spec spec, Clock clock) {
    this.api = api;
    this.spec = spec;
    this.clock = clock;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "acr-webhook-certificate");
              t.setDaemon(true);
              return t;
            });
  }

  Spec spec() {
    return spec;
  }

  /** Key manager for the HTTPS server: always the latest state's serving pair. */
  X509ExtendedKeyManager keyManager() {
    return keys;
  }

  /** The state in use, or empty before the first successful read. */
  Optional<WebhookCertificates.State> current() {
    return Optional.ofNullable(current);
  }

  /** Told (on the timer thread) of every new state in use, and at once of the current one. */
  void onChange(Consumer<WebhookCertificates.State> l) {
    listener = l;
    WebhookCertificates.State s = current;
    if (s != null) {
      l.accept(s);
    }
  }

  /**
   * Reads (or creates) the Secret once now, then checks it every {@code checkEvery}.
   *
   * @throws IOException when no certificate can be had now (permission, a foreign Secret, the API
   *     server down); the checks go on and a later success is used
   */
  void start() throws IOException {
    long every = spec.lifetimes().checkEvery().toMillis();
    timer.scheduleWithFixedDelay(this::checkQuietly, every, every, TimeUnit.MILLISECONDS);
    check();
  }

  private void checkQuietly() {
    try {
      check();
    } catch (IOException | RuntimeException e) {
      problem(e.getMessage());
    }
  }

  /** One look at the Secret: read, rotate if due, load. */
  synchronized void check() throws IOException {
    CoreV1Api core = new CoreV1Api(api);
    for (int attempt = 0; attempt < 5; attempt++) {
      V1Secret secret;
      try {
        secret = core.readNamespacedSecret(spec.secretName(), spec.namespace()).execute();
      } catch (ApiException e) {
        if (e.getCode() != 404) {
          throw failure("read", e);
        }
        secret = null;
      }
      if (secret != null && !isOurs(secret)) {
        throw new IOException(
            spec.describe()
                + " exists but was not written by acr-credential (no label "
                + MANAGED_LABEL
                + "); it is left alone and no Pod webhook certificate is issued: delete it or"
                + " choose another name with --webhook-certificate-secret");
      }
      Optional<WebhookCertificates.State> stored =
          secret == null ? Optional.empty() : WebhookCertificates.parse(secret.getData());
      WebhookCertificates.State next =
          WebhookCertificates.next(stored, spec.hosts(), spec.lifetimes(), clock.instant());
      if (stored.isPresent() && next == stored.get()) {
        use(next, "read");
        return;
      }
      try {
        if (secret == null) {
          core.createNamespacedSecret(spec.namespace(), build(next, null))
              .fieldManager(Refresher.COMPONENT)
              .execute();
          use(next, "issued");
        } else {
          core.replaceNamespacedSecret(
                  spec.secretName(),
                  spec.namespace(),
                  build(next, secret.getMetadata().getResourceVersion()))
              .fieldManager(Refresher.COMPONENT)
              .execute();
          use(next, stored.isPresent() ? "rotated" : "issued again (unreadable content)");
        }
        return;
      } catch (ApiException e) {
        if (e.getCode() != 409) {
          throw failure(secret == null ? "create" : "update", e);
        }
        // another replica wrote first: read the winner
      }
    }
    throw new IOException(spec.describe() + ": kept changing under five attempts to update it");
  }

  private static boolean isOurs(V1Secret secret) {
    Map<String, String> labels =
        secret.getMetadata() == null ? null : secret.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(MANAGED_LABEL));
  }

  private V1Secret build(WebhookCertificates.State state, String resourceVersion) {
    return new V1Secret()
        .metadata(
            new V1ObjectMeta()
                .name(spec.secretName())
                .namespace(spec.namespace())
                .resourceVersion(resourceVersion)
                .labels(
                    Map.of(
                        "app.kubernetes.io/name",
                        Refresher.COMPONENT,
                        "app.kubernetes.io/managed-by",
                        Refresher.COMPONENT,
                        MANAGED_LABEL,
                        "true")))
        .type("Opaque")
        .data(state.toData());
  }

  private void use(WebhookCertificates.State state, String how) throws IOException {
    WebhookCertificates.State before = current;
    if (before != null
        && before.serving().equals(state.serving())
        && before.trusted().equals(state.trusted())) {
      resolved();
      return;
    }
    keys.swap(state.serving(), state.servingKey());
    current = state;
    resolved();
    LOG.info(
        "Pod webhook certificate {} ({}): serving certificate valid until {}, {} CA(s) trusted",
        how,
        spec.describe(),
        state.serving().getNotAfter().toInstant(),
        state.trusted().size());
    listener.accept(state);
  }

  private IOException failure(String verb, ApiException e) {
    String hint =
        e.getCode() == 403
            ? "; grant get, update (resourceNames ["
                + spec.secretName()
                + "]) and create on secrets in namespace "
                + spec.namespace()
                + " (see the Role acr-credential-webhook-certificate in deploy/webhook/rbac.yaml)"
            : "";
    return new IOException(
        "cannot " + verb + " " + spec.describe() + ": " + KubeErrors.describe(api, e) + hint);
  }

  private void problem(String text) {
    if (!Objects.equals(text, lastProblem)) {
      lastProblem = text;
      LOG.warn("{}", text);
    }
  }

  private void resolved() {
    if (!lastProblem.isEmpty()) {
      lastProblem = "";
      LOG.info("{} is readable again", spec.describe());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /**
   * Serves the latest state's pair. Each pair has its own alias (the serial number), and the
   * previous pair stays reachable by its alias, so a handshake that chose an alias just before a
   * swap still gets a certificate and key that belong together.
   */
  static final class SwappingKeyManager extends X509ExtendedKeyManager {
    private record Pair(String alias, X509Certificate certificate, PrivateKey key) {
      @Override
      public String toString() {
        return "Pair[" + alias + "]";
      }
    }

    private volatile Pair current;
    private volatile Pair previous;

    synchronized void swap(X509Certificate leaf, PrivateKey key) {
      previous = current;
      current = new Pair("webhook-" + leaf.getSerialNumber().toString(16), leaf, key);
    }

    /** The serving certificate in use, or null. */
    X509Certificate leaf() {
      Pair p = current;
      return p == null ? null : p.certificate();
    }

    private Pair byAlias(String alias) {
      Pair c = current;
      if (c != null && c.alias().equals(alias)) {
        return c;
      }
      Pair p = previous;
      return p != null && p.alias().equals(alias) ? p : null;
    }

    private String choose(String keyType) {
      Pair c = current;
      return c != null && keyType != null && keyType.equalsIgnoreCase(c.key().getAlgorithm())
          ? c.alias()
          : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      String a = choose(keyType);
      return a == null ? null : new String[] {a};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return choose(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return choose(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      Pair p = byAlias(alias);
      return p == null ? null : new X509Certificate[] {p.certificate()};
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      Pair p = byAlias(alias);
      return p == null ? null : p.key();
    }
  }
}
