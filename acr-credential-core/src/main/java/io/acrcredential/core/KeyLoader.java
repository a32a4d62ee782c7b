package io.acrcredential.core;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider-calling half of {@link CachingTokenProvider}: runs the one flight of a key (a
 * caller's fetch or a background refresh), records its outcome in the key's {@link KeyState},
 * releases the callers waiting on it, tells the listeners, logs failures and schedules the key's
 * next refresh by the {@link RefreshPolicy}.
 */
final class KeyLoader {

  /** Logged under the cache's name, where operators already look for its messages. */
  private static final Logger LOG = LoggerFactory.getLogger(CachingTokenProvider.class);

  private final TokenProvider delegate;
  private final Clock clock;
  private final RefreshScheduler scheduler;
  private final RefreshPolicy policy;
  private final CacheListeners listeners;
  private final KeyTable table;

  KeyLoader(
      TokenProvider delegate,
      Clock clock,
      RefreshScheduler scheduler,
      RefreshPolicy policy,
      CacheListeners listeners,
      KeyTable table) {
    this.delegate = delegate;
    this.clock = clock;
    this.scheduler = scheduler;
    this.policy = policy;
    this.listeners = listeners;
    this.table = table;
  }

  /** Runs a background refresh scheduled for {@code generation} of the key's schedule. */
  private void refreshInBackground(KeyState state, long generation) {
    CompletableFuture<RegistryCredential> flight;
    synchronized (state) {
      if (table.isClosed() || state.removed || state.generation != generation) {
        return;
      }
      state.scheduled = null;
      if (state.inFlight != null) {
        return; // a caller is fetching; it schedules the next refresh when done
      }
      flight = new CompletableFuture<>();
      state.inFlight = flight;
    }
    try {
      load(state, flight, false);
    } catch (TokenException alreadyReported) {
      // logged and given to the listeners by load
    } catch (RuntimeException | Error unexpected) {
      LOG.error(
          "Background refresh for {} failed unexpectedly", state.target.describe(), unexpected);
    }
  }

  /**
   * Calls the provider for a key this thread owns the flight of, records the outcome, releases the
   * waiters, tells the listeners, then schedules the next refresh and lets the next flight in.
   *
   * @param rethrow whether to throw a failure to the caller (false for background refreshes)
   * @return the credential, or null for a failure that is not rethrown
   */
  RegistryCredential load(
      KeyState state, CompletableFuture<RegistryCredential> flight, boolean rethrow) {
    RegistryTarget target = state.target;
    long nextRunAt = Long.MIN_VALUE;
    try {
      Object outcome = callDelegate(target);
      long now = clock.millis();
      if (outcome instanceof RegistryCredential credential) {
        long serveUntil = policy.serveUntil(credential);
        if (serveUntil > now) {
          nextRunAt = policy.refreshTime(now, credential, serveUntil);
          succeed(state, flight, credential, serveUntil, nextRunAt);
          return credential;
        }
        outcome =
            new TokenException(
                TokenException.Reason.INVALID_RESPONSE,
                null,
                "the token provider returned a credential for "
                    + target.describe()
                    + " that expires at "
                    + credential.expiresAt()
                    + ", inside the safety margin of "
                    + policy.safetyMargin()
                    + "; check the provider and this machine's clock");
      }
      TokenException failure = (TokenException) outcome;
      nextRunAt = fail(state, flight, failure, now);
      if (rethrow) {
        throw failure;
      }
      return null;
    } catch (Error error) {
      flight.completeExceptionally(error);
      nextRunAt = policy.afterError(clock.millis());
      throw error;
    } finally {
      synchronized (state) {
        if (state.inFlight == flight) {
          state.inFlight = null;
        }
        if (nextRunAt != Long.MIN_VALUE && !table.isClosed() && !state.removed) {
          scheduleLocked(state, nextRunAt);
        }
      }
    }
  }

  /** The provider's credential, or a TokenException describing why there is none. */
  private Object callDelegate(RegistryTarget target) {
    try {
      RegistryCredential credential = delegate.fetch(target);
      if (credential == null) {
        return new TokenException(
            TokenException.Reason.INVALID_RESPONSE,
            null,
            "the token provider "
                + delegate.getClass().getName()
                + " returned no credential for "
                + target.describe());
      }
      return credential;
    } catch (TokenException e) {
      return e;
    } catch (Error e) {
      throw e;
    } catch (Throwable e) {
      return new TokenException(
          TokenException.Reason.INVALID_RESPONSE,
          null,
          "the token provider "
              + delegate.getClass().getName()
              + " failed unexpectedly for "
              + target.describe()
              + " with "
              + e.getClass().getName(),
          e);
    }
  }

  private void succeed(
      KeyState state,
      CompletableFuture<RegistryCredential> flight,
      RegistryCredential credential,
      long serveUntil,
      long nextRunAt) {
    RegistryCredential previous;
    boolean removed;
    synchronized (state) {
      previous = state.entry.credential;
      removed = state.removed;
      if (!removed) { // a forgotten key keeps no credential; its waiters still get this one
        state.entry = new KeyState.Entry(credential, serveUntil, null, 0);
        state.consecutiveFailures = 0;
      }
    }
    flight.complete(credential);
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "Fetched the credential for {}: expires at {}, next refresh at {}",
          state.target.describe(),
          credential.expiresAt(),
          Instant.ofEpochMilli(nextRunAt));
    }
    if (!removed && !credential.equals(previous)) {
      listeners.credentialChanged(
          new CredentialChange(state.target, Optional.ofNullable(previous), credential));
    }
  }

  /** Records a failure, releases the waiters, reports it; returns when to try again. */
  private long fail(
      KeyState state,
      CompletableFuture<RegistryCredential> flight,
      TokenException failure,
      long now) {
    boolean retryable = failure.isRetryable();
    int failures;
    long nextRunAt;
    long servedUntil;
    boolean removed;
    synchronized (state) {
      failures = ++state.consecutiveFailures;
      long delay = policy.retryDelay(retryable, failures);
      nextRunAt = RefreshPolicy.saturatedPlus(now, delay);
      long failureUntil = policy.failureUntil(now, delay);
      KeyState.Entry old = state.entry;
      servedUntil = old.serveUntilMillis;
      removed = state.removed;
      if (!removed) {
        state.entry =
            new KeyState.Entry(old.credential, old.serveUntilMillis, failure, failureUntil);
      }
    }
    flight.completeExceptionally(failure);
    boolean held = now < servedUntil;
    logFailure(state.target, failure, failures, nextRunAt, held ? servedUntil : Long.MIN_VALUE);
    if (!removed) {
      listeners.refreshFailed(
          new RefreshFailure(
              state.target,
              failure,
              held ? Optional.of(Instant.ofEpochMilli(servedUntil)) : Optional.empty(),
              Instant.ofEpochMilli(nextRunAt),
              failures));
    }
    return nextRunAt;
  }

  /**
   * Error level for a non-retryable failure, warning for a retryable one.
   *
   * @param heldUntil until when a cached credential is still served, or {@code Long.MIN_VALUE}
   */
  private static void logFailure(
      RegistryTarget target, TokenException failure, int failures, long nextRunAt, long heldUntil) {
    String code = failure.errorCode().map(c -> " " + c).orElse("");
    String held =
        heldUntil == Long.MIN_VALUE
            ? ""
            : "; still serving the cached credential until " + Instant.ofEpochMilli(heldUntil);
    if (!failure.isRetryable()) {
      LOG.error(
          "Cannot fetch the credential for {} ({}{}): {}. Not retrying before {}{}",
          target.describe(),
          failure.reason(),
          code,
          failure.getMessage(),
          Instant.ofEpochMilli(nextRunAt),
          held);
    } else {
      LOG.warn(
          "Fetching the credential for {} failed ({}{}, {} in a row): {}. Retrying at {}{}",
          target.describe(),
          failure.reason(),
          code,
          failures,
          failure.getMessage(),
          Instant.ofEpochMilli(nextRunAt),
          held);
    }
  }

  /** Replaces the key's scheduled refresh with one at {@code atMillis}; under the state's lock. */
  private void scheduleLocked(KeyState state, long atMillis) {
    state.cancelScheduled();
    long generation = ++state.generation;
    long delay = Math.max(0, atMillis - clock.millis());
    state.scheduledAt = atMillis;
    try {
      state.scheduled = scheduler.schedule(() -> refreshInBackground(state, generation), delay);
    } catch (RejectedExecutionException e) {
      LOG.warn(
          "Cannot schedule the next refresh for {}: the executor refused the task; the next "
              + "caller after the credential expires fetches it instead",
          state.target.describe());
    }
  }
}
