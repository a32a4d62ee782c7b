package io.acrcredential.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
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

  private static final Logger LOG = LoggerFactory.getLogger(CachingTokenProvider.class);

  private final TokenProvider delegate;
  private final Clock clock;
  private final RefreshScheduler scheduler;
  private final DoubleSupplier random;
  private final List<CacheListener> listeners;
  private final long refreshBeforeExpiryMillis;
  private final long refreshJitterMillis;
  private final long safetyMarginMillis;
  private final long retryInitialMillis;
  private final long retryMaxMillis;
  private final double retryMultiplier;
  private final double retryJitter;
  private final long nonRetryableRetryMillis;
  private final long failureCacheMillis;

  private final ConcurrentHashMap<RegistryTarget, KeyState> states = new ConcurrentHashMap<>();

  /**
   * Up to {@link #HOT_KEYS} states matched by target identity before the map is asked, so that
   * callers who reuse their target instance skip the record's {@code hashCode}/{@code equals}.
   * Copy-on-write under {@link #hotLock}; holds only states that are in {@link #states}.
   */
  private volatile KeyState[] hot = new KeyState[0];

  private final Object hotLock = new Object();
  private static final int HOT_KEYS = 8;
  private final Object closeLock = new Object();
  private volatile boolean closed;

  private CachingTokenProvider(Builder b) {
    this.delegate = b.delegate;
    this.clock = b.clock;
    this.scheduler =
        b.scheduler != null
            ? b.scheduler
            : b.executor != null
                ? RefreshScheduler.borrowing(b.executor)
                : RefreshScheduler.owningThread();
    this.random = b.random;
    this.listeners = new CopyOnWriteArrayList<>(b.listeners);
    this.refreshBeforeExpiryMillis = b.refreshBeforeExpiry.toMillis();
    this.refreshJitterMillis = b.refreshJitter.toMillis();
    this.safetyMarginMillis = b.safetyMargin.toMillis();
    this.retryInitialMillis = b.retryInitial.toMillis();
    this.retryMaxMillis = b.retryMax.toMillis();
    this.retryMultiplier = b.retryMultiplier;
    this.retryJitter = b.retryJitter;
    this.nonRetryableRetryMillis = b.nonRetryableRetryInterval.toMillis();
    this.failureCacheMillis = b.failureCacheTime.toMillis();
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
    KeyState state = null;
    KeyState[] recent = hot;
    for (int i = 0; i < recent.length; i++) {
      if (recent[i].target == target) {
        state = recent[i];
        break;
      }
    }
    if (state == null) {
      state = states.get(target);
    }
    if (state != null) {
      Entry entry = state.entry;
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
    return listener != null && listeners.remove(listener);
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
    KeyState state = states.remove(target);
    if (state != null) {
      synchronized (state) {
        state.removed = true;
        state.entry = Entry.EMPTY;
        state.cancelScheduled();
      }
      dropFromHot(state);
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
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    List<KeyState> all = new ArrayList<>(states.values());
    states.clear();
    synchronized (hotLock) {
      hot = new KeyState[0];
    }
    IllegalStateException closing = closedException(null);
    for (KeyState state : all) {
      synchronized (state) {
        state.removed = true;
        state.entry = Entry.EMPTY;
        state.cancelScheduled();
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
      if (closed) {
        throw closedException(target);
      }
      KeyState state = states.computeIfAbsent(target, KeyState::new);
      CompletableFuture<RegistryCredential> flight;
      boolean owner = false;
      synchronized (state) {
        if (closed) {
          throw closedException(target);
        }
        if (state.removed) {
          continue; // invalidated between the look-up and the lock: use the fresh state
        }
        promoteToHot(state);
        long now = clock.millis();
        Entry entry = state.entry;
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
      return owner ? load(state, flight, true) : await(target, flight);
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

  /** Runs a background refresh scheduled for {@code generation} of the key's schedule. */
  private void refreshInBackground(KeyState state, long generation) {
    CompletableFuture<RegistryCredential> flight;
    synchronized (state) {
      if (closed || state.removed || state.generation != generation) {
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
   */
  private RegistryCredential load(
      KeyState state, CompletableFuture<RegistryCredential> flight, boolean rethrow) {
    RegistryTarget target = state.target;
    long nextRunAt = Long.MIN_VALUE;
    try {
      Object outcome = callDelegate(target);
      long now = clock.millis();
      if (outcome instanceof RegistryCredential credential) {
        long serveUntil = saturatedMinus(epochMillis(credential.expiresAt()), safetyMarginMillis);
        if (serveUntil > now) {
          nextRunAt = refreshTime(now, credential, serveUntil);
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
                    + Duration.ofMillis(safetyMarginMillis)
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
      nextRunAt = saturatedPlus(clock.millis(), retryInitialMillis);
      throw error;
    } finally {
      synchronized (state) {
        if (state.inFlight == flight) {
          state.inFlight = null;
        }
        if (nextRunAt != Long.MIN_VALUE && !closed && !state.removed) {
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
        state.entry = new Entry(credential, serveUntil, null, 0);
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
      CredentialChange change =
          new CredentialChange(state.target, Optional.ofNullable(previous), credential);
      for (CacheListener listener : listeners) {
        try {
          listener.credentialChanged(change);
        } catch (RuntimeException | AssertionError | LinkageError e) {
          LOG.warn(
              "Cache listener {} failed on a credential change for {}; ignored",
              listener.getClass().getName(),
              state.target.describe(),
              e);
        }
      }
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
      long delay = retryable ? backoffMillis(failures) : jittered(nonRetryableRetryMillis);
      nextRunAt = saturatedPlus(now, delay);
      long failureUntil = saturatedPlus(now, Math.min(failureCacheMillis, delay));
      Entry old = state.entry;
      servedUntil = old.serveUntilMillis;
      removed = state.removed;
      if (!removed) {
        state.entry = new Entry(old.credential, old.serveUntilMillis, failure, failureUntil);
      }
    }
    flight.completeExceptionally(failure);
    boolean held = now < servedUntil;
    String code = failure.errorCode().map(c -> " " + c).orElse("");
    if (!retryable) {
      LOG.error(
          "Cannot fetch the credential for {} ({}{}): {}. Not retrying before {}{}",
          state.target.describe(),
          failure.reason(),
          code,
          failure.getMessage(),
          Instant.ofEpochMilli(nextRunAt),
          held
              ? "; still serving the cached credential until " + Instant.ofEpochMilli(servedUntil)
              : "");
    } else {
      LOG.warn(
          "Fetching the credential for {} failed ({}{}, {} in a row): {}. Retrying at {}{}",
          state.target.describe(),
          failure.reason(),
          code,
          failures,
          failure.getMessage(),
          Instant.ofEpochMilli(nextRunAt),
          held
              ? "; still serving the cached credential until " + Instant.ofEpochMilli(servedUntil)
              : "");
    }
    if (!removed) {
      RefreshFailure event =
          new RefreshFailure(
              state.target,
              failure,
              held ? Optional.of(Instant.ofEpochMilli(servedUntil)) : Optional.empty(),
              Instant.ofEpochMilli(nextRunAt),
              failures);
      for (CacheListener listener : listeners) {
        try {
          listener.refreshFailed(event);
        } catch (RuntimeException | AssertionError | LinkageError e) {
          LOG.warn(
              "Cache listener {} failed on a refresh failure for {}; ignored",
              listener.getClass().getName(),
              state.target.describe(),
              e);
        }
      }
    }
    return nextRunAt;
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

  private long jittered(long delay) {
    return Math.max(1, delay - (long) (delay * retryJitter * random.getAsDouble()));
  }

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

  /** Adds a live state to the identity front, if there is room; called under the state's lock. */
  private void promoteToHot(KeyState state) {
    KeyState[] current = hot;
    if (current.length >= HOT_KEYS) {
      return;
    }
    for (KeyState s : current) {
      if (s == state) {
        return;
      }
    }
    synchronized (hotLock) {
      KeyState[] now = hot;
      if (closed || state.removed || now.length >= HOT_KEYS) {
        return;
      }
      for (KeyState s : now) {
        if (s == state) {
          return;
        }
      }
      KeyState[] next = Arrays.copyOf(now, now.length + 1);
      next[now.length] = state;
      hot = next;
    }
  }

  private void dropFromHot(KeyState state) {
    synchronized (hotLock) {
      KeyState[] now = hot;
      KeyState[] next = new KeyState[now.length];
      int n = 0;
      for (KeyState s : now) {
        if (s != state) {
          next[n++] = s;
        }
      }
      hot = Arrays.copyOf(next, n);
    }
  }

  private static IllegalStateException closedException(RegistryTarget target) {
    return new IllegalStateException(
        target == null
            ? "the credential cache was closed"
            : "the credential cache was closed; cannot fetch the credential for "
                + target.describe());
  }

  private static long epochMillis(Instant instant) {
    try {
      return instant.toEpochMilli();
    } catch (ArithmeticException e) {
      return instant.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static long saturatedMinus(long a, long b) {
    long r = a - b;
    return ((a ^ b) & (a ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
  }

  private static long saturatedPlus(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
  }

  // package-private views for tests -------------------------------------------------------------

  /** The instant the next background refresh of the key is due, or empty. */
  Optional<Instant> nextRefresh(RegistryTarget target) {
    KeyState state = states.get(target);
    if (state == null) {
      return Optional.empty();
    }
    synchronized (state) {
      return state.scheduled == null
          ? Optional.empty()
          : Optional.of(Instant.ofEpochMilli(state.scheduledAt));
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** What the cache knows about one key; an immutable snapshot read without locking. */
  private static final class Entry {
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

  /** Per-key state. {@link #entry} is read without a lock; everything else under its monitor. */
  private final class KeyState {
    final RegistryTarget target;
    volatile Entry entry = Entry.EMPTY;
    CompletableFuture<RegistryCredential> inFlight;
    RefreshScheduler.Handle scheduled;
    long scheduledAt;
    long generation;
    int consecutiveFailures;
    boolean removed;

    KeyState(RegistryTarget target) {
      this.target = target;
    }

    void cancelScheduled() {
      if (scheduled != null) {
        scheduled.cancel();
        scheduled = null;
      }
      generation++;
    }
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
