package io.acrcredential.k8s;

import io.acrcredential.k8s.config.NamespaceScope;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NamespaceList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.util.CallGenerator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The sync's view of the cluster: the namespace informer (cluster-wide, from the embedder's factory
 * when it has one), the ServiceAccount informers that follow the namespace scope and the per-name
 * Secret informers. A relevant change enqueues its namespace. Owns the informers' threads, and the
 * factory's when it created the factory.
 */
final class SyncInformers {

  private final SharedInformerFactory factory;
  private final boolean ownsFactory;
  private final ApiClient listClient;
  private final ApiClient ownInformerClient;
  private final Markers markers;
  private final ScheduledExecutorService scheduler;
  private final Consumer<String> enqueue;
  private final Consumer<String> namespaceDeleted;
  private final AtomicBoolean pruneScheduled = new AtomicBoolean();
  private final AtomicBoolean fillCheckScheduled = new AtomicBoolean();
  private static final long FILL_CHECK_FIRST_MILLIS = 100;
  private static final long FILL_CHECK_MAX_MILLIS = 5_000;
  private volatile long fillCheckMillis = FILL_CHECK_FIRST_MILLIS;
  private volatile BiConsumer<String, String> secretMoved = (ns, name) -> {};
  private volatile Consumer<String> secretCacheFilled = name -> {};
  private final ListGate listGate = new ListGate(); // one full list at a time: bounds the heap

  private volatile boolean closed;
  private volatile SharedIndexInformer<V1Namespace> namespaceInformer;
  private volatile Lister<V1Namespace> namespaces;
  private volatile ServiceAccountInformers serviceAccounts;
  private volatile SecretInformers secrets;
  private ExecutorService serviceAccountExecutor;
  private ExecutorService secretExecutor;

  /**
   * @param factory the informer factory
   * @param ownsFactory whether the sync created it (and stops it)
   * @param listClient the client for the namespace informer's list and watch
   * @param ownInformerClient the client for the sync's own ServiceAccount and Secret informers
   * @param enqueue reconciles a namespace soon
   * @param namespaceDeleted forgets a deleted namespace
   */
  SyncInformers(
      SharedInformerFactory factory,
      boolean ownsFactory,
      ApiClient listClient,
      ApiClient ownInformerClient,
      Markers markers,
      ScheduledExecutorService scheduler,
      Consumer<String> enqueue,
      Consumer<String> namespaceDeleted) {
    this.factory = factory;
    this.ownsFactory = ownsFactory;
    this.listClient = listClient;
    this.ownInformerClient = ownInformerClient;
    this.markers = markers;
    this.scheduler = scheduler;
    this.enqueue = enqueue;
    this.namespaceDeleted = namespaceDeleted;
  }

  /** Registers and starts every informer; the Secret informers watch {@code secretNames}. */
  void start(String threadPrefix, Collection<String> secretNames) {
    serviceAccountExecutor =
        Executors.newCachedThreadPool(Threads.named(threadPrefix + "-serviceaccount-informers"));
    register();
    secretExecutor =
        Executors.newCachedThreadPool(Threads.named(threadPrefix + "-secret-informers"));
    secrets =
        new SecretInformers(
            ownInformerClient, markers.selector(), secretHandler(), secretExecutor, listGate);
    secrets.watch(secretNames);
  }

  /** Starts the registered informers and makes the ServiceAccount informers follow the scope. */
  void run(NamespaceScope scope) {
    factory.startAllRegisteredInformers();
    serviceAccounts.follow(scope);
  }

  private void register() {
    CoreV1Api informerApi = new CoreV1Api(listClient);
    namespaceInformer = factory.getExistingSharedIndexInformer(V1Namespace.class);
    if (namespaceInformer == null) {
      CallGenerator calls =
          p ->
              informerApi
                  .listNamespace()
                  .resourceVersion(p.resourceVersion)
                  .timeoutSeconds(p.timeoutSeconds)
                  .watch(p.watch)
                  .buildCall(null);
      if (ownsFactory) {
        // The sync's own informer keeps only what the scope reads and does not keep its last list
        // (an embedder's factory may hand the informer to others, who expect whole objects).
        namespaceInformer =
            factory.sharedIndexInformerFor(
                new ReleasingListerWatcher<>(
                    listClient, calls, V1Namespace.class, V1NamespaceList.class, listGate),
                V1Namespace.class,
                0L);
        namespaceInformer.setTransform(CacheTrim.NAMESPACES);
      } else {
        namespaceInformer =
            factory.sharedIndexInformerFor(calls, V1Namespace.class, V1NamespaceList.class);
      }
    }
    // A cluster-wide ServiceAccount informer the embedder's factory already holds is read whatever
    // the scope (it costs nothing more); otherwise the sync's own informers follow the scope.
    SharedIndexInformer<V1ServiceAccount> sharedServiceAccounts =
        ownsFactory ? null : factory.getExistingSharedIndexInformer(V1ServiceAccount.class);
    serviceAccounts =
        new ServiceAccountInformers(
            ownInformerClient,
            handler(
                (a, b) ->
                    !Objects.equals(a.getImagePullSecrets(), b.getImagePullSecrets())
                        || !Objects.equals(
                            a.getMetadata().getAnnotations(), b.getMetadata().getAnnotations()),
                sa -> sa.getMetadata().getNamespace(),
                false),
            serviceAccountExecutor,
            markers.serviceAccountAnnotation(),
            sharedServiceAccounts,
            listGate);
    namespaces = new Lister<>(namespaceInformer.getIndexer());
    namespaceInformer.addEventHandler(
        handler(
            (oldNs, newNs) ->
                !Objects.equals(oldNs.getMetadata().getLabels(), newNs.getMetadata().getLabels())
                    || !Objects.equals(
                        oldNs.getMetadata().getDeletionTimestamp(),
                        newNs.getMetadata().getDeletionTimestamp()),
            ns -> ns.getMetadata().getName(),
            false));
  }

