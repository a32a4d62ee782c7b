package io.acrcredential.benchmarks;

import io.acrcredential.k8s.NamespaceSyncResult;
import io.acrcredential.k8s.SyncFailure;
import io.acrcredential.k8s.SyncListener;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Records, for the benchmark's own namespaces, when the sync first reconciled each one, when each
 * got a rotated Secret (while {@link #watchRotation} is on), the failed attempts, and when this
 * replica last became leader.
 */
final class Progress implements SyncListener {
  final Map<String, Long> synced = new ConcurrentHashMap<>();
  final Map<String, Long> rotated = new ConcurrentHashMap<>();
  final LongAdder failures = new LongAdder();
  private final String prefix;
  volatile boolean counting = true;
  volatile boolean watchRotation;
  volatile long ledAt;

  /** Records the namespaces whose name starts with {@code prefix}. */
  Progress(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public void namespaceSynced(NamespaceSyncResult r) {
    if (!r.inScope() || !r.namespace().startsWith(prefix)) {
      return;
    }
    long now = System.nanoTime();
    if (counting) {
      synced.putIfAbsent(r.namespace(), now);
    }
    if (watchRotation && !r.secretsUpdated().isEmpty()) {
      rotated.putIfAbsent(r.namespace(), now);
    }
  }

  @Override
  public void syncFailed(SyncFailure failure) {
    failures.increment();
  }

  @Override
  public void leadershipChanged(boolean leader) {
    if (leader) {
      ledAt = System.nanoTime();
    }
  }
}
