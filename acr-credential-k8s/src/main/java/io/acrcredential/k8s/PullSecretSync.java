package io.acrcredential.k8s;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.acrcredential.k8s.webhook.PullSecretNames;
import io.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.kubernetes.client.extended.leaderelection.LeaderElector;
import io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.kubernetes.client.extended.workqueue.DefaultDelayingQueue;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.auth.ApiKeyAuth;
import io.kubernetes.client.openapi.auth.Authentication;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NamespaceList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1Status;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;
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
 * <h2>What it does</h2>
 *
 * <ul>
 *   <li>Informers watch namespaces, ServiceAccounts and this instance's Secrets; a change enqueues
 *       the namespace. Secrets are watched by name, one informer per managed pull Secret name
 *       (field selector {@code metadata.name=<name>}), so the identity needs no right to list or
 *       watch other Secrets: the shipped {@link RbacManifest} restricts every Secret verb except
 *       {@code create} to those names. The names come from the configured domains and, for
 *       registries whose domains are resolved at run time, from the fetched credentials; see {@link
 *       #managedSecretNames()}. ServiceAccounts follow the namespace scope: for a plain list of
 *       names (no {@code all}, no selector; for example the {@code watch-namespace: default} of
 *       Alibaba's helper) one informer per listed namespace, so a sync serving a few namespaces of
 *       a large cluster neither lists nor keeps every ServiceAccount of the cluster; for {@code
 *       all} or a selector one informer over all namespaces. When {@link #updateConfiguration}
 *       changes the list or the kind of scope, the new informers start at once and the old ones
 *       stop only once the new ones are filled and the ServiceAccounts that left the scope are
 *       cleaned up. Namespaces are always watched cluster-wide (they are few and small, and a
 *       selector or a scope change needs them). A work queue keyed by namespace feeds a bounded
 *       pool of workers; a failing namespace is retried with exponential backoff and never blocks
 *       others.
 *   <li>Credentials are fetched once for all namespaces (not per namespace); a credential change
 *       rewrites every namespace at once. When the token provider is a {@link
 *       CachingTokenProvider}, the sync {@linkplain CachingTokenProvider#addListener subscribes} to
 *       it on {@link #start()} and unsubscribes on {@link #close()}; any other provider reports
 *       changes through a {@link RotationSignal}. The approach of the expiry triggers a refetch in
 *       any case.
 *   <li>Only differences are written, conditionally on the read resourceVersion/uid and through a
 *       client-side rate limit: in steady state no write request is made. A rotation raises the
 *       limit when needed so that every Secret holds the new token before the old one expires (see
 *       {@link Builder#writeRateLimit}). A Secret with the same name that does not carry this
 *       instance's labels is never touched; the clash is reported to the listener and as a
 *       Kubernetes Event. Only {@code imagePullSecrets} entries this instance added (recorded in an
 *       annotation on the ServiceAccount) are ever removed.
 *   <li>With {@linkplain Builder#leaderElection leader election}, only the holder of a {@code
 *       coordination.k8s.io} Lease writes; the lease is released on {@link #close()} so a standby
 *       takes over at once. Leadership is checked right before every single write (Secret create,
 *       replace and delete, ServiceAccount update, Event): once a read of the Lease shows another
 *       holder, once the lease was not renewed within the renew deadline, or once {@link #close()}
 *       began, the namespace being reconciled is left unfinished, without a failure or retry, for
 *       the leader to complete. This is client-side fencing only (the API server knows nothing of
 *       the Lease): a write already sent is still applied.
 * </ul>
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

  /** The default instance name. */
  public static final String DEFAULT_INSTANCE = "default";

  private static final Logger LOG = LoggerFactory.getLogger(PullSecretSync.class);
  private static final Pattern INSTANCE_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?");
  private static final Duration MIN_REFRESH = Duration.ofSeconds(1);
  private static final Duration CREDENTIAL_RETRY_MAX = Duration.ofMinutes(1);

  private final ApiClient apiClient;
  private final ApiClient informerClient;
  private final ApiClient secretInformerClient;
  private final SharedInformerFactory factory;
  private final boolean ownsFactory;
  private final TokenProvider tokenProvider;
  private final Optional<RotationSignal> rotationSignal;
  private final List<SyncListener> listeners;
  private final Markers markers;
  private final int workerCount;
  private final Duration resyncPeriod;
  private final Duration retryBase;
  private final Duration retryMax;
  private final Builder.LeaderSettings leaderSettings;
  private final Clock clock;
  private final WriteLimiter limiter;
  private final EventReporter events;
  private final Runnable rotationSubscriber = this::credentialsChanged;
  private final CacheListener cacheSubscriber = CacheListener.onChange(c -> credentialsChanged());

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final AtomicInteger credentialFailures = new AtomicInteger();

  private volatile AcrConfiguration configuration;
  private volatile CredentialSnapshot snapshot;
  private final WriteFence fence;
  private volatile boolean ready;
  private boolean reportedLeader; // guarded by publishLeadership's lock

  private SharedIndexInformer<V1Namespace> namespaceInformer;
  private volatile ServiceAccountInformers serviceAccounts;
  private ExecutorService serviceAccountInformerExecutor;
  private final AtomicBoolean serviceAccountPruneScheduled = new AtomicBoolean();
  private SecretInformers secretInformers;
  private ExecutorService secretInformerExecutor;
  private Lister<V1Namespace> namespaces;
  private NamespaceReconciler reconciler;
  private DefaultDelayingQueue<String> queue;
  private ExecutorService queueExecutor;
  private ExecutorService workers;
  private ScheduledExecutorService scheduler;
  private ScheduledFuture<?> nextRefresh;
  private Thread starter;
  private Thread leaderThread;
  private volatile LeaderElector elector;

  private PullSecretSync(Builder b) {
    this.apiClient = b.apiClient;
    this.configuration = b.configuration;
    this.tokenProvider = b.tokenProvider;
    this.rotationSignal = Optional.ofNullable(b.rotationSignal);
    this.listeners = List.copyOf(b.listeners);
    this.markers = new Markers(b.instance);
    this.workerCount = b.workers;
    this.resyncPeriod = b.resyncPeriod;
    this.retryBase = b.retryBase;
    this.retryMax = b.retryMax;
    this.leaderSettings = b.leader;
    this.clock = b.clock;
    this.limiter = new WriteLimiter(b.writesPerSecond, b.writeBurst);
    this.fence =
        b.leader == null
            ? WriteFence.unelected()
            : WriteFence.elected(
                b.leader.identity(),
                b.leader.renewDeadline(),
                System::nanoTime,
                this::leaseObservationChanged);
    if (b.informerFactory != null) {
      this.factory = b.informerFactory;
      this.ownsFactory = false;
      this.informerClient = null;
      this.secretInformerClient = informerClientFrom(b.apiClient);
    } else {
      this.informerClient =
          b.informerApiClient != null ? b.informerApiClient : informerClientFrom(b.apiClient);
      this.factory = new SharedInformerFactory(informerClient);
      this.ownsFactory = true;
      this.secretInformerClient = informerClient;
    }
    this.events =
        new EventReporter(
            new CoreV1Api(apiClient), b.component, b.instance, this.limiter, this.fence);
  }

  /**
   * Starts building a sync.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
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
    String prefix = "acr-sync-" + markers.instance();
    scheduler = Executors.newSingleThreadScheduledExecutor(threads(prefix + "-credentials"));
    queueExecutor = Executors.newSingleThreadExecutor(threads(prefix + "-queue"));
    queue = new DefaultDelayingQueue<>(queueExecutor);
    serviceAccountInformerExecutor =
        Executors.newCachedThreadPool(threads(prefix + "-serviceaccount-informers"));
    registerInformers();
    secretInformerExecutor = Executors.newCachedThreadPool(threads(prefix + "-secret-informers"));
    secretInformers =
        new SecretInformers(
            secretInformerClient, markers.selector(), secretHandler(), secretInformerExecutor);
    secretInformers.watch(configuration.secretNamesKnownAhead());
    reconciler =
        new NamespaceReconciler(
            apiClient,
            markers,
            secretInformers,
            serviceAccounts,
            limiter,
            fence,
            events,
            clash -> notifyListeners(l -> l.secretClash(clash)));
    factory.startAllRegisteredInformers();
    serviceAccounts.follow(configuration.namespaces());
    rotationSignal.ifPresent(s -> s.subscribe(rotationSubscriber));
    if (tokenProvider instanceof CachingTokenProvider cache) {
      cache.addListener(cacheSubscriber);
    }
    scheduler.execute(this::refreshCredentials);
    starter = threads(prefix + "-start").newThread(this::awaitCachesThenRun);
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
   * (see {@link Builder#leaderElectionTimings}); it is checked before every single write.
   *
   * @return whether this instance leads
   */
  public boolean isLeader() {
    return fence.mayWrite();
  }

  /**
   * Tells the sync that credentials may have changed: they are fetched again from the token
   * provider and, if any Secret's content changed, every namespace is rewritten. A {@link
   * CachingTokenProvider} given as the token provider, or a {@link RotationSignal}, calls this for
   * you.
   */
  public void credentialsChanged() {
    ScheduledExecutorService s = scheduler;
    if (s != null && !closed.get()) {
      try {
        s.execute(this::refreshCredentials);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
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
  public java.util.Set<String> managedSecretNames() {
    SecretInformers s = secretInformers;
    return s == null ? java.util.Set.of() : java.util.Set.copyOf(s.activeNames());
  }

  /**
   * The pull Secret names a Pod created now in {@code namespace} under {@code serviceAccount}
   * should list, in the order the sync gives them to ServiceAccounts: what {@link
   * PodPullSecretWebhook} adds to a Pod whose ServiceAccount may not have been patched yet.
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
    CredentialSnapshot current = snapshot;
    SecretInformers cache = secretInformers;
    if (current == null || cache == null || closed.get()) {
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
      inScope = scope.includes(namespace, namespaceLabels(namespace));
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
      V1Secret cached = cache.get(namespace, name);
      if (cached != null && markers.isOurs(cached.getMetadata().getLabels())) {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }

  /** A namespace's labels from the cache, else from the API server (it may be brand-new). */
  private Map<String, String> namespaceLabels(String namespace) {
    Lister<V1Namespace> lister = namespaces;
    V1Namespace ns = lister == null ? null : lister.get(namespace);
    if (ns == null) {
      try {
        ns = new CoreV1Api(apiClient).readNamespace(namespace).execute();
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          return Map.of();
        }
        throw new IllegalStateException(
            "cannot read namespace " + namespace + " for its labels: " + describe(e));
      }
    }
    Map<String, String> labels = ns.getMetadata() == null ? null : ns.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }

  /**
   * What the ServiceAccount informers watch now: namespace names, and {@code *} for a cluster-wide
   * informer; empty before {@link #start()}.
   */
  java.util.Set<String> serviceAccountWatch() {
    ServiceAccountInformers s = serviceAccounts;
    return s == null ? java.util.Set.of() : s.watched();
  }

  /** The ServiceAccounts of a namespace as the reconciler sees them now. */
  List<V1ServiceAccount> cachedServiceAccounts(String namespace) {
    ServiceAccountInformers s = serviceAccounts;
    return s == null ? List.of() : s.list(namespace);
  }

  /** How many ServiceAccounts the sync's own informers keep in memory now. */
  int cachedServiceAccountCount() {
    ServiceAccountInformers s = serviceAccounts;
    return s == null ? 0 : s.cachedCount();
  }

  /** Every name watched, including names kept only until their Secrets are cleaned up. */
  java.util.Set<String> watchedSecretNames() {
    SecretInformers s = secretInformers;
    return s == null ? java.util.Set.of() : s.watchedNames();
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
            followScope();
            refreshCredentials();
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
   * Builder#informerFactory informer factory} is not stopped. Calling it again does nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    fence.close(); // first: a namespace being reconciled sends no further write
    ready = false;
    rotationSignal.ifPresent(s -> s.unsubscribe(rotationSubscriber));
    if (tokenProvider instanceof CachingTokenProvider cache) {
      cache.removeListener(cacheSubscriber);
    }
    if (!started.get()) {
      return;
    }
    interruptAndJoin(starter);
    queue.shutDown();
    shutdown(workers);
    LeaderElector e = elector;
    if (e != null) {
      e.close(); // gives the lease up when held, so a standby takes over at once
    }
    interruptAndJoin(leaderThread);
    if (ownsFactory) {
      factory.stopAllRegisteredInformers(true);
    }
    secretInformers.close();
    serviceAccounts.close();
    shutdown(secretInformerExecutor);
    shutdown(serviceAccountInformerExecutor);
    shutdown(scheduler);
    shutdown(queueExecutor);
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

  // ---- informers ----

  private void registerInformers() {
    CoreV1Api informerApi = new CoreV1Api(informerClient != null ? informerClient : apiClient);
    namespaceInformer = factory.getExistingSharedIndexInformer(V1Namespace.class);
    if (namespaceInformer == null) {
      namespaceInformer =
          factory.sharedIndexInformerFor(
              p ->
                  informerApi
                      .listNamespace()
                      .resourceVersion(p.resourceVersion)
                      .timeoutSeconds(p.timeoutSeconds)
                      .watch(p.watch)
                      .buildCall(null),
              V1Namespace.class,
              V1NamespaceList.class);
    }
    // A cluster-wide ServiceAccount informer the embedder's factory already holds is read whatever
    // the scope (it costs nothing more); otherwise the sync's own informers follow the scope.
    SharedIndexInformer<V1ServiceAccount> sharedServiceAccounts =
        ownsFactory ? null : factory.getExistingSharedIndexInformer(V1ServiceAccount.class);
    serviceAccounts =
        new ServiceAccountInformers(
            secretInformerClient,
            handler(
                (a, b) ->
                    !Objects.equals(a.getImagePullSecrets(), b.getImagePullSecrets())
                        || !Objects.equals(annotations(a), annotations(b)),
                sa -> sa.getMetadata().getNamespace(),
                false),
            serviceAccountInformerExecutor,
            markers.serviceAccountAnnotation(),
            sharedServiceAccounts);
    namespaces = new Lister<>(namespaceInformer.getIndexer());

    namespaceInformer.addEventHandler(
        handler(
            (oldNs, newNs) ->
                !Objects.equals(labels(oldNs), labels(newNs))
                    || !Objects.equals(
                        oldNs.getMetadata().getDeletionTimestamp(),
                        newNs.getMetadata().getDeletionTimestamp()),
            ns -> ns.getMetadata().getName(),
            false));
  }

  /**
   * Makes the ServiceAccount informers follow the current namespace scope; runs on the scheduler.
   * Retiring informers are checked every second until each could be stopped.
   */
  private void followScope() {
    if (closed.get() || serviceAccounts == null) {
      return;
    }
    serviceAccounts.follow(configuration.namespaces());
    scheduleServiceAccountPrune();
  }

  private void scheduleServiceAccountPrune() {
    if (closed.get()
        || !serviceAccounts.transitioning()
        || !serviceAccountPruneScheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      scheduler.schedule(
          () -> {
            serviceAccountPruneScheduled.set(false);
            if (serviceAccounts.prune()) {
              enqueueAll();
            }
            scheduleServiceAccountPrune();
          },
          1,
          TimeUnit.SECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      serviceAccountPruneScheduled.set(false); // closing
    }
  }

  /** Events of the per-name Secret informers; a deletion may finish a retiring name's cleanup. */
  private ResourceEventHandler<V1Secret> secretHandler() {
    ResourceEventHandler<V1Secret> inner =
        handler((a, b) -> true, s -> s.getMetadata().getNamespace(), true);
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(V1Secret obj) {
        inner.onAdd(obj);
      }

      @Override
      public void onUpdate(V1Secret oldObj, V1Secret newObj) {
        inner.onUpdate(oldObj, newObj);
      }

      @Override
      public void onDelete(V1Secret obj, boolean finalStateUnknown) {
        inner.onDelete(obj, finalStateUnknown);
        SecretInformers s = secretInformers;
        if (s != null && s.isRetiring(obj.getMetadata().getName())) {
          runOnScheduler(s::prune);
        }
      }
    };
  }

  private void runOnScheduler(Runnable task) {
    ScheduledExecutorService s = scheduler;
    if (s != null && !closed.get()) {
      try {
        s.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }
  }

  private <T extends io.kubernetes.client.common.KubernetesObject> ResourceEventHandler<T> handler(
      java.util.function.BiPredicate<T, T> relevantChange,
      java.util.function.Function<T, String> namespaceOf,
      boolean onlyOurs) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        if (!onlyOurs || markers.isOurs(obj.getMetadata().getLabels())) {
          enqueue(namespaceOf.apply(obj));
        }
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        // a resync re-delivers unchanged objects: same resourceVersion means nothing happened
        if (Objects.equals(
            oldObj.getMetadata().getResourceVersion(), newObj.getMetadata().getResourceVersion())) {
          return;
        }
        if (onlyOurs
            && !markers.isOurs(oldObj.getMetadata().getLabels())
            && !markers.isOurs(newObj.getMetadata().getLabels())) {
          return;
        }
        if (relevantChange.test(oldObj, newObj)) {
          enqueue(namespaceOf.apply(newObj));
        }
      }

      @Override
      public void onDelete(T obj, boolean finalStateUnknown) {
        if (obj instanceof V1Namespace) {
          failures.remove(obj.getMetadata().getName());
          NamespaceReconciler r = reconciler;
          if (r != null) {
            r.forget(obj.getMetadata().getName());
          }
          return;
        }
        if (!onlyOurs || markers.isOurs(obj.getMetadata().getLabels())) {
          enqueue(namespaceOf.apply(obj));
        }
      }
    };
  }

  private static Map<String, String> labels(V1Namespace ns) {
    return ns.getMetadata().getLabels();
  }

  private static Map<String, String> annotations(V1ServiceAccount sa) {
    return sa.getMetadata().getAnnotations();
  }

  private void enqueue(String namespace) {
    if (namespace != null && !closed.get() && queue != null) {
      queue.add(namespace);
    }
  }

  private void enqueueAll() {
    if (namespaces == null || closed.get()) {
      return;
    }
    for (V1Namespace ns : namespaces.list()) {
      enqueue(ns.getMetadata().getName());
    }
  }

  // ---- start-up, leadership, workers ----

  private void awaitCachesThenRun() {
    try {
      while (!(namespaceInformer.hasSynced()
          && serviceAccounts.hasSynced()
          && secretInformers.settled())) {
        Thread.sleep(50);
      }
      // Namespaces holding this instance's Secrets that a list scope no longer names (the list
      // was narrowed while the sync was down) are watched too until they are cleaned up, so that
      // the entries on their ServiceAccounts are removed along with the Secrets.
      serviceAccounts.watchUntilCleaned(secretInformers.namespaces());
      while (!serviceAccounts.allSettled()) {
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      return;
    }
    if (closed.get()) {
      return;
    }
    runOnScheduler(this::scheduleServiceAccountPrune);
    String prefix = "acr-sync-" + markers.instance();
    workers = Executors.newFixedThreadPool(workerCount, threads(prefix + "-worker"));
    for (int i = 0; i < workerCount; i++) {
      workers.execute(this::workLoop);
    }
    scheduler.scheduleWithFixedDelay(
        () -> {
          secretInformers.prune();
          enqueueAll();
        },
        resyncPeriod.toMillis(),
        resyncPeriod.toMillis(),
        TimeUnit.MILLISECONDS);
    ready = true;
    if (leaderSettings == null) {
      becomeLeader();
    } else {
      leaderThread = threads(prefix + "-leader").newThread(this::leaderLoop);
      leaderThread.start();
    }
    LOG.info("acr-credential sync {} ready", markers.instance());
  }

  private void leaderLoop() {
    while (!closed.get()) {
      LeaseLock lock =
          new LeaseLock(
              leaderSettings.namespace(),
              leaderSettings.name(),
              leaderSettings.identity(),
              apiClient);
      LeaderElector le =
          new LeaderElector(
              new LeaderElectionConfig(
                  fence.wrap(lock),
                  leaderSettings.leaseDuration(),
                  leaderSettings.renewDeadline(),
                  leaderSettings.retryPeriod()),
              t -> LOG.warn("leader election for {}: {}", markers.instance(), t.toString()));
      elector = le;
      if (closed.get()) {
        break;
      }
      le.run(this::becomeLeader, this::stopLeading);
      if (closed.get()) {
        break;
      }
      // LeaderElector does not re-acquire after losing the lease: start a fresh one.
      le.close();
      try {
        Thread.sleep(leaderSettings.retryPeriod().toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void becomeLeader() {
    if (closed.get()) {
      return;
    }
    fence.lead();
    publishLeadership();
    enqueueAll();
  }

  private void stopLeading() {
    fence.stopLeading();
    publishLeadership();
  }

  /**
   * A Lease request showed another holder, or a renewal succeeded after the fence had closed. Runs
   * on the elector's lease thread, so the listeners are told from the scheduler instead (a slow
   * listener must not delay a renewal). Namespaces abandoned while the fence was closed are
   * enqueued again when it opens while this instance still leads.
   */
  private void leaseObservationChanged() {
    runOnScheduler(
        () -> {
          publishLeadership();
          if (fence.mayWrite()) {
            enqueueAll();
          }
        });
  }

  /**
   * Tells the listeners when leadership as the fence sees it (elector callbacks plus Lease
   * observations) differs from what they were last told. Not after close.
   */
  private synchronized void publishLeadership() {
    boolean now = fence.leads();
    if (closed.get() || now == reportedLeader) {
      return;
    }
    reportedLeader = now;
    if (now) {
      LOG.info("acr-credential sync {} is leader", markers.instance());
    } else {
      LOG.info("acr-credential sync {} is no longer leader", markers.instance());
    }
    notifyListeners(l -> l.leadershipChanged(now));
  }

  private void workLoop() {
    while (!closed.get()) {
      String ns;
      try {
        ns = queue.get();
      } catch (InterruptedException e) {
        return;
      }
      if (ns == null) {
        return;
      }
      try {
        if (fence.mayWrite()) {
          process(ns);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        queue.done(ns);
      }
    }
  }

  private void process(String ns) throws InterruptedException {
    V1Namespace namespace = namespaces.get(ns);
    if (namespace == null) {
      failures.remove(ns);
      reconciler.forget(ns);
      return;
    }
    try {
      NamespaceSyncResult result = reconciler.reconcile(namespace, configuration, snapshot);
      failures.remove(ns);
      if (result != null) {
        if (result.wroteAnything()) {
          LOG.info(
              "namespace {}: created {}, updated {}, deleted {}, ServiceAccounts {}",
              ns,
              result.secretsCreated(),
              result.secretsUpdated(),
              result.secretsDeleted(),
              result.serviceAccountsUpdated());
        }
        notifyListeners(l -> l.namespaceSynced(result));
      }
    } catch (NotLeaderException e) {
      // not a failure: no backoff, no retry; the leader (maybe this instance again) will do it
      LOG.info("namespace {}: left unfinished before its next write: {}", ns, e.getMessage());
    } catch (ApiException e) {
      if (!fence.mayWrite()) {
        LOG.info(
            "namespace {}: {} after this instance stopped leading; left to the leader",
            ns,
            describe(e));
        return;
      }
      fail(namespace, e.getCode(), describe(e));
    } catch (RuntimeException e) {
      LOG.debug("reconciling {} failed", ns, e);
      fail(namespace, 0, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private void fail(V1Namespace namespace, int status, String message) throws InterruptedException {
    String ns = namespace.getMetadata().getName();
    int attempt = failures.merge(ns, 1, Integer::sum);
    Duration delay = backoff(attempt);
    LOG.warn(
        "namespace {}: sync failed (attempt {}, retry in {}): {}", ns, attempt, delay, message);
    if (!closed.get()) {
      queue.addAfter(ns, delay);
    }
    SyncFailure failure = new SyncFailure(ns, message, status, attempt, delay);
    notifyListeners(l -> l.syncFailed(failure));
    if (status == 403) {
      V1ObjectMeta m = namespace.getMetadata();
      // A Namespace is cluster-scoped: the API server only accepts its Events in "default"
      // (kubectl describe namespace finds them there).
      events.warn(
          "default",
          new V1ObjectReference().apiVersion("v1").kind("Namespace").name(ns).uid(m.getUid()),
          "Forbidden",
          "acr-credential cannot keep pull Secrets in this namespace: "
              + message
              + ". Grant the permission (see the shipped rbac.yaml).");
    }
  }

  Duration backoff(int attempt) {
    long base = retryBase.toMillis();
    long max = retryMax.toMillis();
    long delay = base << Math.min(attempt - 1, 30);
    return Duration.ofMillis(Math.min(max, delay <= 0 ? max : delay));
  }

  private String describe(ApiException e) {
    String body = e.getResponseBody();
    if (body != null && !body.isBlank()) {
      try {
        V1Status status = apiClient.getJSON().deserialize(body, V1Status.class);
        if (status != null && status.getMessage() != null) {
          return "HTTP " + e.getCode() + ": " + status.getMessage();
        }
      } catch (RuntimeException ignored) {
        // not a Status
      }
    }
    return "HTTP " + e.getCode() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  // ---- credentials ----

  private void refreshCredentials() {
    if (closed.get()) {
      return;
    }
    List<String> problems = new ArrayList<>();
    CredentialSnapshot previous = snapshot;
    CredentialSnapshot next;
    try {
      next =
          CredentialSnapshot.build(
              configuration, tokenProvider, previous, clock.instant(), problems);
    } catch (RuntimeException e) {
      LOG.warn("building pull Secrets failed: {}", e.toString());
      scheduleRefresh(backoffCredentials());
      return;
    }
    snapshot = next;
    watchSecretNames(next);
    if (!next.sameSecrets(previous)) {
      LOG.info("credentials changed: {}", next);
      paceRotation(previous, next);
      enqueueAll();
    }
    if (!problems.isEmpty()) {
      scheduleRefresh(backoffCredentials());
      return;
    }
    credentialFailures.set(0);
    Duration threshold = configuration.expiringThreshold();
    Duration wait =
        next.earliestExpiry()
            .map(exp -> Duration.between(clock.instant(), exp.minus(threshold)))
            .orElse(Duration.ofMinutes(1));
    scheduleRefresh(wait.compareTo(MIN_REFRESH) < 0 ? MIN_REFRESH : wait);
  }

  /**
   * Raises the write rate for this rotation when the configured one cannot put the new credentials
   * into every affected Secret within half of the time left until the old ones expire.
   */
  private void paceRotation(CredentialSnapshot previous, CredentialSnapshot next) {
    if (previous == null || namespaces == null) {
      return; // the first snapshot replaces no token this instance wrote
    }
    int changed = 0;
    java.time.Instant oldExpiry = null;
    for (DesiredSecret now : next.secrets().values()) {
      DesiredSecret before = previous.secrets().get(now.name());
      if (before != null && !before.equals(now)) {
        changed++;
        if (oldExpiry == null || before.expiresAt().isBefore(oldExpiry)) {
          oldExpiry = before.expiresAt();
        }
      }
    }
    if (changed == 0) {
      return; // only new names: no Secret holds an old token that could expire
    }
    long inScope = countNamespacesInScope();
    long secrets = inScope * changed;
    java.time.Instant now = clock.instant();
    double configured = limiter.configuredRate();
    RotationPace pace =
        RotationPace.plan(secrets, now, oldExpiry, configured, RotationPace.MAX_RATE);
    if (!pace.raised(configured)) {
      return; // the configured rate is enough (a raise of an earlier rotation runs out by itself)
    }
    limiter.raiseUntil(pace.rate(), pace.raiseFor().toNanos());
    if (pace.capped()) {
      LOG.warn(
          "rotation: {} Secret(s) in {} namespace(s) would need {} writes/s to hold the new"
              + " credentials before the old ones expire at {}; writing at the maximum {}/s, so"
              + " some may hold an expired token for a while",
          secrets,
          inScope,
          Double.isInfinite(pace.required())
              ? "unlimited"
              : String.format(java.util.Locale.ROOT, "%.1f", pace.required()),
          oldExpiry,
          String.format(java.util.Locale.ROOT, "%.1f", pace.rate()));
    } else {
      LOG.info(
          "rotation: {} Secret(s) in {} namespace(s) must hold the new credentials before the old"
              + " ones expire at {}; write rate raised from {}/s to {}/s for {} s",
          secrets,
          inScope,
          oldExpiry,
          String.format(java.util.Locale.ROOT, "%.1f", configured),
          String.format(java.util.Locale.ROOT, "%.1f", pace.rate()),
          pace.raiseFor().toSeconds());
    }
  }

  private long countNamespacesInScope() {
    NamespaceScope scope = configuration.namespaces();
    long n = 0;
    for (V1Namespace ns : namespaces.list()) {
      V1ObjectMeta m = ns.getMetadata();
      if (m.getDeletionTimestamp() == null && scope.includes(m.getName(), m.getLabels())) {
        n++;
      }
    }
    return n;
  }

  /**
   * Watches the names the configuration and the latest credentials lead to; names no longer among
   * them are watched until their Secrets are cleaned up.
   */
  private void watchSecretNames(CredentialSnapshot current) {
    java.util.Set<String> names =
        new java.util.LinkedHashSet<>(configuration.secretNamesKnownAhead());
    names.addAll(current.secrets().keySet());
    names.addAll(current.protectedNames());
    secretInformers.watch(names);
    secretInformers.prune();
  }

  private Duration backoffCredentials() {
    int n = credentialFailures.incrementAndGet();
    long millis = 1000L << Math.min(n, 6);
    return Duration.ofMillis(Math.min(millis, CREDENTIAL_RETRY_MAX.toMillis()));
  }

  private void scheduleRefresh(Duration delay) {
    if (closed.get()) {
      return;
    }
    ScheduledFuture<?> previous = nextRefresh;
    if (previous != null) {
      previous.cancel(false);
    }
    try {
      nextRefresh =
          scheduler.schedule(this::refreshCredentials, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  // ---- helpers ----

  private void notifyListeners(Consumer<SyncListener> call) {
    for (SyncListener l : listeners) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        LOG.warn("a SyncListener threw {}", e.toString());
      }
    }
  }

  private static ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static void interruptAndJoin(Thread t) {
    if (t == null) {
      return;
    }
    t.interrupt();
    try {
      t.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void shutdown(ExecutorService executor) {
    if (executor == null) {
      return;
    }
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("threads of {} did not stop within 30 s", executor);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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

  /** Builds a {@link PullSecretSync}; not thread-safe. */
  public static final class Builder {

    record LeaderSettings(
        String namespace,
        String name,
        String identity,
        Duration leaseDuration,
        Duration renewDeadline,
        Duration retryPeriod) {}

    private ApiClient apiClient;
    private ApiClient informerApiClient;
    private SharedInformerFactory informerFactory;
    private AcrConfiguration configuration;
    private TokenProvider tokenProvider;
    private RotationSignal rotationSignal;
    private final List<SyncListener> listeners = new ArrayList<>();
    private String instance = DEFAULT_INSTANCE;
    private String component = "acr-credential-sync";
    private int workers = 4;
    private double writesPerSecond = 20;
    private int writeBurst = 40;
    private Duration resyncPeriod = Duration.ofMinutes(10);
    private Duration retryBase = Duration.ofSeconds(1);
    private Duration retryMax = Duration.ofMinutes(5);
    private LeaderSettings leader;
    private Duration leaseDuration = Duration.ofSeconds(15);
    private Duration renewDeadline = Duration.ofSeconds(10);
    private Duration retryPeriod = Duration.ofSeconds(2);
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * The client used for every read and write (required). Its timeouts are kept: informers get a
     * derived client of their own.
     *
     * @param client an authenticated client
     * @return this builder
     */
    public Builder apiClient(ApiClient client) {
      this.apiClient = Objects.requireNonNull(client, "apiClient");
      return this;
    }

    /**
     * A separate client for the informers' list and watch requests (optional; by default one is
     * derived from {@link #apiClient}). Its read timeout is set to infinite.
     *
     * @param client the client
     * @return this builder
     */
    public Builder informerApiClient(ApiClient client) {
      this.informerApiClient = Objects.requireNonNull(client, "informerApiClient");
      return this;
    }

    /**
     * Shares the embedder's informer factory: an existing namespace informer in it is reused, a
     * missing one is registered and started. A cluster-wide ServiceAccount informer the factory
     * already holds is reused too, whatever the namespace scope (it costs nothing more); without
     * one, ServiceAccounts are watched by informers of the sync's own that follow the scope (one
     * per listed namespace, or one cluster-wide for {@code all} or a selector), use a client
     * derived from {@link #apiClient} and are stopped by {@link #close()}. The embedder owns the
     * factory and stops it; {@link #close()} does not. Secrets are always watched by informers of
     * the sync's own, one per managed pull Secret name (so that no list or watch over every Secret
     * is needed); they use a client derived from {@link #apiClient} and are stopped by {@link
     * #close()}.
     *
     * @param factory the factory
     * @return this builder
     */
    public Builder informerFactory(SharedInformerFactory factory) {
      this.informerFactory = Objects.requireNonNull(factory, "informerFactory");
      return this;
    }

    /**
     * What to keep in sync (required).
     *
     * @param configuration the configuration
     * @return this builder
     */
    public Builder configuration(AcrConfiguration configuration) {
      this.configuration = Objects.requireNonNull(configuration, "configuration");
      return this;
    }

    /**
     * Where credentials come from (required); normally a {@link
     * io.acrcredential.core.CachingTokenProvider}, since it is asked on every credential refresh.
     *
     * @param provider the provider
     * @return this builder
     */
    public Builder tokenProvider(TokenProvider provider) {
      this.tokenProvider = Objects.requireNonNull(provider, "tokenProvider");
      return this;
    }

    /**
     * A signal that triggers an immediate rewrite when credentials change, for a token provider
     * that is not itself a {@link CachingTokenProvider} (for example a router over several caches,
     * each with the signal as a listener). A {@code CachingTokenProvider} given to {@link
     * #tokenProvider} needs no signal: the sync subscribes to it directly.
     *
     * @param signal the signal
     * @return this builder
     */
    public Builder rotationSignal(RotationSignal signal) {
      this.rotationSignal = Objects.requireNonNull(signal, "rotationSignal");
      return this;
    }

    /**
     * Adds a listener for sync results.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(SyncListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Names this instance (default {@code default}); its Secrets carry the label {@value
     * #INSTANCE_LABEL}{@code =<name>}, so several syncs with different configurations can share a
     * cluster without touching each other's objects.
     *
     * @param name a DNS label of at most 40 characters
     * @return this builder
     * @throws IllegalArgumentException when the name is not such a label
     */
    public Builder instanceName(String name) {
      Objects.requireNonNull(name, "instanceName");
      if (!INSTANCE_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "instanceName "
                + Echo.quote(name)
                + " must be a DNS label of at most 40 characters (a-z, 0-9, '-')");
      }
      this.instance = name;
      return this;
    }

    /**
     * The {@code source.component} of the Events this sync records (default {@code
     * acr-credential-sync}).
     *
     * @param component the component name
     * @return this builder
     */
    public Builder eventComponent(String component) {
      this.component = Objects.requireNonNull(component, "eventComponent");
      return this;
    }

    /**
     * How many namespaces are reconciled in parallel (default 4).
     *
     * @param count 1 to 64
     * @return this builder
     */
    public Builder workers(int count) {
      if (count < 1 || count > 64) {
        throw new IllegalArgumentException("workers must be between 1 and 64, got " + count);
      }
      this.workers = count;
      return this;
    }

    /**
     * The client-side limit on write requests (default 20 per second, bursts of 40).
     *
     * @param perSecond sustained writes per second, positive
     * @param burst writes allowed at once, at least 1
     * @return this builder
     */
    public Builder writeRateLimit(double perSecond, int burst) {
      if (!(perSecond > 0) || burst < 1) {
        throw new IllegalArgumentException(
            "writeRateLimit needs a positive rate and a burst of at least 1, got "
                + perSecond
                + "/s and "
                + burst);
      }
      this.writesPerSecond = perSecond;
      this.writeBurst = burst;
      return this;
    }

    /**
     * How often every namespace is checked against the caches anyway (default 10 minutes).
     *
     * @param period at least one second
     * @return this builder
     */
    public Builder resyncPeriod(Duration period) {
      Objects.requireNonNull(period, "resyncPeriod");
      if (period.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("resyncPeriod must be at least 1s, got " + period);
      }
      this.resyncPeriod = period;
      return this;
    }

    /**
     * Backoff for a namespace that failed: {@code initial} doubling up to {@code max} (default 1 s
     * to 5 min).
     *
     * @param initial first delay, positive
     * @param max largest delay, not below {@code initial}
     * @return this builder
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      Objects.requireNonNull(initial, "initial");
      Objects.requireNonNull(max, "max");
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "retryBackoff needs 0 < initial <= max, got " + initial + " and " + max);
      }
      this.retryBase = initial;
      this.retryMax = max;
      return this;
    }

    /**
     * Turns on leader election with a {@code coordination.k8s.io/v1} Lease: only the holder writes.
     *
     * @param leaseNamespace the namespace of the Lease (usually the sync's own)
     * @param leaseName the Lease name, shared by all replicas
     * @param identity this replica's unique identity (e.g. the pod name); null for host name plus a
     *     random suffix
     * @return this builder
     */
    public Builder leaderElection(String leaseNamespace, String leaseName, String identity) {
      Objects.requireNonNull(leaseNamespace, "leaseNamespace");
      Objects.requireNonNull(leaseName, "leaseName");
      String p = Names.checkDnsLabel(leaseNamespace);
      if (p != null) {
        throw new IllegalArgumentException(
            "leaseNamespace " + Echo.quote(leaseNamespace) + " is not a namespace name; " + p);
      }
      p = Names.checkDnsSubdomain(leaseName);
      if (p != null) {
        throw new IllegalArgumentException(
            "leaseName " + Echo.quote(leaseName) + " is not a valid name; " + p);
      }
      String id = identity != null && !identity.isBlank() ? identity : defaultIdentity();
      this.leader =
          new LeaderSettings(
              leaseNamespace, leaseName, id, leaseDuration, renewDeadline, retryPeriod);
      return this;
    }

    /**
     * Leader election timings (default 15 s lease, 10 s renew deadline, 2 s retry period); call
     * before {@link #leaderElection}.
     *
     * <p>The renew deadline also fences writes: no write is sent later than {@code renewDeadline}
     * after the last successful renewal was sent, whatever the elector believes. Other replicas may
     * take over {@code leaseDuration} after they observed that renewal, so the difference between
     * the two is the margin left for a write in flight and for clocks running at different rates.
     * This is the fencing a client can do without server-side fencing.
     *
     * @param leaseDuration how long a lease is valid without renewal
     * @param renewDeadline how long the leader tries to renew before giving up
     * @param retryPeriod how often candidates try; at least one second
     * @return this builder
     */
    public Builder leaderElectionTimings(
        Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
      Objects.requireNonNull(leaseDuration, "leaseDuration");
      Objects.requireNonNull(renewDeadline, "renewDeadline");
      Objects.requireNonNull(retryPeriod, "retryPeriod");
      if (retryPeriod.compareTo(Duration.ofSeconds(1)) < 0
          || renewDeadline.compareTo(retryPeriod) <= 0
          || leaseDuration.compareTo(renewDeadline) <= 0) {
        throw new IllegalArgumentException(
            "leader election timings need 1s <= retryPeriod < renewDeadline < leaseDuration, got "
                + retryPeriod
                + ", "
                + renewDeadline
                + ", "
                + leaseDuration);
      }
      this.leaseDuration = leaseDuration;
      this.renewDeadline = renewDeadline;
      this.retryPeriod = retryPeriod;
      if (leader != null) {
        leader =
            new LeaderSettings(
                leader.namespace(),
                leader.name(),
                leader.identity(),
                leaseDuration,
                renewDeadline,
                retryPeriod);
      }
      return this;
    }

    Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the sync (not started).
     *
     * @return the sync
     * @throws IllegalStateException naming the missing required setting
     */
    public PullSecretSync build() {
      if (apiClient == null) {
        throw new IllegalStateException("PullSecretSync needs an apiClient(...)");
      }
      if (configuration == null) {
        throw new IllegalStateException("PullSecretSync needs a configuration(...)");
      }
      if (tokenProvider == null) {
        throw new IllegalStateException("PullSecretSync needs a tokenProvider(...)");
      }
      if (informerApiClient != null && informerFactory != null) {
        throw new IllegalStateException(
            "give either informerApiClient(...) or informerFactory(...), not both");
      }
      return new PullSecretSync(this);
    }

    private static String defaultIdentity() {
      String host;
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        host = "acr-credential";
      }
      return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
  }
}
