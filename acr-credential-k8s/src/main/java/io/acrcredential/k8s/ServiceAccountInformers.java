package io.acrcredential.k8s;

import io.acrcredential.k8s.config.NamespaceScope;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1ServiceAccountList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ServiceAccount informers, following the namespace scope: with a plain list of namespace names
 * (no {@code all}, no label selector) one namespaced informer per listed namespace ({@code
 * /api/v1/namespaces/<ns>/serviceaccounts}), so that a sync serving a few namespaces of a large
 * cluster neither lists nor keeps every ServiceAccount; with {@code all} or a selector one informer
 * over the whole cluster. When the embedder's informer factory already holds a cluster-wide
 * ServiceAccount informer, that one is read whatever the scope (it costs nothing more) and never
 * stopped here.
 *
 * <p>A change of scope ({@link #follow}) starts the informers the new scope needs at once. The ones
 * it no longer needs are <em>retiring</em>: reads of a namespace keep going to an old, filled cache
 * until the new one covering it has filled, and {@link #prune} stops an old informer only when
 * nothing it holds is needed any more:
 *
 * <ul>
 *   <li>switching to the cluster-wide informer, once that one has filled;
 *   <li>a namespace that left the list, once none of its ServiceAccounts carries this instance's
 *       annotation any more (the reconciler removes its entries from them, which needs them
 *       cached);
 *   <li>switching from the cluster-wide informer to a list, once every listed namespace's informer
 *       has filled and no ServiceAccount outside the list carries the annotation.
 * </ul>
 *
 * An informer that cannot list (for instance HTTP 403) and has never filled is stopped when
 * retiring, since it can never tell what is left. Each informer lives in a {@link
 * SharedInformerFactory} of its own; all share one executor, owned by the caller. Thread-safe.
 */
final class ServiceAccountInformers implements ServiceAccountSource, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceAccountInformers.class);

  private final ApiClient client;
  private final ResourceEventHandler<V1ServiceAccount> handler;
  private final ExecutorService executor;
  private final String annotation;
  private final ServiceAccountSource shared;
  private final ListGate gate;

  private Entry cluster; // own cluster-wide informer, wanted or retiring
  private final Map<String, Entry> namespaced = new LinkedHashMap<>();
  private boolean clusterWanted;
  private Set<String> wantedNamespaces = Set.of();
  private boolean closed;

  private static final class Entry {
    final String namespace; // null: the whole cluster
    final SharedInformerFactory factory;
    final SharedIndexInformer<V1ServiceAccount> informer;
    final ServiceAccountSource source;
    volatile boolean failed;
    final WatchFailureLog failures = new WatchFailureLog();

    Entry(
        String namespace, SharedInformerFactory factory, SharedIndexInformer<V1ServiceAccount> i) {
      this.namespace = namespace;
      this.factory = factory;
      this.informer = i;
      this.source = ServiceAccountSource.of(i.getIndexer(), i::hasSynced);
    }

    boolean synced() {
      return informer.hasSynced();
    }

    boolean settled() {
      return informer.hasSynced() || failed;
    }

    String what() {
      return namespace == null ? "all namespaces" : "namespace " + namespace;
    }
  }

  /**
   * @param client the client for list and watch (read timeout infinite)
   * @param handler receives every informer's events
   * @param executor runs the informers; shut down by the owner after {@link #close()}
   * @param annotation this instance's ServiceAccount annotation (see {@link
   *     Markers#serviceAccountAnnotation()})
   * @param sharedClusterInformer the embedder's cluster-wide informer to read instead, or null
   */
  ServiceAccountInformers(
      ApiClient client,
      ResourceEventHandler<V1ServiceAccount> handler,
      ExecutorService executor,
      String annotation,
      SharedIndexInformer<V1ServiceAccount> sharedClusterInformer) {
    this(client, handler, executor, annotation, sharedClusterInformer, new ListGate());
  }

  /** The same, with the sync's {@link ListGate} (one list of the sync at a time). */
  ServiceAccountInformers(
      ApiClient client,
      ResourceEventHandler<V1ServiceAccount> handler,
      ExecutorService executor,
      String annotation,
      SharedIndexInformer<V1ServiceAccount> sharedClusterInformer,
      ListGate gate) {
    this.gate = gate;
    this.client = client;
    this.handler = handler;
    this.executor = executor;
    this.annotation = annotation;
    this.shared =
        sharedClusterInformer == null
            ? null
            : ServiceAccountSource.of(
                sharedClusterInformer.getIndexer(), sharedClusterInformer::hasSynced);
    if (sharedClusterInformer != null) {
      sharedClusterInformer.addEventHandler(handler);
    }
  }

  /** Whether a plain list of names: namespaced informers serve it. */
  static boolean isPlainList(NamespaceScope scope) {
    return !scope.all() && scope.selector().isEmpty();
  }

  /** The namespaces a plain-list scope watches: the names not excluded. */
  static Set<String> listedNamespaces(NamespaceScope scope) {
    Set<String> names = new LinkedHashSet<>();
    for (String n : scope.names()) {
      if (!scope.isExcluded(n)) {
        names.add(n);
      }
    }
    return names;
  }

  /** Starts the informers {@code scope} needs; the ones it no longer needs become retiring. */
  synchronized void follow(NamespaceScope scope) {
    if (closed || shared != null) {
      return;
    }
    if (!isPlainList(scope)) {
      clusterWanted = true;
      wantedNamespaces = Set.of();
      if (cluster == null) {
        cluster = start(null);
        if (!namespaced.isEmpty()) {
          LOG.info(
              "namespace scope is no plain list any more: watching ServiceAccounts in all"
                  + " namespaces; the {} namespaced informer(s) stop once that cache is filled",
              namespaced.size());
        }
      }
      return;
    }
    Set<String> wanted = listedNamespaces(scope);
    if (!clusterWanted && wanted.equals(wantedNamespaces) && cluster == null) {
      return;
    }
    boolean wasCluster = clusterWanted;
    clusterWanted = false;
    wantedNamespaces = Set.copyOf(wanted);
    for (String ns : wanted) {
      if (!namespaced.containsKey(ns)) {
        namespaced.put(ns, start(ns));
      }
    }
    List<String> retiring = new ArrayList<>();
    for (String ns : namespaced.keySet()) {
      if (!wanted.contains(ns)) {
        retiring.add(ns);
      }
    }
    if (wasCluster && cluster != null) {
      LOG.info(
          "namespace scope is a list of {} namespace(s): watching ServiceAccounts in each; the"
              + " cluster-wide informer stops once they are filled and ServiceAccounts elsewhere"
              + " are cleaned up",
          wanted.size());
    }
    if (!retiring.isEmpty()) {
      LOG.info(
          "ServiceAccounts of namespace(s) {} left the scope; watched until cleaned up", retiring);
    }
  }

  /**
   * With a list scope, also watches those of {@code namespaces} the list does not name, as
   * retiring: {@link #prune} stops each once no ServiceAccount there carries the annotation.
   */
  synchronized void watchUntilCleaned(java.util.Collection<String> namespaces) {
    if (closed || shared != null || clusterWanted) {
      return;
    }
    List<String> added = new ArrayList<>();
    for (String ns : namespaces) {
      if (!namespaced.containsKey(ns)) {
        namespaced.put(ns, start(ns));
        added.add(ns);
      }
    }
    if (!added.isEmpty()) {
      LOG.info(
          "namespace(s) {} hold this instance's pull Secrets but are not listed; their"
              + " ServiceAccounts are watched until cleaned up",
          added);
    }
  }

  /** Whether every informer, retiring ones included, has filled its cache or failed. */
  synchronized boolean allSettled() {
    if (shared != null) {
      return shared.hasSynced();
    }
    if (cluster != null && !cluster.settled()) {
      return false;
    }
    return namespaced.values().stream().allMatch(Entry::settled);
  }

  /** Whether some informer is retiring, so that {@link #prune} may have something to do. */
  synchronized boolean transitioning() {
    if (shared != null) {
      return false;
    }
    if (clusterWanted) {
      return !namespaced.isEmpty();
    }
    return cluster != null || !wantedNamespaces.containsAll(namespaced.keySet());
  }

  /**
   * Stops the retiring informers nothing depends on any more (see the class comment).
   *
   * @return whether one was stopped
   */
  synchronized boolean prune() {
    if (closed || shared != null) {
      return false;
    }
    List<String> stopped = new ArrayList<>();
    if (clusterWanted) {
      if (cluster.synced()) {
        for (Entry e : namespaced.values()) {
          stop(e);
          stopped.add(e.what());
        }
        namespaced.clear();
      }
    } else {
      namespaced
          .values()
          .removeIf(
              e -> {
                boolean done =
                    !wantedNamespaces.contains(e.namespace)
                        && ((e.synced() && noneAnnotated(e, Set.of()))
                            || (e.failed && !e.synced()));
                if (done) {
                  stop(e);
                  stopped.add(e.what());
                }
                return done;
              });
      if (cluster != null
          && wantedNamespaces.stream().allMatch(ns -> namespaced.get(ns).settled())
          && ((cluster.synced() && noneAnnotated(cluster, wantedNamespaces))
              || (cluster.failed && !cluster.synced()))) {
        stop(cluster);
        stopped.add(cluster.what());
        cluster = null;
      }
    }
    if (!stopped.isEmpty()) {
      LOG.info("stopped watching ServiceAccounts in {}", stopped);
    }
    return !stopped.isEmpty();
  }

  /** Whether no ServiceAccount in {@code e}'s cache outside {@code skip} carries our annotation. */
  private boolean noneAnnotated(Entry e, Set<String> skip) {
    for (V1ServiceAccount sa : e.informer.getIndexer().list()) {
      Map<String, String> a = sa.getMetadata().getAnnotations();
      if (a != null
          && a.containsKey(annotation)
          && !skip.contains(sa.getMetadata().getNamespace())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether the informers of the current scope have filled their caches: the cluster-wide one, or
   * every listed namespace's (one that cannot list at all does not hold the others back).
   */
  @Override
  public synchronized boolean hasSynced() {
    if (shared != null) {
      return shared.hasSynced();
    }
    if (clusterWanted) {
      return cluster.synced();
    }
    for (String ns : wantedNamespaces) {
      if (!namespaced.get(ns).settled()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public List<V1ServiceAccount> list(String namespace) {
    ServiceAccountSource s;
    synchronized (this) {
      s = route(namespace);
    }
    return s == null ? List.of() : s.list(namespace);
  }

  /** The cache to read a namespace from: a filled one when there is, else the newest. */
  private ServiceAccountSource route(String ns) {
    if (shared != null) {
      return shared;
    }
    Entry own = namespaced.get(ns);
    if (clusterWanted) {
      if (cluster.synced() || own == null || !own.synced()) {
        return cluster.source;
      }
      return own.source; // the old namespaced cache is complete, the cluster-wide one not yet
    }
    if (own != null && (own.synced() || cluster == null)) {
      return own.source;
    }
    if (cluster != null) {
      return cluster.source; // retiring but filled: covers every namespace until it stops
    }
    return own == null ? null : own.source;
  }

  /** What is watched now, for tests and logs: "*" for the cluster-wide informer, else names. */
  synchronized Set<String> watched() {
    Set<String> w = new TreeSet<>(namespaced.keySet());
    if (shared != null || cluster != null) {
      w.add("*");
    }
    return w;
  }

  /** How many ServiceAccounts the own informers hold (a shared informer is not counted). */
  synchronized int cachedCount() {
    int n = cluster == null ? 0 : cluster.informer.getIndexer().list().size();
    for (Entry e : namespaced.values()) {
      n += e.informer.getIndexer().list().size();
    }
    return n;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (cluster != null) {
      stop(cluster);
      cluster = null;
    }
    namespaced.values().forEach(ServiceAccountInformers::stop);
    namespaced.clear();
  }

  private Entry start(String namespace) {
    CoreV1Api api = new CoreV1Api(client);
    SharedInformerFactory factory = new SharedInformerFactory(client, executor, false);
    Entry[] self = new Entry[1];
    SharedIndexInformer<V1ServiceAccount> informer =
        factory.sharedIndexInformerFor(
            new ReleasingListerWatcher<>(
                client,
                p ->
                    namespace == null
                        ? api.listServiceAccountForAllNamespaces()
                            .resourceVersion(p.resourceVersion)
                            .timeoutSeconds(p.timeoutSeconds)
                            .watch(p.watch)
                            .buildCall(null)
                        : api.listNamespacedServiceAccount(namespace)
                            .resourceVersion(p.resourceVersion)
                            .timeoutSeconds(p.timeoutSeconds)
                            .watch(p.watch)
                            .buildCall(null),
                V1ServiceAccount.class,
                V1ServiceAccountList.class,
                gate),
            V1ServiceAccount.class,
            0L,
            (type, error) -> failed(self[0], error));
    informer.setTransform(CacheTrim.SERVICE_ACCOUNTS); // no managedFields in the cache
    Entry e = new Entry(namespace, factory, informer);
    self[0] = e;
    informer.addEventHandler(handler);
    factory.startAllRegisteredInformers();
    LOG.debug("watching ServiceAccounts in {}", e.what());
    return e;
  }

  private void failed(Entry e, Throwable error) {
    if (e == null) {
      return;
    }
    e.failed = true;
    e.failures.failed(
        LOG,
        error,
        "cannot list/watch ServiceAccounts in {} (HTTP 403): RBAC must grant list and watch"
            + " on serviceaccounts there (see the shipped rbac.yaml); retrying",
        "ServiceAccount informer for {}: {}",
        e.what());
  }

  private static void stop(Entry e) {
    e.factory.stopAllRegisteredInformers(false);
  }
}
