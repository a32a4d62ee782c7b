package io.acrcredential.k8s;

import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.internal.ApiErrors;
import io.acrcredential.k8s.webhook.PullSecretNames;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.auth.ApiKeyAuth;
import io.kubernetes.client.openapi.auth.Authentication;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code kubernetes.io/dockerconfigjson} pull Secrets and ServiceAccount {@code
 * imagePullSecrets} in sync with the credentials of a {@link TokenProvider}, in every namespace an
 * {@link AcrConfiguration} puts in scope. Embeddable: an operator builds one, {@link #start()}s it
 * in its own process and {@link #close()}s it; nothing is static.
 *
 * <pre>{@code
 * CachingTokenProvider cache = CachingTokenProvider.builder(acrProvider).build();
 * PullSecretSync sync = PullSecretSync.builder()
 *     .apiClient(apiClient)
 *     .configuration(configuration)
 *     .tokenProvider(cache)
 *     .leaderElection("kube-system", "acr-credential-sync", podName)
 *     .build();
 * sync.start();
 * }</pre>
 *
 * <p>Watches namespaces, ServiceAccounts and its own Secrets (by name, so the identity needs no
 * right over other Secrets), fetches credentials once for all namespaces, writes only differences,
 * conditionally and through a client-side rate limit, never touches objects or list entries it does
 * not own, and with {@linkplain PullSecretSyncBuilder#leaderElection leader election} writes only
 * while the fence says it holds the Lease. How each part works: the module's README.md, "How the
 * sync works".
 *
 * <p>Thread-safe. {@link #close()} stops every thread this object started.
 */
public final class PullSecretSync implements PullSecretNames, AutoCloseable {

  /** Label on every Secret this project manages; value {@code true}. */
  public static final String MANAGED_LABEL = Markers.MANAGED_LABEL;

  /** Label naming the sync instance that manages a Secret. */
  public static final String INSTANCE_LABEL = Markers.INSTANCE_LABEL;

  /** Annotation with the instant (ISO-8601) the earliest credential in a Secret expires. */
  public static final String EXPIRES_AT_ANNOTATION = Markers.EXPIRES_ANNOTATION;

  /** Annotation with the comma-separated registry domains a Secret holds. */
  public static final String DOMAINS_ANNOTATION = Markers.DOMAINS_ANNOTATION;

  /**
   * Annotation on a Secret that Alibaba's helper wrote and this project took over; value {@code
   * aliyun-acr-credential-helper}. The ServiceAccount entries naming such a Secret count as this
   * instance's (they are removed with it).
   */
  public static final String TAKEN_OVER_ANNOTATION = Markers.TAKEN_OVER_ANNOTATION;

  /** The default instance name. */
  public static final String DEFAULT_INSTANCE = "default";

  private static final Logger LOG = LoggerFactory.getLogger(PullSecretSync.class);

  private final ApiClient apiClient;
  private final ApiClient listClient;
  private final ApiClient ownInformerClient;
  private final SharedInformerFactory factory;
  private final boolean ownsFactory;
  private final TokenProvider tokenProvider;
  private final List<SyncListener> listeners;
  private final Markers markers;
  private final int workerCount;
  private final Duration resyncPeriod;
  private final Clock clock;
  private final WriteLimiter limiter;
  private final WarningEvents events;
  private final Leadership leadership;
  private final WriteFence fence;
  private final NamespaceWorkers work;
  private final boolean reuseStoredTokens;
  private final boolean writeRateExplicit;

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private volatile AcrConfiguration configuration;
  private volatile boolean ready;

  private ScheduledExecutorService scheduler;
  private volatile SyncInformers informers;
  private volatile CredentialRefresh credentials;
  private volatile NamespaceReconciler reconciler;
  private Thread starter;

  PullSecretSync(PullSecretSyncBuilder b) {
    this.apiClient = b.apiClient;
    this.configuration = b.configuration;
    this.tokenProvider = b.effectiveTokenProvider();
    this.listeners = List.copyOf(b.listeners);
    this.markers = new Markers(b.instance);
    this.workerCount = b.workers;
    this.resyncPeriod = b.resyncPeriod;
    this.clock = b.clock;
    this.limiter = new WriteLimiter(b.writesPerSecond, b.writeBurst);
    this.leadership =
        new Leadership(
            b.leader,
            b.apiClient,
            b.instance,
            this::leading,
            this::runOnScheduler,
            now -> notifyListeners(l -> l.leadershipChanged(now)));
    this.fence = leadership.fence();
    this.reuseStoredTokens = b.reuseStoredTokens;
    this.writeRateExplicit = b.writeRateExplicit;
    if (b.informerFactory != null) {
      this.factory = b.informerFactory;
      this.ownsFactory = false;
      this.listClient = b.apiClient;
      this.ownInformerClient = informerClientFrom(b.apiClient);
    } else {
      ApiClient informerClient =
          b.informerApiClient != null ? b.informerApiClient : informerClientFrom(b.apiClient);
      this.factory = new SharedInformerFactory(informerClient);
      this.ownsFactory = true;
      this.listClient = informerClient;
      this.ownInformerClient = informerClient;
    }
    this.events =
        WarningEvents.fenced(
            new CoreV1Api(apiClient), b.component, b.instance, this.limiter, this.fence);
    this.work =
        new NamespaceWorkers(
            apiClient, fence, events, b.retryBase, b.retryMax, this::notifyListeners);
  }

  /**
   * Starts building a sync.
   *
   * @return a new builder
   */
  public static PullSecretSyncBuilder builder() {
    return new PullSecretSyncBuilder();
  }

  /**
   * Registers the informers, starts them and, once their caches are filled, the workers (and leader
   * election when configured). Returns at once; the first reconciliation of every namespace follows
   * within moments.
   *
   * @throws IllegalStateException when called twice or after {@link #close()}
   */
  public void start() {
    if (closed.get()) {
      throw new IllegalStateException("this PullSecretSync is closed; build a new one");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("this PullSecretSync was already started");
    }
    String prefix = threadPrefix();
    scheduler = Executors.newSingleThreadScheduledExecutor(Threads.named(prefix + "-credentials"));
    work.open();
    SyncInformers i =
        new SyncInformers(
            factory,
            ownsFactory,
            listClient,
            ownInformerClient,
            markers,
            scheduler,
            work::enqueue,
            this::namespaceDeleted);
    i.start(prefix, configuration.secretNamesKnownAhead());
    informers = i;
    reconciler =
        new NamespaceReconciler(
            apiClient,
            markers,
            i.secrets(),
            i.serviceAccounts(),
            limiter,
            fence,
            events,
            clash -> notifyListeners(l -> l.secretClash(clash)),
            System::nanoTime);
    NamespaceReconciler r = reconciler;
    i.followSecretCaches(r::cacheMoved, r::cacheRestarted);
    i.run(configuration.namespaces());
    credentials =
        new CredentialRefresh(
            tokenProvider,
            () -> configuration,
            clock,
            limiter,
            scheduler,
            this::watchSecretNames,
            this::enqueueAll,
            () -> i.countInScope(configuration.namespaces()),
            reuseStoredTokens ? storedCredentials(i) : null,
            fence::mayWrite,
            !writeRateExplicit);
    credentials.start();
    starter = Threads.named(prefix + "-start").newThread(this::awaitCachesThenRun);
    starter.start();
  }

  /**
   * Whether the informer caches are filled and the workers run.
   *
   * @return true once started and ready
   */
  public boolean isReady() {
    return ready && !closed.get();
  }

  /**
   * Whether this instance currently writes: always true once ready without leader election, true
   * while holding the lease with it. With leader election it turns false as soon as a read of the
   * Lease shows another holder, and whenever the lease was not renewed within the renew deadline
   * (see {@link PullSecretSyncBuilder#leaderElectionTimings}); it is checked before every single
   * write.
   *
   * @return whether this instance leads
   */
  public boolean isLeader() {
    return fence.mayWrite();
  }

  /**
   * Tells the sync that credentials may have changed: they are fetched again from the token
   * provider and, if any Secret's content changed, every namespace is rewritten. A token provider
   * that offers change notification (such as a {@code CachingTokenProvider}), or a {@link
   * RotationSignal}, makes this unnecessary.
   */
  public void credentialsChanged() {
    CredentialRefresh c = credentials;
    if (c != null && !closed.get()) {
      c.changed();
    }
  }

  /**
   * The pull Secret names this sync manages right now, sorted: for the per-domain layout one name
   * per registry domain ({@code acr-credential-<md5(domain)>}), for the combined layout the one
   * configured name. Domains given in the configuration count from the start; domains the token
   * provider resolves at run time (an Enterprise Edition instance's endpoints, a region's default
   * Personal Edition domains) count once their credentials were fetched.
   *
   * <p>These are the names the identity needs RBAC for: when some domains are resolved at run time,
   * render the manifest from them ({@code RbacManifest.render(namespace, serviceAccount, lease,
   * sync.managedSecretNames())}), or ahead of time with {@link
   * RbacManifest#secretNames(AcrConfiguration, TokenProvider)}. A name that left the configuration
   * is no longer listed here but is still watched until its Secrets are deleted; keep it in the
   * manifest until then.
   *
   * @return the names; empty before {@link #start()}
   */
  public Set<String> managedSecretNames() {
    SyncInformers i = informers;
    return i == null ? Set.of() : Set.copyOf(i.secrets().activeNames());
  }

  /**
   * The pull Secret names a Pod created now in {@code namespace} under {@code serviceAccount}
   * should list, in the order the sync gives them to ServiceAccounts: what {@link
   * io.acrcredential.k8s.webhook.PodPullSecretWebhook} adds to a Pod whose ServiceAccount may not
   * have been patched yet.
   *
   * <p>Answered from this replica's state alone, so a standby (leader election, not leading) gives
   * the same answer as the leader: the current {@linkplain #configuration() configuration}, the
   * credentials last fetched, and the namespace informer's cache. A namespace the cache has not
   * seen yet (created a moment ago) is read from the API server when the answer depends on its
   * labels. Empty when the namespace or the ServiceAccount is out of scope, when ServiceAccount
   * patching is off ({@code patch-service-accounts: false}: then Pods are not changed either), and
   * before the first credentials were fetched. Names whose Secret in that namespace is held by
   * someone else (a clash this replica saw) are left out, as they are on ServiceAccounts.
   *
   * @param namespace the Pod's namespace
   * @param serviceAccount the Pod's ServiceAccount ({@code default} when the Pod names none)
   * @return the names, possibly empty; never null
   * @throws IllegalStateException when the namespace had to be read and the read failed
   */
  @Override
  public List<String> pullSecretNamesFor(String namespace, String serviceAccount) {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    AcrConfiguration config = configuration;
    CredentialRefresh c = credentials;
    CredentialSnapshot current = c == null ? null : c.snapshot();
    SyncInformers i = informers;
    if (current == null || i == null || closed.get()) {
      return List.of();
    }
    if (!config.serviceAccounts().includes(serviceAccount)) {
      return List.of();
    }
    NamespaceScope scope = config.namespaces();
    if (scope.isExcluded(namespace)) {
      return List.of();
    }
    boolean inScope = scope.all() || scope.names().contains(namespace);
    if (!inScope && scope.selector().isPresent()) {
      inScope = scope.includes(namespace, namespaceLabels(i, namespace));
    }
    if (!inScope) {
      return List.of();
    }
    NamespaceReconciler r = reconciler;
    List<String> names = new ArrayList<>();
    for (String name : current.secrets().keySet()) {
      if (r == null || !r.knownClash(namespace, name)) {
        names.add(name);
      }
    }
    for (String name : current.protectedNames()) {
      V1Secret cached = i.secrets().get(namespace, name);
      if (cached != null && markers.isOurs(cached.getMetadata().getLabels())) {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }

  /** A namespace's labels from the cache, else from the API server (it may be brand-new). */
  private Map<String, String> namespaceLabels(SyncInformers i, String namespace) {
    V1Namespace ns = i.namespace(namespace);
    if (ns == null) {
      try {
        ns = new CoreV1Api(apiClient).readNamespace(namespace).execute();
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          return Map.of();
        }
        throw new IllegalStateException(
            "cannot read namespace "
                + namespace
                + " for its labels: "
                + ApiErrors.describe(apiClient, e));
      }
    }
    return SyncInformers.labels(ns);
  }

  /**
   * What the ServiceAccount informers watch now: namespace names, and {@code *} for a cluster-wide
   * informer; empty before {@link #start()}.
   */
  Set<String> serviceAccountWatch() {
    SyncInformers i = informers;
    return i == null ? Set.of() : i.serviceAccountWatch();
  }

  /** The ServiceAccounts of a namespace as the reconciler sees them now. */
  List<V1ServiceAccount> cachedServiceAccounts(String namespace) {
    SyncInformers i = informers;
    return i == null ? List.of() : i.cachedServiceAccounts(namespace);
  }

  /** How many ServiceAccounts the sync's own informers keep in memory now. */
  int cachedServiceAccountCount() {
    SyncInformers i = informers;
    return i == null ? 0 : i.cachedServiceAccountCount();
  }

  /** Every name watched, including names kept only until their Secrets are cleaned up. */
  Set<String> watchedSecretNames() {
    SyncInformers i = informers;
    return i == null ? Set.of() : i.secrets().watchedNames();
  }

  /** The retry delay of a namespace's {@code attempt}-th failure. */
  Duration backoff(int attempt) {
    return work.backoff(attempt);
  }

  /**
   * Replaces the configuration (for example after the {@code acr-configuration} ConfigMap changed).
   * Namespaces and ServiceAccounts that left the scope are cleaned up: this instance's Secrets
   * there are deleted and its {@code imagePullSecrets} entries removed.
   *
   * @param newConfiguration the new configuration
   * @throws NullPointerException when it is null
   */
  public void updateConfiguration(AcrConfiguration newConfiguration) {
    this.configuration = Objects.requireNonNull(newConfiguration, "newConfiguration");
    ScheduledExecutorService s = scheduler;
    if (s != null && !closed.get()) {
      s.execute(
          () -> {
            informers.followScope(configuration.namespaces());
            credentials.refresh();
            enqueueAll();
          });
    }
  }

  /**
   * The configuration in use.
   *
   * @return the current configuration
   */
  public AcrConfiguration configuration() {
    return configuration;
  }

  /**
   * Stops the sync: no write is sent from the moment it is called (a namespace being reconciled is
   * left as it is, even half-done), the lease (if held) is released, informers this object
   * registered in its own factory and its own Secret and ServiceAccount informers are stopped, and
   * every thread it started ends. Objects in the cluster are left as they are. A shared {@linkplain
   * PullSecretSyncBuilder#informerFactory informer factory} is not stopped. Calling it again does
   * nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    leadership.closeFence(); // first: a namespace being reconciled sends no further write
    ready = false;
    CredentialRefresh c = credentials;
    if (c != null) {
      c.close();
    }
    if (!started.get()) {
      return;
    }
    Threads.interruptAndJoin(starter);
    work.close();
    leadership.close();
    informers.close();
    Threads.shutdown(scheduler);
    LOG.info("acr-credential sync {} stopped", markers.instance());
  }

  @Override
  public String toString() {
    return "PullSecretSync[instance="
        + markers.instance()
        + (closed.get() ? ", closed" : started.get() ? ", started" : "")
        + (fence.mayWrite() ? ", leader" : "")
        + "]";
  }

  private String threadPrefix() {
    return "acr-sync-" + markers.instance();
  }

  private void awaitCachesThenRun() {
    SyncInformers i = informers;
    try {
      i.awaitFilled();
    } catch (InterruptedException e) {
      return;
    }
    if (closed.get()) {
      return;
    }
    runOnScheduler(i::schedulePrune);
    runOnScheduler(credentials::followClusterSize); // the namespace count is known now
    NamespaceReconciler r = reconciler;
    work.startWorkers(
        workerCount,
        threadPrefix(),
        i::namespace,
        ns -> r.reconcile(ns, configuration, credentials.snapshot()),
        r::forget);
    scheduler.scheduleWithFixedDelay(
        () -> {
          i.secrets().prune();
          credentials.followClusterSize();
          enqueueAll();
        },
        resyncPeriod.toMillis(),
        resyncPeriod.toMillis(),
        TimeUnit.MILLISECONDS);
    ready = true;
    leadership.start(Threads.named(threadPrefix() + "-leader"));
    LOG.info("acr-credential sync {} ready", markers.instance());
  }

  /**
   * This replica (again) may write: first take the tokens the Secrets hold now if they are fresh
   * (written by the previous leader), then reconcile every namespace.
   */
  private void leading() {
    runOnScheduler(
        () -> {
          CredentialRefresh c = credentials;
          if (c != null && reuseStoredTokens) {
            c.refresh(CredentialRefresh.Reason.LEADING);
          }
          enqueueAll();
        });
  }

  /** The managed Secrets as a token cache: read back with a direct GET. */
  private StoredCredentials storedCredentials(SyncInformers i) {
    CoreV1Api api = new CoreV1Api(apiClient);
    return new StoredCredentials(
        (ns, name) -> {
          try {
            return api.readNamespacedSecret(name, ns).execute();
          } catch (ApiException e) {
            if (e.getCode() == 404) {
              return null;
            }
            throw e;
          }
        },
        i.secrets(),
        scope -> i.inScope(i.secrets().namespaces(), scope),
        () -> i.secrets().settled() && i.namespacesSynced(),
        markers);
  }

  private void namespaceDeleted(String namespace) {
    work.forget(namespace);
    NamespaceReconciler r = reconciler;
    if (r != null) {
      r.forget(namespace);
    }
  }

  private void enqueueAll() {
    SyncInformers i = informers;
    if (i != null && !closed.get()) {
      i.enqueueAll();
    }
  }

  /** Watches the names the configuration and the latest credentials lead to. */
  private void watchSecretNames(CredentialSnapshot current) {
    Set<String> names = new LinkedHashSet<>(configuration.secretNamesKnownAhead());
    names.addAll(current.secrets().keySet());
    names.addAll(current.protectedNames());
    informers.watchSecretNames(names);
  }

  private void runOnScheduler(Runnable task) {
    if (!closed.get()) {
      Threads.runUnlessClosing(scheduler, task);
    }
  }

  private void notifyListeners(Consumer<SyncListener> call) {
    for (SyncListener l : listeners) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        LOG.warn("a SyncListener threw {}", e.toString());
      }
    }
  }

  /**
   * A client for informers: same server, TLS and credentials, but its own read timeout (the
   * informer factory sets it to infinite), so the embedder's client keeps its timeouts.
   */
  static ApiClient informerClientFrom(ApiClient client) {
    ApiClient copy =
        new ApiClient(client.getHttpClient().newBuilder().readTimeout(Duration.ZERO).build());
    copy.setBasePath(client.getBasePath());
    Authentication auth = client.getAuthentication("BearerToken");
    if (auth instanceof ApiKeyAuth key && key.getApiKey() != null) {
      copy.setApiKey(key.getApiKey());
      copy.setApiKeyPrefix(key.getApiKeyPrefix());
    }
    return copy;
  }
}
