package io.acrcredential.k8s;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CredentialChange;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
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
  private static final Duration STORED_WAIT_MAX = Duration.ofSeconds(30);
  private static final Duration STORED_WAIT_STEP = Duration.ofMillis(50);

  /** Why a refresh runs; it decides whether the tokens stored in the pull Secrets may be used. */
  enum Reason {
    /**
     * Start, renewal, configuration change: a stored token is used for a registry for which no
     * credential valid beyond the renewal threshold is held.
     */
    RENEW,
    /**
     * This replica (again) leads: a valid stored token is preferred to the one held, because it is
     * what the cluster's Secrets hold now (written by the previous leader).
     */
    LEADING,
    /** The provider or the embedder said the credentials changed: fetch, never reuse. */
    CHANGED
  }

  private final TokenProvider tokenProvider;
  private final Supplier<AcrConfiguration> configuration;
  private final Clock clock;
  private final WriteLimiter limiter;
  private final ScheduledExecutorService scheduler;
  private final Consumer<CredentialSnapshot> onSnapshot;
  private final Runnable onChange;
  private final LongSupplier namespacesInScope;
  private final StoredCredentials stored;
  private final BooleanSupplier leads;
  private final boolean rateFollowsCluster;
  private final AtomicInteger failures = new AtomicInteger();
  private final CacheListener subscriber =
      new CacheListener() {
        @Override
        public void credentialChanged(CredentialChange change) {
          changed(change.target());
        }

        @Override
        public void changeSignalled() {
          changed();
        }
      };

  private volatile boolean closed;
  private volatile CredentialSnapshot snapshot;
  private ScheduledFuture<?> next; // only touched on the scheduler thread
  private long storedWaitStart; // only touched on the scheduler thread; 0: not waiting
  private boolean builtWhileLeading; // only touched on the scheduler thread
  // credentials taken from the stored Secrets, used as a cache until renewal or a change signal;
  // only touched on the scheduler thread
  private Map<RegistryTarget, RegistryCredential> adopted = Map.of();

  /**
   * @param onSnapshot told of every snapshot built (to watch its Secret names)
   * @param onChange told when a snapshot's Secrets differ from the previous one's
   * @param namespacesInScope how many namespaces the configuration covers now, or -1 before the
   *     namespace cache exists
   * @param stored the pull Secrets read back as a token cache, or null to always fetch
   * @param leads whether this replica writes now
   * @param rateFollowsCluster whether the configured write rate is the default, derived from the
   *     number of managed Secrets (no explicit rate was given)
   */
  CredentialRefresh(
      TokenProvider tokenProvider,
      Supplier<AcrConfiguration> configuration,
      Clock clock,
      WriteLimiter limiter,
      ScheduledExecutorService scheduler,
      Consumer<CredentialSnapshot> onSnapshot,
      Runnable onChange,
      LongSupplier namespacesInScope,
      StoredCredentials stored,
      BooleanSupplier leads,
      boolean rateFollowsCluster) {
    this.tokenProvider = tokenProvider;
    this.configuration = configuration;
    this.clock = clock;
    this.limiter = limiter;
    this.scheduler = scheduler;
    this.onSnapshot = onSnapshot;
    this.onChange = onChange;
    this.namespacesInScope = namespacesInScope;
    this.stored = stored;
    this.leads = leads;
    this.rateFollowsCluster = rateFollowsCluster;
  }

  /** Subscribes to the provider's changes and runs the first fetch (stored tokens first). */
  void start() {
    tokenProvider.addListener(subscriber);
    if (!closed) {
      Threads.runUnlessClosing(scheduler, () -> refresh(Reason.RENEW));
    }
  }

  /** The credentials last fetched; null before the first fetch. */
  CredentialSnapshot snapshot() {
    return snapshot;
  }

  /**
   * The provider holds a new credential for one registry (its first fetch, a renewal): fetched
   * again soon, on the scheduler; the stored tokens still used for other registries are kept.
   */
  void changed(RegistryTarget target) {
    if (!closed) {
      Threads.runUnlessClosing(
          scheduler,
          () -> {
            if (adopted.containsKey(target)) {
              Map<RegistryTarget, RegistryCredential> rest = new LinkedHashMap<>(adopted);
              rest.remove(target);
              adopted = Map.copyOf(rest);
            }
            refresh(Reason.RENEW);
          });
    }
  }

  /** Fetches again soon, on the scheduler (the provider or the embedder said so). */
  void changed() {
    if (!closed) {
      Threads.runUnlessClosing(scheduler, () -> refresh(Reason.CHANGED));
    }
  }

  /** Unsubscribes; no fetch starts after this. */
  void close() {
    closed = true;
    tokenProvider.removeListener(subscriber);
  }

  /** Fetches now, stored tokens allowed (renewal, configuration change); scheduler thread only. */
  void refresh() {
    refresh(Reason.RENEW);
  }

  /** Fetches now; on the scheduler thread only. */
  void refresh(Reason reason) {
    if (closed) {
      return;
    }
    AcrConfiguration config = configuration.get();
    CredentialSnapshot previous = snapshot;
    if (reason == Reason.LEADING && builtWhileLeading) {
      // the credentials held are the ones this replica has been writing (the fence reopened):
      // the Secrets may be half-way through a rotation away from the stored token
      reason = Reason.RENEW;
    }
    StoredCredentials.Read read = StoredCredentials.Read.NONE;
    if (stored != null && reason != Reason.CHANGED && wantsStored(reason, config, previous)) {
      if (!stored.ready() && !storedWaitOver()) {
        scheduleNext(STORED_WAIT_STEP, reason); // the Secret cache says where to read
        return;
      }
      storedWaitStart = 0;
      read = readStored(reason, config, previous);
    }
    List<String> problems = new ArrayList<>();
    CredentialSnapshot current;
    try {
      current = build(config, kept(reason, config, previous), read, previous, problems);
    } catch (RuntimeException e) {
      LOG.warn("building pull Secrets failed: {}", e.toString());
      scheduleNext(backoff(), Reason.RENEW);
      return;
    }
    snapshot = current;
    builtWhileLeading = leads.getAsBoolean();
    followClusterSize();
    onSnapshot.accept(current);
    if (!current.sameSecrets(previous)) {
      LOG.info("credentials changed: {}", current);
      paceRotation(previous, current);
      onChange.run();
    }
    if (!problems.isEmpty()) {
      scheduleNext(backoff(), Reason.RENEW);
      return;
    }
    failures.set(0);
    Duration threshold = config.expiringThreshold();
    Duration wait =
        current
            .earliestExpiry()
            .map(exp -> Duration.between(clock.instant(), exp.minus(threshold)))
            .orElse(Duration.ofMinutes(1));
    scheduleNext(wait.compareTo(MIN_REFRESH) < 0 ? MIN_REFRESH : wait, Reason.RENEW);
  }

  /**
   * Whether reading the stored tokens can help: on leading always; otherwise when some registry has
   * no credential held that is valid beyond the renewal threshold (start, renewal).
   */
  private boolean wantsStored(Reason reason, AcrConfiguration config, CredentialSnapshot held) {
    if (reason == Reason.LEADING || held == null) {
      return true;
    }
    Instant renewAt = clock.instant().plus(config.expiringThreshold());
    for (var entry : config.registries()) {
      RegistryCredential c = held.credential(entry.target());
      if (c == null || !c.expiresAt().isAfter(renewAt)) {
        return true;
      }
    }
    return false;
  }

  private boolean storedWaitOver() {
    long now = System.nanoTime();
    if (storedWaitStart == 0) {
      storedWaitStart = now;
      return false;
    }
    if (now - storedWaitStart < STORED_WAIT_MAX.toNanos()) {
      return false;
    }
    LOG.warn(
        "the Secret cache is not filled after {} s; fetching tokens without reading the stored"
            + " ones",
        STORED_WAIT_MAX.toSeconds());
    return true;
  }

  /**
   * The credentials adopted from the stored Secrets earlier that are still held and valid beyond
   * the renewal threshold: kept without asking the provider (which never saw them), unless the
   * provider or the embedder signalled a change.
   */
  private Map<RegistryTarget, RegistryCredential> kept(
      Reason reason, AcrConfiguration config, CredentialSnapshot held) {
    if (reason == Reason.CHANGED || held == null || adopted.isEmpty()) {
      return Map.of();
    }
    Instant renewAt = clock.instant().plus(config.expiringThreshold());
    Map<RegistryTarget, RegistryCredential> kept = new LinkedHashMap<>();
    adopted.forEach(
        (t, c) -> {
          if (c.equals(held.credential(t)) && c.expiresAt().isAfter(renewAt)) {
            kept.put(t, c);
          }
        });
    return kept;
  }

  /** The stored tokens usable now; when renewing, only for registries without a valid one held. */
  private StoredCredentials.Read readStored(
      Reason reason, AcrConfiguration config, CredentialSnapshot held) {
    StoredCredentials.Read read;
    try {
      read = stored.read(config, clock.instant());
    } catch (RuntimeException e) {
      LOG.warn("reading the stored tokens back failed: {}", e.toString());
      return StoredCredentials.Read.NONE;
    }
    if (reason == Reason.LEADING || held == null) {
      return read;
    }
    Instant renewAt = clock.instant().plus(config.expiringThreshold());
    Map<RegistryTarget, RegistryCredential> usable = new LinkedHashMap<>(read.credentials());
    usable
        .keySet()
        .removeIf(
            t -> {
              RegistryCredential c = held.credential(t);
              return c != null && c.expiresAt().isAfter(renewAt);
            });
    return new StoredCredentials.Read(usable, read.sampled(), read.labels());
  }

  /**
   * The snapshot from the stored tokens where usable and the provider for the rest; when the
   * Secrets built from the stored tokens would not be exactly what the sampled Secrets hold, the
   * stored tokens are dropped and everything comes from the provider.
   */
  private CredentialSnapshot build(
      AcrConfiguration config,
      Map<RegistryTarget, RegistryCredential> kept,
      StoredCredentials.Read read,
      CredentialSnapshot previous,
      List<String> problems) {
    Map<RegistryTarget, RegistryCredential> reuse = new LinkedHashMap<>(kept);
    reuse.putAll(read.credentials());
    adopted = Map.of();
    if (!reuse.isEmpty()) {
      TokenProvider reusing =
          target -> {
            RegistryCredential c = reuse.get(target);
            return c != null ? c : tokenProvider.fetch(target);
          };
      List<String> reusingProblems = new ArrayList<>();
      CredentialSnapshot s =
          CredentialSnapshot.build(config, reusing, previous, clock.instant(), reusingProblems);
      if (read.confirms(s)) {
        problems.addAll(reusingProblems);
        adopted = Map.copyOf(reuse);
        return s;
      }
      LOG.info(
          "the pull Secrets built from the stored tokens differ from what is stored; fetching"
              + " new tokens");
    }
    return CredentialSnapshot.build(config, tokenProvider, previous, clock.instant(), problems);
  }

  /**
   * Sets the default write rate from the number of managed Secrets and the renewal window ({@link
   * RotationPace#defaultRate}); does nothing when an explicit rate was given or before the
   * namespace cache and the first credentials exist. On the scheduler thread.
   */
  void followClusterSize() {
    CredentialSnapshot s = snapshot;
    if (!rateFollowsCluster || s == null || closed) {
      return;
    }
    long inScope = namespacesInScope.getAsLong();
    if (inScope < 0) {
      return;
    }
    long secrets = inScope * (s.secrets().size() + s.protectedNames().size());
    double rate = RotationPace.defaultRate(secrets, configuration.get().expiringThreshold());
    double before = limiter.configuredRate();
    if (rate != before) {
      limiter.configure(rate);
      LOG.info(
          "write rate {}/s (was {}/s): {} managed Secret(s) in {} namespace(s), each rewritable"
              + " within half of the {} s renewal window",
          rate(rate),
          rate(before),
          secrets,
          inScope,
          configuration.get().expiringThreshold().toSeconds());
    }
  }

  /**
   * Raises the write rate for this rotation when the configured one cannot put the new credentials
   * into every affected Secret within half of the time left until the old ones expire.
   *
   * <p>Rotations overlap: registries fetched together renew within a second of each other, one
   * refresh each. While the writes of an earlier rotation may still be under way, a change is
   * measured against that rotation's base, so the pace covers the Secrets of both (not the larger
   * of two separate paces, which lets the last Secrets hold the first token past its expiry).
   */
  private synchronized void paceRotation(CredentialSnapshot previous, CredentialSnapshot current) {
    if (previous == null) {
      return; // the first snapshot replaces no token this instance wrote
    }
    Instant now = clock.instant();
    CredentialSnapshot base =
        rotationBase != null && now.isBefore(rotationBaseUntil) ? rotationBase : previous;
    int changed = 0;
    Instant oldExpiry = null;
    for (DesiredSecret d : current.secrets().values()) {
      DesiredSecret before = base.secrets().get(d.name());
      if (before != null && !before.equals(d)) {
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
        RotationPace.plan(secrets, now, oldExpiry, configured, RotationPace.MAX_RATE);
    // until these writes are expected done (at most until the old token expires), a further change
    // is paced together with this one
    Instant writesDone = now.plusMillis((long) Math.ceil(secrets * 1000.0 / pace.rate()));
    rotationBase = base;
    rotationBaseUntil = writesDone.isBefore(oldExpiry) ? writesDone : oldExpiry;
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

  // the snapshot an earlier rotation started from, while its writes may be under way (paceRotation)
  private CredentialSnapshot rotationBase;
  private Instant rotationBaseUntil = Instant.MIN;

  private static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%.1f", perSecond);
  }

  private Duration backoff() {
    int n = failures.incrementAndGet();
    long millis = 1000L << Math.min(n, 6);
    return Duration.ofMillis(Math.min(millis, CREDENTIAL_RETRY_MAX.toMillis()));
  }

  private void scheduleNext(Duration delay, Reason reason) {
    if (closed) {
      return;
    }
    ScheduledFuture<?> previous = next;
    if (previous != null) {
      previous.cancel(false);
    }
    try {
      next = scheduler.schedule(() -> refresh(reason), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }
}
