package io.acrcredential.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A fetch through the cache failed, reported to {@link
 * CacheListener#refreshFailed(RefreshFailure)}.
 *
 * <p>Tells whether the cache still holds a credential it keeps serving, until when, and when it
 * will try again. {@link #toString()} never shows a password (the exception messages of a {@link
 * TokenProvider} carry no secrets by contract).
 *
 * @param target the key whose fetch failed
 * @param exception why it failed; {@link TokenException#isRetryable()} decides the retry interval
 * @param servedUntil the last instant the cache keeps serving the credential it still holds, or
 *     empty when it holds none that may be served (callers then get {@code exception})
 * @param nextAttempt when the cache tries again on its own
 * @param consecutiveFailures how many fetches of this key failed in a row, at least 1
 */
public record RefreshFailure(
    RegistryTarget target,
    TokenException exception,
    Optional<Instant> servedUntil,
    Instant nextAttempt,
    int consecutiveFailures) {

  /**
   * Validates the values.
   *
   * @throws NullPointerException naming the missing value
   * @throws IllegalArgumentException when {@code consecutiveFailures} is below 1
   */
  public RefreshFailure {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(exception, "exception");
    Objects.requireNonNull(servedUntil, "servedUntil");
    Objects.requireNonNull(nextAttempt, "nextAttempt");
    if (consecutiveFailures < 1) {
      throw new IllegalArgumentException(
          "consecutiveFailures must be at least 1, got " + consecutiveFailures);
    }
  }

  /**
   * Whether callers keep getting a valid credential despite this failure.
   *
   * @return true when {@link #servedUntil()} is present
   */
  public boolean validCredentialHeld() {
    return servedUntil.isPresent();
  }
}
