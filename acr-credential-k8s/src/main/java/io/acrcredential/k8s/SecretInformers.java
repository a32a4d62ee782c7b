package io.acrcredential.k8s;

import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.cache.Cache;
import io.kubernetes.client.informer.cache.Caches;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.informer.impl.DefaultSharedIndexInformer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1SecretList;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One informer per managed pull Secret name, instead of one informer over every Secret.
 *
 * <p>Each informer lists and watches Secrets in all namespaces with the field selector {@code
 * metadata.name=<name>} (plus this instance's label selector). The API server authorises such a
 * request as if it named that one object, so an RBAC rule with {@code resourceNames} allows it; a
 * list or watch without the name selector, which would return every Secret's data, is never needed
 * and can be denied.
 *
 * <p>The set of names follows the configuration and the credentials ({@link #watch}). A name that
 * is no longer wanted is <em>retiring</em>: its informer keeps running until its cache holds no
 * Secret any more (the reconciler deletes them, since they are no longer desired), then {@link
 * #prune} stops it. Without that, Secrets of a registry removed from the configuration would stay
 * behind.
 *
 * <p>Each informer is started on the executor given (owned by the caller; no informer factory, see
 * {@code start}). Its cache keeps each Secret trimmed ({@link CacheTrim}). Thread-safe.
 */
final class SecretInformers implements SecretCache, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SecretInformers.class);

  private final ApiClient client;
  private final String labelSelector;
  private final ResourceEventHandler<V1Secret> handler;
  private final ExecutorService executor;
  private final ListGate gate;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private boolean closed;
  private boolean firstNamesWatched;

  private static final class Entry {
    final String name;
    final SharedIndexInformer<V1Secret> informer;
    final Lister<V1Secret> lister;
    volatile boolean retiring;
    volatile boolean failed;

    /**
     * Its filling is announced ({@link #newlyFilled}): started after the first names, or its list
     * failed before it filled (RBAC not yet granting the name), so the sync may write its Secrets
     * before it watches them.
     */
    volatile boolean announceWhenFilled;

    final WatchFailureLog failures = new WatchFailureLog();

    Entry(String name, SharedIndexInformer<V1Secret> informer) {
      this.name = name;
      this.informer = informer;
      this.lister = new Lister<>(informer.getIndexer());
    }
  }

  /**
   * @param client the client for list and watch (read timeout infinite)
   * @param labelSelector this instance's label selector, sent along with the name selector
   * @param handler receives every informer's events
   * @param executor runs the informers' start-up; shut down by the owner after {@link #close()}
   * @param gate lets one list of the sync at a time go ahead
   */
  SecretInformers(
      ApiClient client,
      String labelSelector,
      ResourceEventHandler<V1Secret> handler,
      ExecutorService executor,
      ListGate gate) {
    this.client = client;
    this.labelSelector = labelSelector;
    this.handler = handler;
    this.executor = executor;
    this.gate = gate;
  }

  /**
   * Makes {@code wanted} the set of names watched: informers for new names are started, names no
   * longer wanted become retiring (still watched until their Secrets are gone).
   *
   * @return whether an informer was started
   */
  synchronized boolean watch(Collection<String> wanted) {
    if (closed) {
      return false;
    }
    boolean started = false;
    for (String name : wanted) {
      Entry e = entries.get(name);
      if (e == null) {
        e = start(name);
        e.announceWhenFilled = firstNamesWatched;
        entries.put(name, e);
        started = true;
      } else {
        e.retiring = false;
      }
    }
    firstNamesWatched = true;
    for (Entry e : entries.values()) {
      if (!wanted.contains(e.name) && !e.retiring) {
        e.retiring = true;
        LOG.info(
            "pull Secret name {} is no longer managed; watching it until it is cleaned up", e.name);
      }
    }
    return started;
  }

  /**
   * Stops retiring informers whose cache is empty (every Secret of that name deleted), or that
   * cannot list at all (so they can never tell what is left).
   */
  synchronized void prune() {
    List<String> stopped = new ArrayList<>();
    entries
        .values()
        .removeIf(
            e -> {
              boolean done =
                  e.retiring
                      && ((e.informer.hasSynced() && e.lister.list().isEmpty())
                          || (e.failed && !e.informer.hasSynced()));
              if (done) {
                stop(e);
                stopped.add(e.name);
              }
              return done;
            });
    if (!stopped.isEmpty()) {
      LOG.info("stopped watching pull Secret names {}", stopped);
    }
  }

  /**
   * The names whose cache has filled since the last call among those watched after the first ones
   * or whose list failed before filling. Such a cache fills after the sync may have written Secrets
   * of its name, and a change to one of them before its first list gives no event: the owner
   * reconciles everything once more.
   */
  synchronized List<String> newlyFilled() {
    List<String> filled = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (e.announceWhenFilled && e.informer.hasSynced()) {
        e.announceWhenFilled = false;
        filled.add(e.name);
      }
    }
    return filled;
  }

  /**
   * Forgets the announcements of caches filled by now: the sync's first pass, which follows, reads
   * them.
   */
  synchronized void filledBeforeFirstPass() {
    for (Entry e : entries.values()) {
      if (e.informer.hasSynced()) {
        e.announceWhenFilled = false;
      }
    }
  }

  /** Whether a cache {@link #newlyFilled} will report has not filled yet. */
  synchronized boolean fillPending() {
    return !closed && entries.values().stream().anyMatch(e -> e.announceWhenFilled);
  }

  /** Whether a name is watched only until its Secrets are cleaned up. */
  synchronized boolean isRetiring(String name) {
    Entry e = entries.get(name);
    return e != null && e.retiring;
  }

  /** The names currently managed (not retiring), sorted. */
  synchronized Set<String> activeNames() {
    Set<String> names = new TreeSet<>();
    entries.values().stream().filter(e -> !e.retiring).forEach(e -> names.add(e.name));
    return names;
  }

  /** Every watched name, retiring ones included, sorted. */
  synchronized Set<String> watchedNames() {
    return new TreeSet<>(entries.keySet());
  }

  /**
   * Whether every informer has either filled its cache or failed at least once (for instance
   * because RBAC does not grant its name); start-up does not wait for the latter.
   */
  synchronized boolean settled() {
    for (Entry e : entries.values()) {
      if (!e.informer.hasSynced() && !e.failed) {
        return false;
      }
    }
    return true;
  }

  @Override
  public V1Secret get(String namespace, String name) {
    Entry e;
    synchronized (this) {
      e = entries.get(name);
    }
    return e == null ? null : e.lister.namespace(namespace).get(name);
  }

  @Override
  public List<V1Secret> list(String namespace) {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(entries.values());
    }
    List<V1Secret> result = new ArrayList<>();
    for (Entry e : all) {
      // one name per informer: at most one Secret per namespace, found by its key (the caches
      // keep no index by namespace)
      V1Secret s = e.lister.namespace(namespace).get(e.name);
      if (s != null) {
        result.add(s);
      }
    }
    return result;
  }

  /** The namespaces where a watched name's cache holds a Secret. */
  Set<String> namespaces() {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(entries.values());
    }
    Set<String> result = new TreeSet<>();
    for (Entry e : all) {
      e.lister.list().forEach(s -> result.add(s.getMetadata().getNamespace()));
    }
    return result;
  }

  @Override
  public synchronized void close() {
    closed = true;
    entries.values().forEach(SecretInformers::stop);
    entries.clear();
  }

  private Entry start(String name) {
    CoreV1Api api = new CoreV1Api(client);
    String fieldSelector = "metadata.name=" + name;
    Entry[] self = new Entry[1];
    // Built here rather than by a factory, for a cache without the usual index by namespace: with
    // one name per informer, a namespace holds at most one of its Secrets, found by its key, and
    // the index would cost a set per namespace per name.
    DefaultSharedIndexInformer<V1Secret, V1SecretList> informer =
        new DefaultSharedIndexInformer<>(
            V1Secret.class,
            new ReleasingListerWatcher<>(
                client,
                p ->
                    api.listSecretForAllNamespaces()
                        .fieldSelector(fieldSelector)
                        .labelSelector(labelSelector)
                        .resourceVersion(p.resourceVersion)
                        .timeoutSeconds(p.timeoutSeconds)
                        .watch(p.watch)
                        .buildCall(null),
                V1Secret.class,
                V1SecretList.class,
                gate),
            0L,
            new Cache<>(
                Caches.NAMESPACE_INDEX,
                s -> List.of(),
                Caches::deletionHandlingMetaNamespaceKeyFunc),
            (type, error) -> failed(self[0], error));
    informer.setTransform(CacheTrim.SECRETS); // no token and no managedFields in the cache
    Entry e = new Entry(name, informer);
    self[0] = e;
    informer.addEventHandler(handler);
    executor.submit(informer::run);
    LOG.debug("watching pull Secrets named {}", name);
    return e;
  }

  private void failed(Entry e, Throwable error) {
    if (e == null) {
      return;
    }
    e.failed = true;
    if (!e.informer.hasSynced()) {
      e.announceWhenFilled = true;
    }
    e.failures.failed(
        LOG,
        error,
        "cannot list/watch Secrets named {} (HTTP 403): RBAC must grant get, list, watch,"
            + " update, patch and delete on this name (render the manifest with"
            + " RbacManifest.render(..., PullSecretSync.managedSecretNames())); retrying",
        "informer for Secrets named {}: {}",
        e.name);
  }

  private static void stop(Entry e) {
    e.informer.stop();
  }
}
