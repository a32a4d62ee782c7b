package io.acrcredential.k8s;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A work queue with delays, per-item deduplication and retry backoff, after Kubernetes' own:
 *
 * <ul>
 *   <li>an item is queued at most once: adding it again while it waits changes nothing;
 *   <li>an item is handed to one worker at a time: added while being worked on, it is queued again
 *       when that worker calls {@link #done};
 *   <li>{@link #addAfter} queues an item later; a second delayed add keeps the earlier time;
 *   <li>{@link #retryLater} counts an item's failures and queues it after {@code base * 2^(n-1)},
 *       at most {@code max}; {@link #forget} resets the count.
 * </ul>
 *
 * <p>No thread of its own: {@link #take()} waits until an item is ready or the next delayed one is
 * due. Thread-safe.
 */
final class WorkQueue<T> {

  /** A scheduled retry: the item's failure count and the delay before it is queued again. */
  record Retry(int attempt, Duration delay) {}

  private record Delayed<T>(long due, long seq, T item) {}

  private final Duration retryBase;
  private final Duration retryMax;
  private final LongSupplier nanoTime;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<T> ready = new ArrayDeque<>();
  private final Set<T> dirty = new HashSet<>(); // queued, or to be queued again when done
  private final Set<T> processing = new HashSet<>();
  private final Map<T, Long> waitingUntil = new HashMap<>();
  private final PriorityQueue<Delayed<T>> waiting =
      new PriorityQueue<>(
          (a, b) ->
              a.due() != b.due()
                  ? Long.compare(a.due() - b.due(), 0)
                  : Long.compare(a.seq(), b.seq()));
  private final Map<T, Integer> failures = new HashMap<>();
  private long seq;
  private boolean shutDown;

  WorkQueue(Duration retryBase, Duration retryMax, LongSupplier nanoTime) {
    this.retryBase = retryBase;
    this.retryMax = retryMax;
    this.nanoTime = nanoTime;
  }

  /** Queues an item unless it is queued already; ignored after {@link #shutDown()}. */
  void add(T item) {
    lock.lock();
    try {
      addLocked(item);
    } finally {
      lock.unlock();
    }
  }

  /** Queues an item after a delay (at once when it is not positive). */
  void addAfter(T item, Duration delay) {
    long nanos = delay.toNanos();
    if (nanos <= 0) {
      add(item);
      return;
    }
    lock.lock();
    try {
      if (shutDown) {
        return;
      }
      long due = nanoTime.getAsLong() + nanos;
      Long already = waitingUntil.get(item);
      if (already != null && already - due <= 0) {
        return; // it comes earlier anyway
      }
      waitingUntil.put(item, due);
      waiting.add(new Delayed<>(due, seq++, item));
      changed.signalAll(); // a waiting worker may have to wake earlier
    } finally {
      lock.unlock();
    }
  }

  /** Counts a failure of the item and queues it again after the backoff for that count. */
  Retry retryLater(T item) {
    int attempt;
    lock.lock();
    try {
      attempt = failures.merge(item, 1, Integer::sum);
    } finally {
      lock.unlock();
    }
    Duration delay = backoff(attempt);
    addAfter(item, delay);
    return new Retry(attempt, delay);
  }

  /** Forgets an item's failures (it succeeded, or it is gone). */
  void forget(T item) {
    lock.lock();
    try {
      failures.remove(item);
    } finally {
      lock.unlock();
    }
  }

  /** The delay before failure number {@code attempt} (from 1) is retried. */
  Duration backoff(int attempt) {
    long base = retryBase.toMillis();
    long max = retryMax.toMillis();
    long delay = base << Math.min(attempt - 1, 30);
    return Duration.ofMillis(Math.min(max, delay <= 0 ? max : delay));
  }

  /**
   * Waits for the next ready item and marks it as being worked on.
   *
   * @return the item, or null once shut down with nothing ready
   */
  T take() throws InterruptedException {
    lock.lock();
    try {
      while (true) {
        T item = pollLocked();
        if (item != null || shutDown) {
          return item;
        }
        Delayed<T> next = waiting.peek();
        if (next == null) {
          changed.await();
        } else {
          changed.awaitNanos(next.due() - nanoTime.getAsLong());
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** The next ready item, marked as being worked on, or null; never waits. */
  T poll() {
    lock.lock();
    try {
      return pollLocked();
    } finally {
      lock.unlock();
    }
  }

  /** A worker finished an item; queues it again when it was added meanwhile. */
  void done(T item) {
    lock.lock();
    try {
      processing.remove(item);
      if (dirty.contains(item)) {
        ready.add(item);
        changed.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Refuses new items and wakes every waiting worker; ready items may still be taken. */
  void shutDown() {
    lock.lock();
    try {
      shutDown = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Items ready or waiting for their time, counted once each. */
  int size() {
    lock.lock();
    try {
      Set<T> all = new HashSet<>(ready);
      all.addAll(waitingUntil.keySet());
      return all.size();
    } finally {
      lock.unlock();
    }
  }

  private void addLocked(T item) {
    if (shutDown || !dirty.add(item)) {
      return;
    }
    if (!processing.contains(item)) {
      ready.add(item);
      changed.signal();
    }
  }

  private T pollLocked() {
    long now = nanoTime.getAsLong();
    for (Delayed<T> d = waiting.peek(); d != null && d.due() - now <= 0; d = waiting.peek()) {
      waiting.poll();
      Long due = waitingUntil.get(d.item());
      if (due != null && due == d.due()) {
        waitingUntil.remove(d.item());
        addLocked(d.item());
      }
    }
    T item = ready.poll();
    if (item != null) {
      processing.add(item);
      dirty.remove(item);
    }
    return item;
  }
}