  /**
   * Waits until the caches are filled; namespaces holding this instance's Secrets that a list scope
   * no longer names (narrowed while the sync was down) are watched too until they are cleaned up,
   * so that the entries on their ServiceAccounts are removed along with the Secrets.
   */
  void awaitFilled() throws InterruptedException {
    while (!(namespaceInformer.hasSynced() && serviceAccounts.hasSynced() && secrets.settled())) {
      Thread.sleep(50);
    }
    serviceAccounts.watchUntilCleaned(secrets.namespaces());
    while (!serviceAccounts.allSettled()) {
      Thread.sleep(50);
    }
    secrets.filledBeforeFirstPass();
    if (secrets.fillPending()) {
      scheduleFillCheck(); // a name RBAC does not grant yet
    }
  }

  ServiceAccountInformers serviceAccounts() {
    return serviceAccounts;
  }

  SecretInformers secrets() {
    return secrets;
  }

  /** A namespace from the cache; null when the cache does not know it (or before start). */
  V1Namespace namespace(String name) {
    Lister<V1Namespace> l = namespaces;
    return l == null ? null : l.get(name);
  }

  /** Whether the namespace cache is filled (it says which namespaces are in scope). */
  boolean namespacesSynced() {
    SharedIndexInformer<V1Namespace> n = namespaceInformer;
    return n != null && n.hasSynced();
  }

  /** Whether the namespace cache exists yet. */
  boolean hasNamespaceCache() {
    return namespaces != null;
  }

  /** Enqueues every namespace the cache knows. */
  void enqueueAll() {
    Lister<V1Namespace> l = namespaces;
    if (l == null || closed) {
      return;
    }
    for (V1Namespace ns : l.list()) {
      enqueue.accept(ns.getMetadata().getName());
    }
  }

  /** Those of {@code names} that are live namespaces the scope covers now (per the cache). */
  List<String> inScope(Collection<String> names, NamespaceScope scope) {
    List<String> out = new ArrayList<>();
    for (String name : names) {
      V1Namespace ns = namespace(name);
      if (ns != null && liveInScope(ns, scope)) {
        out.add(name);
      }
    }
    return out;
  }

  /** How many live namespaces the scope covers now, or -1 before the namespace cache exists. */
  long countInScope(NamespaceScope scope) {
    Lister<V1Namespace> l = namespaces;
    if (l == null) {
      return -1;
    }
    long n = 0;
    for (V1Namespace ns : l.list()) {
      if (liveInScope(ns, scope)) {
        n++;
      }
    }
    return n;
  }

  /** Whether a cached namespace is not being deleted and the scope covers it now. */
  private static boolean liveInScope(V1Namespace ns, NamespaceScope scope) {
    V1ObjectMeta m = ns.getMetadata();
    return m.getDeletionTimestamp() == null && scope.includes(m.getName(), labels(ns));
  }

  /**
   * Makes the ServiceAccount informers follow the current namespace scope; runs on the scheduler.
   * Retiring informers are checked every second until each could be stopped.
   */
  void followScope(NamespaceScope scope) {
    if (closed || serviceAccounts == null) {
      return;
    }
    serviceAccounts.follow(scope);
    schedulePrune();
  }

