package io.acrcredential.k8s;

import io.acrcredential.k8s.internal.ApiErrors;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work queue keyed by namespace and the bounded pool of workers draining it: each worker
 * reconciles one namespace at a time while the fence allows writes; a failing namespace is retried
 * with exponential backoff and never blocks others. Owns the queue's and the workers' threads.
 */
final class NamespaceWorkers {

  private static final Logger LOG = LoggerFactory.getLogger(NamespaceWorkers.class);

  private final ApiClient apiClient;
  private final WriteFence fence;
  private final WarningEvents events;
  private final Consumer<Consumer<SyncListener>> listeners;
  private final WorkQueue<String> queue;

  private volatile boolean closed;
  private volatile boolean open;
  private ExecutorService workers;

  NamespaceWorkers(
      ApiClient apiClient,
      WriteFence fence,
      WarningEvents events,
      Duration retryBase,
      Duration retryMax,
      Consumer<Consumer<SyncListener>> listeners) {
    this.apiClient = apiClient;
    this.fence = fence;
    this.events = events;
    this.listeners = listeners;
    this.queue = new WorkQueue<>(retryBase, retryMax, System::nanoTime);
  }

  /** Opens the queue; namespaces enqueued from now on wait for {@link #startWorkers}. */
  void open() {
    open = true;
  }

  /**
   * Starts {@code count} workers, each reconciling what it takes from the queue.
   *
   * @param namespaces the namespace cache (a namespace it lacks was deleted)
   * @param reconcile reconciles one namespace with the current configuration and credentials
   */
  void startWorkers(
      int count,
      String threadPrefix,
      Function<String, V1Namespace> namespaces,
      Reconcile reconcile,
      Consumer<String> forget) {
    workers = Executors.newFixedThreadPool(count, Threads.named(threadPrefix + "-worker"));
    for (int i = 0; i < count; i++) {
      workers.execute(() -> workLoop(namespaces, reconcile, forget));
    }
  }

  /** One reconciliation, as the workers run it. */
  interface Reconcile {
    NamespaceSyncResult apply(V1Namespace namespace)
        throws ApiException, NotLeaderException, InterruptedException;
  }

  void enqueue(String namespace) {
    if (namespace != null && !closed && open) {
      queue.add(namespace);
    }
  }

  /** Forgets a deleted namespace's failure count. */
  void forget(String namespace) {
    queue.forget(namespace);
  }

  void close() {
    closed = true;
    queue.shutDown();
    Threads.shutdown(workers);
  }

  private void workLoop(
      Function<String, V1Namespace> namespaces, Reconcile reconcile, Consumer<String> forget) {
    while (!closed) {
      String ns;
      try {
        ns = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (ns == null) {
        return;
      }
      try {
        if (fence.mayWrite()) {
          process(ns, namespaces, reconcile, forget);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        queue.done(ns);
      }
    }
  }

  private void process(
      String ns,
      Function<String, V1Namespace> namespaces,
      Reconcile reconcile,
      Consumer<String> forget)
      throws InterruptedException {
    V1Namespace namespace = namespaces.apply(ns);
    if (namespace == null) {
      queue.forget(ns);
      forget.accept(ns);
      return;
    }
    try {
      NamespaceSyncResult result = reconcile.apply(namespace);
      queue.forget(ns);
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
        listeners.accept(l -> l.namespaceSynced(result));
      }
    } catch (NotLeaderException e) {
      // not a failure: no backoff, no retry; the leader (maybe this instance again) will do it
      LOG.info("namespace {}: left unfinished before its next write: {}", ns, e.getMessage());
    } catch (ApiException e) {
      if (!fence.mayWrite()) {
        LOG.info(
            "namespace {}: {} after this instance stopped leading; left to the leader",
            ns,
            ApiErrors.describe(apiClient, e));
        return;
      }
      fail(namespace, e.getCode(), ApiErrors.describe(apiClient, e));
    } catch (RuntimeException e) {
      LOG.debug("reconciling {} failed", ns, e);
      fail(namespace, 0, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private void fail(V1Namespace namespace, int status, String message) throws InterruptedException {
    String ns = namespace.getMetadata().getName();
    WorkQueue.Retry retry = queue.retryLater(ns); // ignored once the queue is shut down
    int attempt = retry.attempt();
    Duration delay = retry.delay();
    LOG.warn(
        "namespace {}: sync failed (attempt {}, retry in {}): {}", ns, attempt, delay, message);
    SyncFailure failure = new SyncFailure(ns, message, status, attempt, delay);
    listeners.accept(l -> l.syncFailed(failure));
    if (status == 403) {
      V1ObjectMeta m = namespace.getMetadata();
      // A Namespace is cluster-scoped: the API server only accepts its Events in "default"
      // (kubectl describe namespace finds them there).
      events.report(
          "default",
          new V1ObjectReference().apiVersion("v1").kind("Namespace").name(ns).uid(m.getUid()),
          "Forbidden",
          "acr-credential cannot keep pull Secrets in this namespace: "
              + message
              + ". Grant the permission (see the shipped rbac.yaml).");
    }
  }

  Duration backoff(int attempt) {
    return queue.backoff(attempt);
  }
}
