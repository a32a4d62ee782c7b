package io.acrcredential.k8s;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CredentialChange;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the credentials once for all namespaces into a {@link CredentialSnapshot}, again before
 * the earliest expires and whenever the token provider reports a change (through the core's one
 * change-notification SPI, {@link TokenProvider#addListener}); retries failed fetches with backoff
 * and raises the write rate for a rotation that must reach many Secrets before the old token
 * expires. Runs on the sync's scheduler thread.
 */
final class CredentialRefresh {

  private static final Logger LOG = LoggerFactory.getLogger(CredentialRefresh.class);
  private static final Duration MIN_REFRESH = Duration.ofSeconds(1);
  private static final Duration CREDENTIAL_RETRY_MAX = Duration.ofMinutes(1);

  private final TokenProvider tokenProvider;
  private final Supplier<AcrConfiguration> configuration;
  private final Clock clock;
  private final WriteLimiter limiter;
  private final ScheduledExecutorService scheduler;
  private final Consumer<CredentialSnapshot> onSnapshot;
  private final Runnable onChange;
  private final LongSupplier namespacesInScope;
  private final AtomicInteger failures = new AtomicInteger();
  private final CacheListener subscriber =
      new CacheListener() {
        @Override
        public void credentialChanged(CredentialChange change) {
          changed();
        }

        @Override
        public void changeSignalled() {
          changed();
        }
      };

  private volatile boolean closed;
  private volatile CredentialSnapshot snapshot;
  private ScheduledFuture<?> next; // only touched on the scheduler thread

  /**
   * @param onSnapshot told of every snapshot built (to watch its Secret names)
   * @param onChange told when a snapshot's Secrets differ from the previous one's
   * @param namespacesInScope how many namespaces the configuration covers now, or -1 before the
   *     namespace cache exists
   */
  CredentialRefresh(
      TokenProvider tokenProvider,
      Supplier<AcrConfiguration> configuration,
      Clock clock,
      WriteLimiter limiter,
      ScheduledExecutorService scheduler,
      Consumer<CredentialSnapshot> onSnapshot,
      Runnable onChange,
      LongSupplier namespacesInScope) {
    this.tokenProvider = tokenProvider;
    this.configuration = configuration;
    this.clock = clock;
    this.limiter = limiter;
    this.scheduler = scheduler;
    this.onSnapshot = onSnapshot;
    this.onChange = onChange;
    this.namespacesInScope = namespacesInScope;
  }

  /** Subscribes to the provider's changes and runs the first fetch. */
  void start() {
    tokenProvider.addListener(subscriber);
    changed();
  }

  /** The credentials last fetched; null before the first fetch. */
  CredentialSnapshot snapshot() {
    return snapshot;
  }

  /** Fetches again soon, on the scheduler (the provider said so, or the configuration changed). */
  void changed() {
    if (!closed) {
      Threads.runUnlessClosing(scheduler, this::refresh);
    }
  }

  /** Unsubscribes; no fetch starts after this. */
  void close() {
    closed = true;
    tokenProvider.removeListener(subscriber);
  }

  /** Fetches now; on the scheduler thread only. */
  void refresh() {
    if (closed) {
      return;
    }
    AcrConfiguration config = configuration.get();
    List<String> problems = new ArrayList<>();
    CredentialSnapshot previous = snapshot;
    CredentialSnapshot current;
    try {
      current =
          CredentialSnapshot.build(config, tokenProvider, previous, clock.instant(), problems);
    } catch (RuntimeException e) {
      LOG.warn("building pull Secrets failed: {}", e.toString());
      scheduleNext(backoff());
      return;
    }
    snapshot = current;
    onSnapshot.accept(current);
    if (!current.sameSecrets(previous)) {
      LOG.info("credentials changed: {}", current);
      paceRotation(previous, current);
      onChange.run();
    }
    if (!problems.isEmpty()) {
      scheduleNext(backoff());
      return;
    }
    failures.set(0);
    Duration threshold = config.expiringThreshold();
    Duration wait =
        current
            .earliestExpiry()
            .map(exp -> Duration.between(clock.instant(), exp.minus(threshold)))
            .orElse(Duration.ofMinutes(1));
    scheduleNext(wait.compareTo(MIN_REFRESH) < 0 ? MIN_REFRESH : wait);
  }

  /**
   * Raises the write rate for this rotation when the configured one cannot put the new credentials
   * into every affected Secret within half of the time left until the old ones expire.
   */
  private void paceRotation(CredentialSnapshot previous, CredentialSnapshot current) {
    if (previous == null) {
      return; // the first snapshot replaces no token this instance wrote
    }
    int changed = 0;
    Instant oldExpiry = null;
    for (DesiredSecret now : current.secrets().values()) {
      DesiredSecret before = previous.secrets().get(now.name());
      if (before != null && !before.equals(now)) {
        changed++;
        if (oldExpiry == null || before.expiresAt().isBefore(oldExpiry)) {
          oldExpiry = before.expiresAt();
        }
      }
    }
    if (changed == 0) {
      return; // only new names: no Secret holds an old token that could expire
    }
    long inScope = namespacesInScope.getAsLong();
    if (inScope < 0) {
      return;
    }
    long secrets = inScope * changed;
    double configured = limiter.configuredRate();
    RotationPace pace =
        RotationPace.plan(secrets, clock.instant(), oldExpiry, configured, RotationPace.MAX_RATE);
    if (!pace.raised(configured)) {
      return; // the configured rate is enough (a raise of an earlier rotation runs out by itself)
    }
    limiter.raiseUntil(pace.rate(), pace.raiseFor().toNanos());
    if (pace.capped()) {
      LOG.warn(
          "rotation: {} Secret(s) in {} namespace(s) would need {} writes/s to hold the new"
              + " credentials before the old ones expire at {}; writing at the maximum {}/s, so"
              + " some may hold an expired token for a while",
          secrets,
          inScope,
          Double.isInfinite(pace.required()) ? "unlimited" : rate(pace.required()),
          oldExpiry,
          rate(pace.rate()));
    } else {
      LOG.info(
          "rotation: {} Secret(s) in {} namespace(s) must hold the new credentials before the old"
              + " ones expire at {}; write rate raised from {}/s to {}/s for {} s",
          secrets,
          inScope,
          oldExpiry,
          rate(configured),
          rate(pace.rate()),
          pace.raiseFor().toSeconds());
    }
  }

  private static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%.1f", perSecond);
  }

  private Duration backoff() {
    int n = failures.incrementAndGet();
    long millis = 1000L << Math.min(n, 6);
    return Duration.ofMillis(Math.min(millis, CREDENTIAL_RETRY_MAX.toMillis()));
  }

  private void scheduleNext(Duration delay) {
    if (closed) {
      return;
    }
    ScheduledFuture<?> previous = next;
    if (previous != null) {
      previous.cancel(false);
    }
    try {
      next = scheduler.schedule(this::refresh, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }
}
