package io.acrcredential.k8s;

import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/** Builds a {@link PullSecretSync}; not thread-safe. */
public final class PullSecretSyncBuilder {

  private static final Pattern INSTANCE_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?");

  ApiClient apiClient;
  ApiClient informerApiClient;
  SharedInformerFactory informerFactory;
  AcrConfiguration configuration;
  TokenProvider tokenProvider;
  RotationSignal rotationSignal;
  final List<SyncListener> listeners = new ArrayList<>();
  String instance = PullSecretSync.DEFAULT_INSTANCE;
  String component = "acr-credential-sync";
  int workers = 4;
  double writesPerSecond = 20;
  int writeBurst = 40;
  Duration resyncPeriod = Duration.ofMinutes(10);
  boolean reuseStoredTokens = true;
  boolean writeRateExplicit;
  Duration retryBase = Duration.ofSeconds(1);
  Duration retryMax = Duration.ofMinutes(5);
  LeaderSettings leader;
  private Duration leaseDuration = Duration.ofSeconds(15);
  private Duration renewDeadline = Duration.ofSeconds(10);
  private Duration retryPeriod = Duration.ofSeconds(2);
  Clock clock = Clock.systemUTC();

  PullSecretSyncBuilder() {}

  /**
   * The client used for every read and write (required). Its timeouts are kept: informers get a
   * derived client of their own.
   *
   * @param client an authenticated client
   * @return this builder
   */
  public PullSecretSyncBuilder apiClient(ApiClient client) {
    this.apiClient = Objects.requireNonNull(client, "apiClient");
    return this;
  }

  /**
   * A separate client for the informers' list and watch requests (optional; by default one is
   * derived from {@link #apiClient}). Its read timeout is set to infinite.
   *
   * @param client the client
   * @return this builder
   */
  public PullSecretSyncBuilder informerApiClient(ApiClient client) {
    this.informerApiClient = Objects.requireNonNull(client, "informerApiClient");
    return this;
  }

  /**
   * Shares the embedder's informer factory: an existing namespace informer in it is reused, a
   * missing one is registered and started. A cluster-wide ServiceAccount informer the factory
   * already holds is reused too, whatever the namespace scope (it costs nothing more); without one,
   * ServiceAccounts are watched by informers of the sync's own that follow the scope (one per
   * listed namespace, or one cluster-wide for {@code all} or a selector), use a client derived from
   * {@link #apiClient} and are stopped by {@link PullSecretSync#close()}. The embedder owns the
   * factory and stops it; {@link PullSecretSync#close()} does not. Secrets are always watched by
   * informers of the sync's own, one per managed pull Secret name (so that no list or watch over
   * every Secret is needed); they use a client derived from {@link #apiClient} and are stopped by
   * {@link PullSecretSync#close()}.
   *
   * @param factory the factory
   * @return this builder
   */
  public PullSecretSyncBuilder informerFactory(SharedInformerFactory factory) {
    this.informerFactory = Objects.requireNonNull(factory, "informerFactory");
    return this;
  }

  /**
   * What to keep in sync (required).
   *
   * @param configuration the configuration
   * @return this builder
   */
  public PullSecretSyncBuilder configuration(AcrConfiguration configuration) {
    this.configuration = Objects.requireNonNull(configuration, "configuration");
    return this;
  }

  /**
   * Where credentials come from (required); normally a {@link
   * io.acrcredential.core.CachingTokenProvider}, since it is asked on every credential refresh. The
   * sync subscribes to the provider's change notification ({@link TokenProvider#addListener}) on
   * {@link PullSecretSync#start()}, so a rotation rewrites every namespace at once.
   *
   * @param provider the provider
   * @return this builder
   */
  public PullSecretSyncBuilder tokenProvider(TokenProvider provider) {
    this.tokenProvider = Objects.requireNonNull(provider, "tokenProvider");
    return this;
  }

  /**
   * A signal that triggers an immediate rewrite when credentials change, for a token provider that
   * offers no change notification of its own ({@link TokenProvider#addListener}). A {@code
   * CachingTokenProvider} given to {@link #tokenProvider} needs no signal.
   *
   * @param signal the signal
   * @return this builder
   */
  public PullSecretSyncBuilder rotationSignal(RotationSignal signal) {
    this.rotationSignal = Objects.requireNonNull(signal, "rotationSignal");
    return this;
  }

