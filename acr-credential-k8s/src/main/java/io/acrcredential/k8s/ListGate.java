package io.acrcredential.k8s;

import java.time.Duration;

/**
 * Lets one informer of a sync at a time fetch its full list. A list of 10,000 Secrets or 20,000
 * ServiceAccounts is decoded whole, with every field, before the cache trims it; several at once
 * (each pull Secret name, the ServiceAccounts and the namespaces at start-up) would need a heap
 * several times the size of the trimmed caches. An informer holds the gate from its list until it
 * asks for its watch, when the list has been handed over ({@link ReleasingListerWatcher}).
 *
 * <p>A holder that never comes back (its informer stopped between list and watch) loses the gate
 * after {@link #LEASE}, so a list is delayed at most that long and never blocked for good.
 */
final class ListGate {

  /** How long one list may hold the gate before others go ahead anyway. */
  static final Duration LEASE = Duration.ofSeconds(30);

  private final long leaseNanos;
  private Object holder;
  private long since;

  ListGate() {
    this(LEASE);
  }

  ListGate(Duration lease) {
    this.leaseNanos = lease.toNanos();
  }

  /** Waits until no other list holds the gate (or its lease ran out), then holds it. */
  synchronized void enter(Object who) throws InterruptedException {
    while (holder != null && holder != who && System.nanoTime() - since < leaseNanos) {
      wait(Math.max(1, leaseNanos / 1_000_000 / 10));
    }
    holder = who;
    since = System.nanoTime();
  }

  /** Gives the gate back if {@code who} holds it. */
  synchronized void leave(Object who) {
    if (holder == who) {
      holder = null;
      notifyAll();
    }
  }

  /** Whether some list holds the gate now (for tests). */
  synchronized boolean held() {
    return holder != null && System.nanoTime() - since < leaseNanos;
  }
}
