package io.acrcredential.k8s;

import java.time.Duration;
import java.time.Instant;

/**
 * How fast a rotation must write so that no Secret holds an expired token while a valid one exists:
 * every affected Secret is to hold the new token within half of the time left until the old token
 * expires (the other half is the margin for retries, slow API calls and clock skew).
 *
 * @param rate the write rate to use for this rotation, writes per second
 * @param required the rate the deadline needs (may exceed {@code rate} when capped; infinite when
 *     the old token has already expired)
 * @param raiseFor how long a raised rate applies: until the old token expires, or, when it has
 *     already expired, as long as the writes take at {@code rate}; zero when nothing is raised
 */
record RotationPace(double rate, double required, Duration raiseFor) {

  /** The highest write rate a rotation raises to, writes per second. */
  static final double MAX_RATE = 1000;

  /** The lowest default write rate, writes per second (a small cluster's steady state). */
  static final double DEFAULT_MIN_RATE = 20;

  /**
   * The default write rate for {@code secrets} managed Secrets renewed {@code renewalWindow} before
   * their token expires: fast enough to rewrite every one of them within half of that window, so a
   * rotation (or a restart over stored tokens near expiry) ends before the old token expires with
   * the other half as margin; never below {@link #DEFAULT_MIN_RATE} nor above {@link #MAX_RATE}.
   *
   * @param secrets how many Secrets the sync manages (namespaces in scope × Secrets per namespace)
   * @param renewalWindow how long before expiry a token is renewed (the expiring threshold)
   * @return writes per second
   */
  static double defaultRate(long secrets, Duration renewalWindow) {
    long windowMillis = renewalWindow.toMillis();
    if (secrets <= 0 || windowMillis <= 0) {
      return DEFAULT_MIN_RATE;
    }
    double needed = secrets / (windowMillis / 2000.0);
    return Math.min(MAX_RATE, Math.max(DEFAULT_MIN_RATE, Math.ceil(needed)));
  }

  /** Whether the configured rate is not enough and {@link #rate} is above it. */
  boolean raised(double configuredRate) {
    return rate > configuredRate;
  }

  /** Whether even {@link #MAX_RATE} cannot meet the deadline. */
  boolean capped() {
    return required > rate;
  }

  /**
   * Writes per second needed to rewrite {@code secrets} Secrets within half of the time between
   * {@code now} and {@code oldExpiry}.
   *
   * @return 0 when there is nothing to write, positive infinity when the old token has expired
   */
  static double requiredRate(long secrets, Instant now, Instant oldExpiry) {
    if (secrets <= 0) {
      return 0;
    }
    long remainingMillis = Duration.between(now, oldExpiry).toMillis();
    if (remainingMillis <= 0) {
      return Double.POSITIVE_INFINITY;
    }
    return secrets / (remainingMillis / 2000.0);
  }

  /**
   * The pace for a rotation: the configured rate when it meets the deadline, else the required rate
   * up to {@code maxRate}.
   */
  static RotationPace plan(
      long secrets, Instant now, Instant oldExpiry, double configuredRate, double maxRate) {
    double required = requiredRate(secrets, now, oldExpiry);
    if (required <= configuredRate) {
      return new RotationPace(configuredRate, required, Duration.ZERO);
    }
    double rate = Math.min(required, Math.max(maxRate, configuredRate));
    Duration remaining = Duration.between(now, oldExpiry);
    Duration raiseFor =
        remaining.isNegative() || remaining.isZero()
            ? Duration.ofMillis((long) Math.ceil(secrets * 1000.0 / rate))
            : remaining;
    return new RotationPace(rate, required, raiseFor);
  }
}