  /**
   * Adds a listener for sync results.
   *
   * @param listener the listener
   * @return this builder
   */
  public PullSecretSyncBuilder listener(SyncListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /**
   * Names this instance (default {@code default}); its Secrets carry the label {@value
   * PullSecretSync#INSTANCE_LABEL}{@code =<name>}, so several syncs with different configurations
   * can share a cluster without touching each other's objects.
   *
   * @param name a DNS label of at most 40 characters
   * @return this builder
   * @throws IllegalArgumentException when the name is not such a label
   */
  public PullSecretSyncBuilder instanceName(String name) {
    Objects.requireNonNull(name, "instanceName");
    if (!INSTANCE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "instanceName "
              + Echo.quote(name)
              + " must be a DNS label of at most 40 characters (a-z, 0-9, '-')");
    }
    this.instance = name;
    return this;
  }

  /**
   * The {@code source.component} of the Events this sync records (default {@code
   * acr-credential-sync}).
   *
   * @param component the component name
   * @return this builder
   */
  public PullSecretSyncBuilder eventComponent(String component) {
    this.component = Objects.requireNonNull(component, "eventComponent");
    return this;
  }

  /**
   * Whether the tokens stored in the managed pull Secrets are used as a cache (default true): on
   * start and on becoming leader, a registry's token read back from its Secrets (a few, chosen at
   * random, with a direct read) that is still valid beyond the renewal threshold is used as it is,
   * so that a restart or failover makes no token request and no write while the stored tokens are
   * fresh. Only this instance's Secrets are read; a stored token that is not exactly what the sync
   * would write (edited, inconsistent annotations, other domains, different in the sampled
   * namespaces) is refetched. Registries whose domains are resolved at run time are always fetched.
   * Turning it off fetches new tokens on every start and rewrites every Secret.
   *
   * @param reuse whether to use the stored tokens
   * @return this builder
   */
  public PullSecretSyncBuilder reuseStoredTokens(boolean reuse) {
    this.reuseStoredTokens = reuse;
    return this;
  }

  /**
   * How many namespaces are reconciled in parallel (default 4).
   *
   * @param count 1 to 64
   * @return this builder
   */
  public PullSecretSyncBuilder workers(int count) {
    if (count < 1 || count > 64) {
      throw new IllegalArgumentException("workers must be between 1 and 64, got " + count);
    }
    this.workers = count;
    return this;
  }

  /**
   * The client-side limit on write requests. Without it the rate follows the cluster: enough to
   * rewrite every managed Secret (namespaces in scope × Secrets per namespace) within half of the
   * renewal window ({@code expiring-threshold}), at least 20 and at most 1,000 per second, bursts
   * of 40; for example 67/s for 30,000 Secrets renewed 15 minutes before expiry. A rate given here
   * is used as it is (a rotation still raises it when needed, see the module README).
   *
   * @param perSecond sustained writes per second, positive
   * @param burst writes allowed at once, at least 1
   * @return this builder
   */
  public PullSecretSyncBuilder writeRateLimit(double perSecond, int burst) {
    if (!(perSecond > 0) || burst < 1) {
      throw new IllegalArgumentException(
          "writeRateLimit needs a positive rate and a burst of at least 1, got "
              + perSecond
              + "/s and "
              + burst);
    }
    this.writesPerSecond = perSecond;
    this.writeBurst = burst;
    this.writeRateExplicit = true;
    return this;
  }

  /**
   * How often every namespace is checked against the caches anyway (default 10 minutes).
   *
   * @param period at least one second
   * @return this builder
   */
  public PullSecretSyncBuilder resyncPeriod(Duration period) {
    Objects.requireNonNull(period, "resyncPeriod");
    if (period.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("resyncPeriod must be at least 1s, got " + period);
    }
    this.resyncPeriod = period;
    return this;
  }

