package io.acrcredential.core;

import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * The timing rules of {@link CachingTokenProvider}, as plain arithmetic on epoch milliseconds: how
 * long a credential is served, when it is refreshed, how long to back off after a failure and how
 * long a failure is handed out again. Immutable; the only state is the jitter source. All sums
 * saturate instead of overflowing, so extreme expiries and settings cannot wrap around.
 */
final class RefreshPolicy {

  private final DoubleSupplier random;
  private final long refreshBeforeExpiryMillis;
  private final long refreshJitterMillis;
  private final long safetyMarginMillis;
  private final long retryInitialMillis;
  private final long retryMaxMillis;
  private final double retryMultiplier;
  private final double retryJitter;
  private final long nonRetryableRetryMillis;
  private final long failureCacheMillis;

  RefreshPolicy(
      DoubleSupplier random,
      Duration refreshBeforeExpiry,
      Duration refreshJitter,
      Duration safetyMargin,
      Duration retryInitial,
      Duration retryMax,
      double retryMultiplier,
      double retryJitter,
      Duration nonRetryableRetryInterval,
      Duration failureCacheTime) {
    this.random = random;
    this.refreshBeforeExpiryMillis = refreshBeforeExpiry.toMillis();
    this.refreshJitterMillis = refreshJitter.toMillis();
    this.safetyMarginMillis = safetyMargin.toMillis();
    this.retryInitialMillis = retryInitial.toMillis();
    this.retryMaxMillis = retryMax.toMillis();
    this.retryMultiplier = retryMultiplier;
    this.retryJitter = retryJitter;
    this.nonRetryableRetryMillis = nonRetryableRetryInterval.toMillis();
    this.failureCacheMillis = failureCacheTime.toMillis();
  }

  /** The safety margin, for messages. */
  Duration safetyMargin() {
    return Duration.ofMillis(safetyMarginMillis);
  }

  /** The last instant (exclusive) at which {@code credential} may be served. */
  long serveUntil(RegistryCredential credential) {
    return saturatedMinus(epochMillis(credential.expiresAt()), safetyMarginMillis);
  }

  /**
   * When to refresh a credential just fetched at {@code now}: a random instant in {@code [expiresAt
   * - refreshBeforeExpiry - refreshJitter, expiresAt - refreshBeforeExpiry]}, but no earlier than
   * halfway through its remaining serving time.
   */
  long refreshTime(long now, RegistryCredential credential, long serveUntil) {
    long windowStart =
        saturatedMinus(epochMillis(credential.expiresAt()), refreshBeforeExpiryMillis);
    long at = saturatedMinus(windowStart, (long) (random.getAsDouble() * refreshJitterMillis));
    long floor = now + Math.max(1, (serveUntil - now) / 2);
    return Math.max(at, floor);
  }

  /** The delay before retrying after the {@code failures}-th retryable failure in a row. */
  long backoffMillis(int failures) {
    double base = retryInitialMillis * Math.pow(retryMultiplier, failures - 1);
    long capped = base >= retryMaxMillis ? retryMaxMillis : (long) base;
    return jittered(capped);
  }

  /** The delay before trying again after the {@code failures}-th failure in a row. */
  long retryDelay(boolean retryable, int failures) {
    return retryable ? backoffMillis(failures) : jittered(nonRetryableRetryMillis);
  }

  /** Until when a failure at {@code now}, retried after {@code delay}, is handed out again. */
  long failureUntil(long now, long delay) {
    return saturatedPlus(now, Math.min(failureCacheMillis, delay));
  }

  /** When to try again after the provider threw an {@link Error} at {@code now}. */
  long afterError(long now) {
    return saturatedPlus(now, retryInitialMillis);
  }

  private long jittered(long delay) {
    return Math.max(1, delay - (long) (delay * retryJitter * random.getAsDouble()));
  }

  private static long epochMillis(Instant instant) {
    try {
      return instant.toEpochMilli();
    } catch (ArithmeticException e) {
      return instant.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  static long saturatedMinus(long a, long b) {
    long r = a - b;
    return ((a ^ b) & (a ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
  }

  static long saturatedPlus(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
  }
}
