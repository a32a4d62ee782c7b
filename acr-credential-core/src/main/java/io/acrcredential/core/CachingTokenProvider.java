package io.acrcredential.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cache in front of any {@link TokenProvider}, keyed by {@link RegistryTarget}, that refreshes
 * credentials before they expire, never stampedes the provider and rides out provider outages.
 *
 * <pre>{@code
 * try (CachingTokenProvider cache = CachingTokenProvider.builder(acrProvider)
 *     .refreshBeforeExpiry(Duration.ofMinutes(15))
 *     .listener(CacheListener.onChange(change -> secrets.update(change)))
 *     .build()) {
 *   RegistryCredential credential = cache.fetch(RegistryTarget.personal("cn-hangzhou"));
 * }
 * }</pre>
 *
 * <p>Serves a credential until its expiry minus a safety margin, lock-free; refreshes every key in
 * the background before expiry (with jitter), one provider call per key at a time; rides out
 * outages on the still-valid credential with bounded, jittered backoff; caches failures briefly;
 * reports changes and failures to {@link CacheListener}s ({@link #addListener}). The exact rules
 * (serving, refreshing, single flight, failures, threads) are in the core module's README.md.
 *
 * <p>Thread-safe. Background refreshes run on the {@linkplain Builder#executor given executor}, or
 * on one daemon thread that {@link #close()} ends.
 */
public final class CachingTokenProvider implements TokenProvider, AutoCloseable {

  // The work is shared out package-private: KeyTable finds and owns the per-key states, KeyLoader
  // calls the provider and schedules refreshes, RefreshPolicy does the timing arithmetic,
  // CacheListeners calls the listeners. This class keeps the callers' side: serving and waiting.

  private static final Logger LOG = LoggerFactory.getLogger(CachingTokenProvider.class);

  private final Clock clock;
  private final RefreshScheduler scheduler;
  private final RefreshPolicy policy;
  private final CacheListeners listeners;
  private final KeyTable table = new KeyTable();
  private final KeyLoader loader;

  private CachingTokenProvider(Builder b) {
    this.clock = b.clock;
    this.scheduler =
        b.scheduler != null
            ? b.scheduler
            : b.executor != null
                ? RefreshScheduler.borrowing(b.executor)
                : RefreshScheduler.owningThread();
    this.policy =
        new RefreshPolicy(
            b.random,
            b.refreshBeforeExpiry,
            b.refreshJitter,
            b.safetyMargin,
            b.retryInitial,
            b.retryMax,
            b.retryMultiplier,
            b.retryJitter,
            b.nonRetryableRetryInterval,
            b.failureCacheTime);
    this.listeners = new CacheListeners(b.listeners);
    this.loader = new KeyLoader(b.delegate, clock, scheduler, policy, listeners, table);
  }

  /**
   * Starts building a cache in front of {@code delegate}.
   *
   * @param delegate the provider that really fetches credentials; must be thread-safe
   * @return a builder with the documented defaults
   * @throws NullPointerException when {@code delegate} is null
   */
  public static Builder builder(TokenProvider delegate) {
    return new Builder(delegate);
  }

  /**
   * Returns a credential for the target that is valid for at least the safety margin: the cached
   * one when there is one, otherwise one fetched from the delegate (once, however many callers ask
   * at the same time). A key fetched once is kept fresh in the background from then on.
   *
   * @param target the registry to get a credential for
   * @return a credential not inside its safety margin
   * @throws TokenException when there is no servable credential and the provider failed, now or
   *     (negative caching) very recently; also, with reason {@link TokenException.Reason#NETWORK},
   *     when the calling thread is interrupted while waiting for another caller's fetch (its
   *     interrupt flag is kept)
   * @throws IllegalStateException when the cache is closed
   * @throws NullPointerException when {@code target} is null
   */
  @Override
  public RegistryCredential fetch(RegistryTarget target) {
    Objects.requireNonNull(target, "target must not be null");
    KeyState state = table.find(target);
    if (state != null) {
      KeyState.Entry entry = state.entry;
      if (clock.millis() < entry.serveUntilMillis) {
        return entry.credential;
      }
    }
    return fetchSlowly(target);
  }

  /**
   * Adds a listener to a built cache, after the builder's {@linkplain Builder#listener listeners}
   * and those added earlier. It hears about the outcomes completed after this call returns, with
   * the guarantees described in {@link CacheListener}. This is how a component created after the
   * cache subscribes itself (a Kubernetes pull-Secret sync does so when it starts); remove it with
   * {@link #removeListener(CacheListener)} when that component stops.
   *
   * @param listener the listener; adding the same instance twice makes it hear everything twice
   * @throws NullPointerException when {@code listener} is null
   */
  @Override
  public void addListener(CacheListener listener) {
    listeners.add(Builder.require(listener, "listener"));
  }

  /**
   * Removes one registration of a listener given to the builder or to {@link
   * #addListener(CacheListener)}. An outcome whose listeners are being called at that moment may
   * still reach it; outcomes completed after this call returns do not.
   *
   * @param listener the listener to remove
   * @return whether it was registered
   */
  @Override
  public boolean removeListener(CacheListener listener) {
    return listeners.remove(listener);
  }

  /**
   * Forgets a key: drops its credential and stops refreshing it. The next {@link #fetch} of the
   * target calls the provider again. A fetch of the key already running completes for the callers
   * waiting on it, but its outcome is neither cached nor reported to listeners.
   *
   * @param target the key to forget; unknown keys are ignored
   * @throws NullPointerException when {@code target} is null
   */
  public void invalidate(RegistryTarget target) {
    Objects.requireNonNull(target, "target must not be null");
    if (table.forget(target) != null) {
      LOG.debug("Forgot the cached credential for {}", target.describe());
    }
  }

  /**
   * Stops all background refreshes, releases the refresher thread the cache created (waiting up to
   * five seconds for a running refresh to notice), and makes every later {@link #fetch} throw
   * {@link IllegalStateException}. Callers waiting for a fetch get an {@link IllegalStateException}
   * at once. An {@linkplain Builder#executor(ScheduledExecutorService) executor given to the
   * builder} is not shut down; only this cache's tasks on it are cancelled. Calling it again does
   * nothing.
   */
  @Override
  public void close() {
    List<KeyState> all = table.close();
    if (all == null) {
      return;
    }
    IllegalStateException closing = closedException(null);
    for (KeyState state : all) {
      synchronized (state) {
        state.retire();
        if (state.inFlight != null) {
          state.inFlight.completeExceptionally(closing);
        }
      }
    }
    scheduler.close();
    LOG.debug("Closed the credential cache ({} keys)", all.size());
  }

  // ---------------------------------------------------------------------------------------------

  private RegistryCredential fetchSlowly(RegistryTarget target) {
    while (true) {
      if (table.isClosed()) {
        throw closedException(target);
      }
      KeyState state = table.getOrCreate(target);
      CompletableFuture<RegistryCredential> flight;
      boolean owner = false;
      synchronized (state) {
        if (table.isClosed()) {
          throw closedException(target);
        }
        if (state.removed) {
          continue; // invalidated between the look-up and the lock: use the fresh state
        }
        table.promote(state);
        long now = clock.millis();
        KeyState.Entry entry = state.entry;
        if (now < entry.serveUntilMillis) {
          return entry.credential;
        }
        if (entry.failure != null && now < entry.failureUntilMillis) {
          throw entry.failure;
        }
        flight = state.inFlight;
        if (flight == null) {
          flight = new CompletableFuture<>();
          state.inFlight = flight;
          state.cancelScheduled();
          owner = true;
        }
      }
      return owner ? loader.load(state, flight, true) : await(target, flight);
    }
  }

  private static RegistryCredential await(
      RegistryTarget target, CompletableFuture<RegistryCredential> flight) {
    try {
      return flight.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(
          "the fetch for " + target.describe() + " failed unexpectedly", cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TokenException(
          TokenException.Reason.NETWORK,
          null,
          "interrupted while waiting for the credential for " + target.describe(),
          e);
    }
  }

  private static IllegalStateException closedException(RegistryTarget target) {
    return new IllegalStateException(
        target == null
            ? "the credential cache was closed"
            : "the credential cache was closed; cannot fetch the credential for "
                + target.describe());
  }

  // package-private views for tests -------------------------------------------------------------

  /** The instant the next background refresh of the key is due, or empty. */
  Optional<Instant> nextRefresh(RegistryTarget target) {
    KeyState state = table.get(target);
    if (state == null) {
      return Optional.empty();
    }
    synchronized (state) {
      return state.scheduled == null
          ? Optional.empty()
          : Optional.of(Instant.ofEpochMilli(state.scheduledAt));
    }
  }

  /** The delay before retrying after the {@code failures}-th retryable failure in a row. */
  long backoffMillis(int failures) {
    return policy.backoffMillis(failures);
  }

  /**
   * Configures a {@link CachingTokenProvider}. Not thread-safe; every setter rejects bad values at
   * once with a message naming the setting.
   */
  public static final class Builder {
    private final TokenProvider delegate;
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService executor;
    private RefreshScheduler scheduler;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private final List<CacheListener> listeners = new ArrayList<>();
    private Duration refreshBeforeExpiry = Duration.ofMinutes(15);
    private Duration refreshJitter = Duration.ofMinutes(5);
    private Duration safetyMargin = Duration.ofMinutes(1);
    private Duration retryInitial = Duration.ofSeconds(1);
    private Duration retryMax = Duration.ofMinutes(2);
    private double retryMultiplier = 2.0;
    private double retryJitter = 0.2;
    private Duration nonRetryableRetryInterval = Duration.ofMinutes(10);
    private Duration failureCacheTime = Duration.ofSeconds(30);

    private Builder(TokenProvider delegate) {
      this.delegate =
          Objects.requireNonNull(delegate, "the token provider to cache (delegate) is null");
    }

    /**
     * The clock that decides expiry. Default {@link Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = require(clock, "clock");
      return this;
    }

    /**
     * Runs background refreshes on this executor instead of a thread of the cache's own. The cache
     * cancels its tasks on {@link CachingTokenProvider#close()} but never shuts the executor down.
     * Refreshes call the provider on the executor's threads, so it must tolerate blocking tasks.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder executor(ScheduledExecutorService executor) {
      this.executor = require(executor, "executor");
      return this;
    }

    /**
     * How long before expiry a credential is refreshed (the {@code expiring-threshold} setting).
     * Default 15 minutes. Must be longer than the {@linkplain #safetyMargin(Duration) safety
     * margin}.
     *
     * @param threshold a positive duration
     * @return this builder
     */
    public Builder refreshBeforeExpiry(Duration threshold) {
      this.refreshBeforeExpiry = positive(threshold, "refreshBeforeExpiry (expiring-threshold)");
      return this;
    }

    /**
     * The largest random amount by which a refresh is moved earlier than {@link
     * #refreshBeforeExpiry(Duration)}, so that many caches do not refresh in lockstep. Default 5
     * minutes; zero disables jitter.
     *
     * @param jitter a duration of zero or more
     * @return this builder
     */
    public Builder refreshJitter(Duration jitter) {
      this.refreshJitter = notNegative(jitter, "refreshJitter");
      return this;
    }

    /**
     * How close to expiry a credential stops being served: a caller never gets a credential that
     * expires sooner than this. Default 1 minute.
     *
     * @param margin a duration of zero or more, shorter than the refresh threshold
     * @return this builder
     */
    public Builder safetyMargin(Duration margin) {
      this.safetyMargin = notNegative(margin, "safetyMargin");
      return this;
    }

    /**
     * The backoff after retryable failures: the first retry waits {@code initial}, each further one
     * {@linkplain #retryMultiplier(double) longer}, never more than {@code max}. Default 1 second
     * to 2 minutes.
     *
     * @param initial the first delay, positive
     * @param max the largest delay, at least {@code initial}
     * @return this builder
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      Duration first = positive(initial, "retryBackoff initial delay");
      Duration last = positive(max, "retryBackoff maximum delay");
      if (last.compareTo(first) < 0) {
        throw new IllegalArgumentException(
            "retryBackoff maximum delay " + last + " is shorter than the initial delay " + first);
      }
      this.retryInitial = first;
      this.retryMax = last;
      return this;
    }

    /**
     * The factor by which each retry delay grows. Default 2.
     *
     * @param multiplier a finite number of at least 1
     * @return this builder
     */
    public Builder retryMultiplier(double multiplier) {
      if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
        throw new IllegalArgumentException(
            "retryMultiplier must be a finite number of at least 1, got " + multiplier);
      }
      this.retryMultiplier = multiplier;
      return this;
    }

    /**
     * The largest fraction by which a retry delay is randomly shortened. Default 0.2 (a delay
     * {@code d} becomes a value in {@code (0.8 d, d]}).
     *
     * @param fraction between 0 and 1
     * @return this builder
     */
    public Builder retryJitter(double fraction) {
      if (!(fraction >= 0.0 && fraction <= 1.0)) {
        throw new IllegalArgumentException("retryJitter must be between 0 and 1, got " + fraction);
      }
      this.retryJitter = fraction;
      return this;
    }

    /**
     * How long to wait after a non-retryable failure (for example {@code Forbidden.RAM}) before the
     * background refresher tries again. Default 10 minutes.
     *
     * @param interval a positive duration
     * @return this builder
     */
    public Builder nonRetryableRetryInterval(Duration interval) {
      this.nonRetryableRetryInterval = positive(interval, "nonRetryableRetryInterval");
      return this;
    }

    /**
     * How long a failure is handed straight to callers of a key without a servable credential
     * instead of calling the provider again (negative caching). After a retryable failure the
     * shorter of this and the backoff delay applies. Default 30 seconds; zero disables it.
     *
     * @param time a duration of zero or more
     * @return this builder
     */
    public Builder failureCacheTime(Duration time) {
      this.failureCacheTime = notNegative(time, "failureCacheTime");
      return this;
    }

    /**
     * Adds a listener; listeners are called in the order added.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(CacheListener listener) {
      listeners.add(require(listener, "listener"));
      return this;
    }

    /** Test seam: runs background refreshes on fake time. */
    Builder scheduler(RefreshScheduler scheduler) {
      this.scheduler = require(scheduler, "scheduler");
      return this;
    }

    /** Test seam: the source of jitter, returning values in [0, 1). */
    Builder random(DoubleSupplier random) {
      this.random = require(random, "random");
      return this;
    }

    /**
     * Builds the cache. When no executor was given, starts no thread until the first refresh is
     * scheduled.
     *
     * @return the cache
     * @throws IllegalArgumentException when the safety margin is not shorter than the refresh
     *     threshold
     */
    public CachingTokenProvider build() {
      if (safetyMargin.compareTo(refreshBeforeExpiry) >= 0) {
        throw new IllegalArgumentException(
            "safetyMargin "
                + safetyMargin
                + " must be shorter than refreshBeforeExpiry (expiring-threshold) "
                + refreshBeforeExpiry
                + ", otherwise credentials stop being served before they are refreshed");
      }
      return new CachingTokenProvider(this);
    }

    static <T> T require(T value, String name) {
      return Objects.requireNonNull(value, () -> name + " must not be null");
    }

    private static Duration positive(Duration value, String name) {
      require(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + value);
      }
      return value;
    }

    private static Duration notNegative(Duration value, String name) {
      require(value, name);
      if (value.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, got " + value);
      }
      return value;
    }
  }
}