  /**
   * Backoff for a namespace that failed: {@code initial} doubling up to {@code max} (default 1 s to
   * 5 min).
   *
   * @param initial first delay, positive
   * @param max largest delay, not below {@code initial}
   * @return this builder
   */
  public PullSecretSyncBuilder retryBackoff(Duration initial, Duration max) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "retryBackoff needs 0 < initial <= max, got " + initial + " and " + max);
    }
    this.retryBase = initial;
    this.retryMax = max;
    return this;
  }

  /**
   * Turns on leader election with a {@code coordination.k8s.io/v1} Lease: only the holder writes.
   *
   * @param leaseNamespace the namespace of the Lease (usually the sync's own)
   * @param leaseName the Lease name, shared by all replicas
   * @param identity this replica's unique identity (e.g. the pod name); null for host name plus a
   *     random suffix
   * @return this builder
   */
  public PullSecretSyncBuilder leaderElection(
      String leaseNamespace, String leaseName, String identity) {
    Objects.requireNonNull(leaseNamespace, "leaseNamespace");
    Objects.requireNonNull(leaseName, "leaseName");
    String p = Names.checkDnsLabel(leaseNamespace);
    if (p != null) {
      throw new IllegalArgumentException(
          "leaseNamespace " + Echo.quote(leaseNamespace) + " is not a namespace name; " + p);
    }
    p = Names.checkDnsSubdomain(leaseName);
    if (p != null) {
      throw new IllegalArgumentException(
          "leaseName " + Echo.quote(leaseName) + " is not a valid name; " + p);
    }
    String id = identity != null && !identity.isBlank() ? identity : defaultIdentity();
    this.leader =
        new LeaderSettings(
            leaseNamespace, leaseName, id, leaseDuration, renewDeadline, retryPeriod);
    return this;
  }

  /**
   * Leader election timings (default 15 s lease, 10 s renew deadline, 2 s retry period); call
   * before {@link #leaderElection}.
   *
   * <p>The renew deadline also fences writes: no write is sent later than {@code renewDeadline}
   * after the last successful renewal was sent, whatever the elector believes. Other replicas may
   * take over {@code leaseDuration} after they observed that renewal, so the difference between the
   * two is the margin left for a write in flight and for clocks running at different rates. This is
   * the fencing a client can do without server-side fencing.
   *
   * @param leaseDuration how long a lease is valid without renewal
   * @param renewDeadline how long the leader tries to renew before giving up
   * @param retryPeriod how often candidates try; at least one second
   * @return this builder
   */
  public PullSecretSyncBuilder leaderElectionTimings(
      Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    Objects.requireNonNull(leaseDuration, "leaseDuration");
    Objects.requireNonNull(renewDeadline, "renewDeadline");
    Objects.requireNonNull(retryPeriod, "retryPeriod");
    if (retryPeriod.compareTo(Duration.ofSeconds(1)) < 0
        || renewDeadline.compareTo(retryPeriod) <= 0
        || leaseDuration.compareTo(renewDeadline) <= 0) {
      throw new IllegalArgumentException(
          "leader election timings need 1s <= retryPeriod < renewDeadline < leaseDuration, got "
              + retryPeriod
              + ", "
              + renewDeadline
              + ", "
              + leaseDuration);
    }
    this.leaseDuration = leaseDuration;
    this.renewDeadline = renewDeadline;
    this.retryPeriod = retryPeriod;
    if (leader != null) {
      leader = leader.withTimings(leaseDuration, renewDeadline, retryPeriod);
    }
    return this;
  }

  PullSecretSyncBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * Builds the sync (not started).
   *
   * @return the sync
   * @throws IllegalStateException naming the missing required setting
   */
  public PullSecretSync build() {
    if (apiClient == null) {
      throw new IllegalStateException("PullSecretSync needs an apiClient(...)");
    }
    if (configuration == null) {
      throw new IllegalStateException("PullSecretSync needs a configuration(...)");
    }
    if (tokenProvider == null) {
      throw new IllegalStateException("PullSecretSync needs a tokenProvider(...)");
    }
    if (informerApiClient != null && informerFactory != null) {
      throw new IllegalStateException(
          "give either informerApiClient(...) or informerFactory(...), not both");
    }
    return new PullSecretSync(this);
  }

  /** The provider the sync uses: the embedder's, carrying the rotation signal's changes too. */
  TokenProvider effectiveTokenProvider() {
    return rotationSignal == null
        ? tokenProvider
        : new SignalledTokenProvider(tokenProvider, rotationSignal);
  }

  private static String defaultIdentity() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "acr-credential";
    }
    return host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
