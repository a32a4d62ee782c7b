package io.acrcredential.k8s;

import io.kubernetes.client.openapi.ApiException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lease-based leader election, as Kubernetes' own components do it. One thread sends every Lease
 * request, one after another:
 *
 * <ul>
 *   <li>as a candidate it reads the Lease every retry period (plus up to 20 % jitter) and takes it
 *       when it is free, missing, or unchanged for the lease duration by this elector's own clock
 *       (no trust in other machines' clocks);
 *   <li>as leader it renews every retry period and stops leading when a read shows another holder,
 *       or when the renew deadline passed since the last successful renewal was sent; then it is a
 *       candidate again;
 *   <li>on {@link #close()} it gives a held Lease up (empty holder), so a standby takes over at its
 *       next read.
 * </ul>
 *
 * <p>The callbacks run on the lease thread in order and must be quick. {@link #step()} is one
 * iteration, for tests with a fake clock.
 */
final class LeaseElector {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseElector.class);
  static final double JITTER = 0.2;

  enum Attempt {
    /** This candidate holds the Lease now (it created, took or renewed it). */
    HELD,
    /** Another candidate holds it and its lease duration has not run out. */
    HELD_BY_OTHER,
    /** The request failed or lost a race; nothing is known. */
    FAILED
  }

  private final LeaseStore store;
  private final String identity;
  private final Duration leaseDuration;
  private final long leaseNanos;
  private final long renewDeadlineNanos;
  private final long retryNanos;
  private final LongSupplier nanoTime;
  private final Supplier<OffsetDateTime> wallClock;
  private final DoubleSupplier random;
  private final Runnable onStartLeading;
  private final Runnable onStopLeading;
  private final Object wakeUp = new Object();

  // touched by the lease thread only (or by a test calling step())
  private LeaseRecord observed;
  private long observedAt;
  private boolean leading;
  private long renewedAt;
  private boolean failing;

  private volatile boolean closed;
  private Thread thread;

  LeaseElector(
      LeaseStore store,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod,
      LongSupplier nanoTime,
      Supplier<OffsetDateTime> wallClock,
      DoubleSupplier random,
      Runnable onStartLeading,
      Runnable onStopLeading) {
    if (!(leaseDuration.compareTo(renewDeadline) > 0 && renewDeadline.compareTo(retryPeriod) > 0)
        || retryPeriod.isNegative()
        || retryPeriod.isZero()) {
      throw new IllegalArgumentException(
          "leader election needs leaseDuration > renewDeadline > retryPeriod > 0, got "
              + leaseDuration
              + ", "
              + renewDeadline
              + ", "
              + retryPeriod);
    }
    this.store = store;
    this.identity = store.identity();
    this.leaseDuration = leaseDuration;
    this.leaseNanos = leaseDuration.toNanos();
    this.renewDeadlineNanos = renewDeadline.toNanos();
    this.retryNanos = retryPeriod.toNanos();
    this.nanoTime = nanoTime;
    this.wallClock = wallClock;
    this.random = random;
    this.onStartLeading = onStartLeading;
    this.onStopLeading = onStopLeading;
  }

  /** Starts the lease thread. */
  void start(ThreadFactory threads) {
    thread = threads.newThread(this::run);
    thread.start();
  }

  /**
   * Ends the lease thread after its current request, giving a held Lease up first; waits for it (up
   * to the renew deadline and a few seconds, then interrupts it). Without a thread (never started,
   * or a test driving {@link #step()}) it gives the Lease up on the caller's thread.
   */
  void close() {
    closed = true;
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
    Thread t = thread;
    if (t == null) {
      stop();
      return;
    }
    if (t == Thread.currentThread()) {
      return;
    }
    try {
      t.join(TimeUnit.NANOSECONDS.toMillis(renewDeadlineNanos) + 5_000);
      if (t.isAlive()) {
        t.interrupt();
        t.join(5_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether this elector leads by its own last request (the fence judges writes). */
  boolean leading() {
    return leading;
  }

  private void run() {
    try {
      while (!closed) {
        long wait = step();
        synchronized (wakeUp) {
          if (!closed && wait > 0) {
            TimeUnit.NANOSECONDS.timedWait(wakeUp, wait);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stop();
    }
  }

  /**
   * One iteration: a Lease request as candidate or leader, and what follows from it.
   *
   * @return nanoseconds to wait before the next iteration
   */
  long step() {
    long now = nanoTime.getAsLong();
    if (leading && now - renewedAt > renewDeadlineNanos) {
      stopLeading("no renewal within the renew deadline");
    }
    Attempt attempt = tryAcquireOrRenew(now);
    if (!leading) {
      if (attempt == Attempt.HELD) {
        leading = true;
        renewedAt = now;
        LOG.debug("Lease {}: acquired by {}", store.describe(), identity);
        onStartLeading.run();
        return retryNanos;
      }
      return (long) (retryNanos * (1 + JITTER * random.getAsDouble()));
    }
    switch (attempt) {
      case HELD -> {
        renewedAt = now;
        return retryNanos;
      }
      case HELD_BY_OTHER -> {
        stopLeading("held by " + observed.holder());
        return retryNanos;
      }
      default -> {
        // try again within the renew deadline, and stop leading right at it
        long left = renewedAt + renewDeadlineNanos - nanoTime.getAsLong();
        return Math.max(0, Math.min(retryNanos, left + 1));
      }
    }
  }

  /** One read and, when this candidate may hold the Lease, one create or update. */
  Attempt tryAcquireOrRenew(long now) {
    LeaseRecord old;
    try {
      old = store.get();
    } catch (ApiException e) {
      if (!failing) {
        failing = true;
        LOG.warn(
            "Lease {}: read failed (HTTP {}); retrying every {} ms",
            store.describe(),
            e.getCode(),
            TimeUnit.NANOSECONDS.toMillis(retryNanos));
      }
      return Attempt.FAILED;
    }
    if (failing) {
      failing = false;
      LOG.info("Lease {}: readable again", store.describe());
    }
    OffsetDateTime wall = wallClock.get();
    if (old == null) {
      LeaseRecord record = new LeaseRecord(identity, leaseDuration, wall, wall, 0);
      if (!store.create(record)) {
        return Attempt.FAILED;
      }
      observe(record, now);
      return Attempt.HELD;
    }
    if (!old.equals(observed)) {
      observe(old, now); // the lease duration counts from when a change is seen
    }
    boolean mine = identity.equals(old.holder());
    if (!mine && old.held() && now - observedAt < leaseNanos) {
      return Attempt.HELD_BY_OTHER;
    }
    LeaseRecord record =
        mine
            ? new LeaseRecord(identity, leaseDuration, old.acquired(), wall, old.transitions())
            : new LeaseRecord(identity, leaseDuration, wall, wall, old.transitions() + 1);
    if (!store.update(record)) {
      return Attempt.FAILED;
    }
    observe(record, now);
    return Attempt.HELD;
  }

  private void observe(LeaseRecord record, long now) {
    observed = record;
    observedAt = now;
  }

  private void stopLeading(String why) {
    leading = false;
    LOG.debug("Lease {}: {} stops leading: {}", store.describe(), identity, why);
    onStopLeading.run();
  }

  /** After the loop: gives a held Lease up, then reports the end of leadership. */
  private void stop() {
    if (observed != null && identity.equals(observed.holder())) {
      boolean interrupted = Thread.interrupted(); // a release from an interrupted thread fails
      OffsetDateTime wall = wallClock.get();
      if (store.update(
          new LeaseRecord(null, Duration.ofSeconds(1), wall, wall, observed.transitions()))) {
        LOG.debug("Lease {}: released by {}", store.describe(), identity);
      }
      observed = null;
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (leading) {
      stopLeading("closed");
    }
  }
}