  void schedulePrune() {
    if (closed || !serviceAccounts.transitioning() || !pruneScheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      scheduler.schedule(
          () -> {
            pruneScheduled.set(false);
            if (serviceAccounts.prune()) {
              enqueueAll();
            }
            schedulePrune();
          },
          1,
          TimeUnit.SECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pruneScheduled.set(false); // closing
    }
  }

  /**
   * Watches the names the configuration and the latest credentials lead to; names no longer among
   * them are watched until their Secrets are cleaned up.
   */
  void watchSecretNames(Collection<String> names) {
    if (secrets.watch(names)) {
      fillCheckMillis = FILL_CHECK_FIRST_MILLIS;
      scheduleFillCheck();
    }
    secrets.prune();
  }

  /**
   * Tells {@code moved} (namespace, name) of every event of the Secret caches, and {@code filled}
   * of each Secret name watched later than the first whose cache has filled (after which every
   * namespace is enqueued: a change before that first list gave no event).
   */
  void followSecretCaches(BiConsumer<String, String> moved, Consumer<String> filled) {
    this.secretMoved = moved;
    this.secretCacheFilled = filled;
  }

  /**
   * Checks whether the caches of newly watched names have filled: after 100 ms, then less often (up
   * to every 5 s) while one stays unfilled, for instance until RBAC grants its name.
   */
  private void scheduleFillCheck() {
    if (closed || !fillCheckScheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      scheduler.schedule(
          () -> {
            fillCheckScheduled.set(false);
            List<String> filled = secrets.newlyFilled();
            if (!filled.isEmpty() && !closed) {
              filled.forEach(secretCacheFilled);
              enqueueAll();
            }
            if (secrets.fillPending()) {
              fillCheckMillis = Math.min(fillCheckMillis * 2, FILL_CHECK_MAX_MILLIS);
              scheduleFillCheck();
            }
          },
          fillCheckMillis,
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      fillCheckScheduled.set(false); // closing
    }
  }

  /** Stops every informer the sync started (not a shared factory) and their threads. */
  void close() {
    closed = true;
    if (ownsFactory) {
      factory.stopAllRegisteredInformers(true);
    }
    if (secrets != null) {
      secrets.close();
    }
    if (serviceAccounts != null) {
      serviceAccounts.close();
    }
    Threads.shutdown(secretExecutor);
    Threads.shutdown(serviceAccountExecutor);
  }

  /** Events of the per-name Secret informers; a deletion may finish a retiring name's cleanup. */
  private ResourceEventHandler<V1Secret> secretHandler() {
    ResourceEventHandler<V1Secret> inner =
        handler((a, b) -> true, s -> s.getMetadata().getNamespace(), true);
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(V1Secret obj) {
        moved(obj);
        inner.onAdd(obj);
      }

      @Override
      public void onUpdate(V1Secret oldObj, V1Secret newObj) {
        if (!Objects.equals(
            oldObj.getMetadata().getResourceVersion(), newObj.getMetadata().getResourceVersion())) {
          moved(newObj);
        }
        inner.onUpdate(oldObj, newObj);
      }

      @Override
      public void onDelete(V1Secret obj, boolean finalStateUnknown) {
        moved(obj);
        inner.onDelete(obj, finalStateUnknown);
        SecretInformers s = secrets;
        if (s != null && !closed && s.isRetiring(obj.getMetadata().getName())) {
          Threads.runUnlessClosing(scheduler, s::prune);
        }
      }
    };
  }

  private void moved(V1Secret s) {
    secretMoved.accept(s.getMetadata().getNamespace(), s.getMetadata().getName());
  }

  private <T extends KubernetesObject> ResourceEventHandler<T> handler(
      BiPredicate<T, T> relevantChange, Function<T, String> namespaceOf, boolean onlyOurs) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        if (!onlyOurs || markers.isOurs(obj.getMetadata().getLabels())) {
          enqueue.accept(namespaceOf.apply(obj));
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
          enqueue.accept(namespaceOf.apply(newObj));
        }
      }

      @Override
      public void onDelete(T obj, boolean finalStateUnknown) {
        if (obj instanceof V1Namespace) {
          namespaceDeleted.accept(obj.getMetadata().getName());
          return;
        }
        if (!onlyOurs || markers.isOurs(obj.getMetadata().getLabels())) {
          enqueue.accept(namespaceOf.apply(obj));
        }
      }
    };
  }

  /** Labels of namespaces by name, for callers that only hold the cache. */
  static Map<String, String> labels(V1Namespace ns) {
    Map<String, String> l = ns.getMetadata() == null ? null : ns.getMetadata().getLabels();
    return l == null ? Map.of() : l;
  }

  /** The ServiceAccounts of a namespace as the reconciler sees them now. */
  List<V1ServiceAccount> cachedServiceAccounts(String namespace) {
    ServiceAccountInformers s = serviceAccounts;
    return s == null ? List.of() : s.list(namespace);
  }

  Set<String> serviceAccountWatch() {
    ServiceAccountInformers s = serviceAccounts;
    return s == null ? Set.of() : s.watched();
  }

  int cachedServiceAccountCount() {
    ServiceAccountInformers s = serviceAccounts;
    return s == null ? 0 : s.cachedCount();
  }
}
