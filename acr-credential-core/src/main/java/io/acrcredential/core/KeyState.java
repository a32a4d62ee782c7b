package io.acrcredential.core;

import java.util.concurrent.CompletableFuture;

/**
 * What {@link CachingTokenProvider} holds for one key. {@link #entry} is read without a lock; every
 * other field only under this object's monitor.
 */
final class KeyState {

  /** What the cache knows about one key; an immutable snapshot read without locking. */
  static final class Entry {
    static final Entry EMPTY = new Entry(null, Long.MIN_VALUE, null, 0);

    final RegistryCredential credential;
    final long serveUntilMillis;
    final TokenException failure;
    final long failureUntilMillis;

    Entry(
        RegistryCredential credential,
        long serveUntilMillis,
        TokenException failure,
        long failureUntilMillis) {
      this.credential = credential;
      this.serveUntilMillis = serveUntilMillis;
      this.failure = failure;
      this.failureUntilMillis = failureUntilMillis;
    }
  }

  final RegistryTarget target;
  volatile Entry entry = Entry.EMPTY;

  /** The one provider call of this key that is running, or null. */
  CompletableFuture<RegistryCredential> inFlight;

  RefreshScheduler.Handle scheduled;
  long scheduledAt;

  /** Bumped whenever the schedule changes, so that a superseded refresh task does nothing. */
  long generation;

  int consecutiveFailures;

  /** Set once the key is forgotten or the cache closed; a removed state is never reused. */
  boolean removed;

  KeyState(RegistryTarget target) {
    this.target = target;
  }

  /** Calls off the scheduled refresh, if any; under the monitor. */
  void cancelScheduled() {
    if (scheduled != null) {
      scheduled.cancel();
      scheduled = null;
    }
    generation++;
  }

  /** Marks the state removed, drops its credential and calls off its refresh; under the monitor. */
  void retire() {
    removed = true;
    entry = Entry.EMPTY;
    cancelScheduled();
  }
}
