package io.acrcredential.k8s;

import java.util.function.LongSupplier;

/**
 * A client-side token bucket for write requests: at most {@code burst} writes at once, refilled at
 * {@code perSecond}. {@link #acquire()} blocks the calling worker until a token is free.
 *
 * <p>A rotation may {@linkplain #raiseUntil raise} the refill rate for a while (a floor above the
 * configured rate); once that time has passed the configured rate applies again. Thread-safe.
 */
final class WriteLimiter {

  private double configuredPerNano;
  private final double burst;
  private final LongSupplier nanoTime;
  private double tokens;
  private long last;
  private double floorPerNano;
  private long floorUntil;

  WriteLimiter(double perSecond, int burst) {
    this(perSecond, burst, System::nanoTime);
  }

  WriteLimiter(double perSecond, int burst, LongSupplier nanoTime) {
    if (!(perSecond > 0) || burst < 1) {
      throw new IllegalArgumentException(
          "write rate must be positive and burst at least 1, got " + perSecond + "/s, " + burst);
    }
    this.configuredPerNano = perSecond / 1e9;
    this.burst = burst;
    this.nanoTime = nanoTime;
    this.tokens = burst;
    this.last = nanoTime.getAsLong();
  }

  void acquire() throws InterruptedException {
    long waitNanos = reserve();
    if (waitNanos > 0) {
      Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
    }
  }

  /** Takes one token and returns how long the caller must wait before using it, in nanoseconds. */
  synchronized long reserve() {
    long now = nanoTime.getAsLong();
    refill(now);
    tokens -= 1;
    if (tokens >= 0) {
      return 0;
    }
    double deficit = -tokens;
    if (floorPerNano > 0) {
      long raisedSpan = floorUntil - now; // positive: refill() ended an expired raise
      if (deficit <= raisedSpan * floorPerNano) {
        return (long) Math.ceil(deficit / floorPerNano);
      }
      return raisedSpan
          + (long) Math.ceil((deficit - raisedSpan * floorPerNano) / configuredPerNano);
    }
    return (long) Math.ceil(deficit / configuredPerNano);
  }

  /**
   * Refills at no less than {@code perSecond} until {@code durationNanos} from now, then at the
   * configured rate again. While an earlier raise is still in force the two combine: the higher
   * rate until the later end (an earlier rotation's writes may still be pending). A rate at or
   * below the configured one changes nothing.
   */
  synchronized void raiseUntil(double perSecond, long durationNanos) {
    long now = nanoTime.getAsLong();
    refill(now); // tokens earned so far count at the old rate; ends an expired raise
    if (!(perSecond / 1e9 > configuredPerNano) || durationNanos <= 0) {
      return;
    }
    long until = now + durationNanos;
    if (floorPerNano > 0) {
      floorPerNano = Math.max(floorPerNano, perSecond / 1e9);
      floorUntil = until - floorUntil > 0 ? until : floorUntil;
    } else {
      floorPerNano = perSecond / 1e9;
      floorUntil = until;
    }
  }

  /** The rate in force now, writes per second. */
  synchronized double currentRate() {
    return perNano(nanoTime.getAsLong()) * 1e9;
  }

  /** The configured (not raised) rate, writes per second. */
  synchronized double configuredRate() {
    return configuredPerNano * 1e9;
  }

  /**
   * Changes the configured rate (the default follows the number of managed Secrets); tokens earned
   * so far count at the old rate, a raise in force stays.
   */
  synchronized void configure(double perSecond) {
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException("write rate must be positive, got " + perSecond);
    }
    refill(nanoTime.getAsLong());
    configuredPerNano = perSecond / 1e9;
  }

  private double perNano(long now) {
    return floorPerNano > 0 && now - floorUntil < 0 ? floorPerNano : configuredPerNano;
  }

  private void refill(long now) {
    double earned;
    if (floorPerNano > 0 && floorUntil - last > 0) {
      // part (or all) of the elapsed time was under the raised rate
      long raisedEnd = now - floorUntil < 0 ? now : floorUntil;
      earned = (raisedEnd - last) * floorPerNano + (now - raisedEnd) * configuredPerNano;
    } else {
      earned = (now - last) * configuredPerNano;
    }
    if (floorPerNano > 0 && now - floorUntil >= 0) {
      floorPerNano = 0;
    }
    tokens = Math.min(burst, tokens + earned);
    last = now;
  }
}
