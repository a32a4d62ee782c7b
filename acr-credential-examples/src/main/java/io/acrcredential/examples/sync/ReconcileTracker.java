package io.acrcredential.examples.sync;

import io.acrcredential.k8s.NamespaceSyncResult;
import io.acrcredential.k8s.SecretClash;
import io.acrcredential.k8s.SyncFailure;
import io.acrcredential.k8s.SyncListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Follows one "pass": after a trigger (start, leadership, configuration change, rotation), the
 * moment every namespace in scope at that time has been reconciled (or has failed). Used for the
 * {@code --once} exit decision, the first-reconcile log line and the latency histogram.
 */
final class ReconcileTracker implements SyncListener {

  /**
   * What a pass did.
   *
   * @param trigger why the pass started
   * @param took from its start until the last namespace was done
   * @param namespaces namespaces in scope
   * @param created pull Secrets created
   * @param updated pull Secrets updated
   * @param deleted pull Secrets deleted
   * @param serviceAccounts ServiceAccounts patched
   * @param failures namespaces that failed, with the reason
   * @param takenOver Secrets of Alibaba's helper taken over, as namespace/name
   * @param clashes pull Secret names held by a Secret not taken over, with the reason
   */
  record Pass(
      String trigger,
      Duration took,
      int namespaces,
      int created,
      int updated,
      int deleted,
      int serviceAccounts,
      Map<String, String> failures,
      List<String> takenOver,
      List<SecretClash> clashes) {

    Pass {
      takenOver = List.copyOf(takenOver);
      clashes = List.copyOf(clashes);
    }

    String summary() {
      return namespaces
          + " namespace(s) in scope: "
          + created
          + " Secret(s) created, "
          + updated
          + " updated, "
          + deleted
          + " deleted, "
          + serviceAccounts
          + " ServiceAccount(s) patched"
          + (takenOver.isEmpty()
              ? ""
              : ", " + takenOver.size() + " taken over from Alibaba's helper")
          + (clashes.isEmpty() ? "" : ", " + clashes.size() + " clash(es)")
          + (failures.isEmpty() ? "" : ", " + failures.size() + " namespace(s) failed");
    }
  }

  private final Consumer<Pass> onComplete;
  private final Object lock = new Object();
  private Set<String> pending;
  private String trigger;
  private long startNanos;
  private int expected;
  private int created;
  private int updated;
  private int deleted;
  private int serviceAccounts;
  private Map<String, String> failures;
  private List<String> takenOver;
  private List<SecretClash> clashes;
  private CompletableFuture<Pass> future = new CompletableFuture<>();

  ReconcileTracker(Consumer<Pass> onComplete) {
    this.onComplete = onComplete;
  }

  /**
   * Starts a pass over {@code namespaces} (replacing a pass still running).
   *
   * @return completes when every namespace was reported
   */
  CompletableFuture<Pass> begin(String why, Set<String> namespaces, long startedAtNanos) {
    Pass done = null;
    CompletableFuture<Pass> f;
    synchronized (lock) {
      pending = new LinkedHashSet<>(namespaces);
      trigger = why;
      startNanos = startedAtNanos;
      expected = namespaces.size();
      created = updated = deleted = serviceAccounts = 0;
      failures = new LinkedHashMap<>();
      takenOver = new ArrayList<>();
      clashes = new ArrayList<>();
      if (future.isDone()) {
        future = new CompletableFuture<>();
      }
      f = future;
      if (pending.isEmpty()) {
        done = finish();
      }
    }
    if (done != null) {
      complete(f, done);
    }
    return f;
  }

  @Override
  public void namespaceSynced(NamespaceSyncResult result) {
    report(
        result.namespace(),
        null,
        result.secretsCreated().size(),
        result.secretsUpdated().size(),
        result.secretsDeleted().size(),
        result.serviceAccountsUpdated().size(),
        result);
  }

  @Override
  public void syncFailed(SyncFailure failure) {
    report(failure.namespace(), failure.message(), 0, 0, 0, 0, null);
  }

  private void report(
      String ns, String failure, int c, int u, int d, int sa, NamespaceSyncResult result) {
    Pass done = null;
    CompletableFuture<Pass> f;
    synchronized (lock) {
      if (pending == null || !pending.remove(ns)) {
        return;
      }
      if (result != null) {
        result.secretsTakenOver().forEach(name -> takenOver.add(ns + "/" + name));
        clashes.addAll(result.clashes());
      }
      created += c;
      updated += u;
      deleted += d;
      serviceAccounts += sa;
      if (failure != null) {
        failures.put(ns, failure);
      }
      f = future;
      if (pending.isEmpty()) {
        done = finish();
      }
    }
    if (done != null) {
      complete(f, done);
    }
  }

  private Pass finish() {
    Pass p =
        new Pass(
            trigger,
            Duration.ofNanos(System.nanoTime() - startNanos),
            expected,
            created,
            updated,
            deleted,
            serviceAccounts,
            Map.copyOf(failures),
            takenOver,
            clashes);
    pending = null;
    return p;
  }

  private void complete(CompletableFuture<Pass> f, Pass p) {
    onComplete.accept(p);
    f.complete(p);
  }
}
