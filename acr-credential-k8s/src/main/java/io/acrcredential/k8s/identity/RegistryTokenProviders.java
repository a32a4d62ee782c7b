package io.acrcredential.k8s.identity;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.core.acr.AlibabaCredentials;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.NamedInstanceRegistry;
import io.acrcredential.k8s.config.RegistryEntry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token side of a pull-Secret sync built from an {@link AcrConfiguration}: one {@link
 * AcrTokenProvider} per distinct {@link IdentitySpec}, each registry routed to its identity's
 * provider, all behind one {@link CachingTokenProvider} that refreshes {@code expiring-threshold}
 * before expiry. Hand it to {@code PullSecretSyncBuilder#tokenProvider}: it offers change
 * notification ({@link #addListener}), so the sync rewrites its Secrets at each rotation.
 *
 * <p>{@link #apply} switches to a new configuration version without dropping credentials that stay
 * valid: providers are created for new identities and closed for identities no longer used, a
 * registry whose identity changed loses its cached credential, and Enterprise Edition instances
 * known only by name are looked up. Fetching a registry before the first {@code apply}, or one not
 * in the configuration, fails with {@link TokenException.Reason#INVALID_CONFIGURATION}.
 *
 * <p>Thread-safe. Endpoint overrides (tests, private networks) and the environment read by the
 * default credential chain and RRSA are set on the {@link Builder}.
 */
public final class RegistryTokenProviders implements TokenProvider, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryTokenProviders.class);

  /** Where RRSA's projected token is mounted in ACK when the variable is not set. */
  static final String DEFAULT_RRSA_TOKEN_FILE =
      "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token";

  /**
   * Learns what the providers ask ACR, for metrics. Every method does nothing by default; calls
   * come from the fetching thread and must be quick.
   */
  public interface Listener {

    /**
     * ACR issued a token (a fetch that the cache could not serve).
     *
     * @param target the registry
     */
    default void tokenFetched(RegistryTarget target) {}

    /**
     * Asking ACR for a token failed.
     *
     * @param target the registry
     * @param failure why; its message carries no secret
     */
    default void tokenFailed(RegistryTarget target, RuntimeException failure) {}

    /**
     * The cached credential of a registry was dropped: the registry left the configuration or its
     * identity changed.
     *
     * @param target the registry
     */
    default void credentialDropped(RegistryTarget target) {}
  }

  /**
   * What {@link #apply} did.
   *
   * @param configuration the configuration applied: every instance name resolved to an id, the
   *     registries left out removed
   * @param problems one log-safe line per registry left out (instance not found, unusable
   *     identity); such a registry is tried again on the next {@code apply}
   */
  public record Applied(AcrConfiguration configuration, List<String> problems) {

    /**
     * Copies the problems.
     *
     * @param configuration the configuration applied
     * @param problems the registries left out
     * @throws NullPointerException naming a missing value
     */
    public Applied {
      Objects.requireNonNull(configuration, "configuration");
      problems = List.copyOf(Objects.requireNonNull(problems, "problems"));
    }
  }

  private final Optional<String> acrEndpoint;
  private final Optional<String> stsEndpoint;
  private final Optional<String> metadataEndpoint;
  private final Map<String, String> env;
  private final Clock clock;
  private final Listener fetchListener;
  private final List<CacheListener> cacheListeners;
  private final List<CacheListener> subscribers = new ArrayList<>(); // guarded by this
  private final Map<IdentitySpec, AcrTokenProvider> providers = new HashMap<>(); // guarded by this
  private volatile Map<RegistryTarget, AcrTokenProvider> routes = Map.of();
  private volatile CachingTokenProvider cache;
  private Duration threshold; // guarded by this

  private RegistryTokenProviders(Builder b) {
    this.acrEndpoint = b.acrEndpoint;
    this.stsEndpoint = b.stsEndpoint;
    this.metadataEndpoint = b.metadataEndpoint;
    this.env = b.env;
    this.clock = b.clock;
    this.fetchListener = b.listener;
    this.cacheListeners = List.copyOf(b.cacheListeners);
  }

  /**
   * Starts a builder: Alibaba Cloud's endpoints, an empty environment, the system clock.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Switches to a configuration version.
   *
   * @param configuration the parsed configuration
   * @return the configuration applied and the registries left out
   * @throws NullPointerException when {@code configuration} is null
   */
  public synchronized Applied apply(AcrConfiguration configuration) {
    Objects.requireNonNull(configuration, "configuration");
    List<String> problems = new ArrayList<>();
    List<RegistryEntry> entries = new ArrayList<>();
    Map<RegistryTarget, AcrTokenProvider> next = new LinkedHashMap<>();
    Map<RegistryTarget, IdentitySpec> identities = new HashMap<>();
    Set<IdentitySpec> used = new HashSet<>();
    for (RegistryEntry e : configuration.registries()) {
      if (route(e, next, identities, used, problems)) {
        entries.add(e);
      }
    }
    for (NamedInstanceRegistry named : configuration.registriesByInstanceName()) {
      resolve(named, problems)
          .filter(e -> route(e, next, identities, used, problems))
          .ifPresent(entries::add);
    }
    switchTo(configuration.expiringThreshold(), next);
    providers
        .entrySet()
        .removeIf(
            e -> {
              if (!used.contains(e.getKey())) {
                e.getValue().close();
                return true;
              }
              return false;
            });
    AcrConfiguration applied =
        new AcrConfiguration(
            configuration.namespaces(),
            configuration.serviceAccounts(),
            entries,
            List.of(),
            configuration.expiringThreshold(),
            configuration.secretLayout(),
            configuration.notifyEmail(),
            configuration.webhook(),
            configuration.acrApiVersion(),
            configuration.takeOverAlibabaSecrets());
    return new Applied(applied, problems);
  }

  /** The entry of an instance known by name, with its id looked up; empty after a problem. */
  private Optional<RegistryEntry> resolve(NamedInstanceRegistry named, List<String> problems) {
    try {
      AcrTokenProvider p = provider(named.identity());
      String id = p.findInstanceId(named.regionId(), named.instanceName());
      LOG.info(
          "{}: instance '{}' in {} is {}",
          named.origin(),
          named.instanceName(),
          named.regionId(),
          id);
      return Optional.of(named.resolve(id));
    } catch (TokenException ex) {
      problems.add(
          named.origin()
              + ": cannot find Enterprise Edition instance '"
              + named.instanceName()
              + "' in "
              + named.regionId()
              + ": "
              + ex.getMessage()
              + ex.errorCode().map(c -> " [" + c + "]").orElse(""));
    } catch (IllegalArgumentException ex) {
      problems.add(named.origin() + ": " + ex.getMessage());
    }
    return Optional.empty();
  }

  /** Installs the routes; a new cache when the threshold changed, else drops what moved. */
  private void switchTo(Duration expiringThreshold, Map<RegistryTarget, AcrTokenProvider> next) {
    Map<RegistryTarget, AcrTokenProvider> previous = routes;
    CachingTokenProvider oldCache = cache;
    if (oldCache == null || !expiringThreshold.equals(threshold)) {
      threshold = expiringThreshold;
      CachingTokenProvider.Builder b =
          CachingTokenProvider.builder(this::fetchUncached)
              .clock(clock)
              .refreshBeforeExpiry(threshold)
              .retryBackoff(Duration.ofSeconds(1), Duration.ofMinutes(2));
      cacheListeners.forEach(b::listener);
      subscribers.forEach(b::listener);
      cache = b.build();
      routes = next;
      if (oldCache != null) {
        oldCache.close();
      }
      previous.keySet().stream()
          .filter(t -> !next.containsKey(t))
          .forEach(fetchListener::credentialDropped);
    } else {
      routes = next;
      for (Map.Entry<RegistryTarget, AcrTokenProvider> old : previous.entrySet()) {
        if (next.get(old.getKey()) != old.getValue()) {
          oldCache.invalidate(old.getKey());
          fetchListener.credentialDropped(old.getKey());
        }
      }
    }
  }

  private boolean route(
      RegistryEntry e,
      Map<RegistryTarget, AcrTokenProvider> next,
      Map<RegistryTarget, IdentitySpec> identities,
      Set<IdentitySpec> used,
      List<String> problems) {
    IdentitySpec first = identities.get(e.target());
    if (first != null) {
      if (!first.equals(e.identity())) {
        problems.add(
            where(e)
                + ": "
                + e.target().describe()
                + " is configured twice with different identities; the first one is used");
      }
      return true;
    }
    try {
      AcrTokenProvider p = provider(e.identity());
      next.put(e.target(), p);
      identities.put(e.target(), e.identity());
      used.add(e.identity());
      return true;
    } catch (IllegalArgumentException ex) {
      problems.add(where(e) + ": " + ex.getMessage());
      return false;
    }
  }

  private static String where(RegistryEntry e) {
    return e.origin().isEmpty() ? "registry" : e.origin();
  }

  private AcrTokenProvider provider(IdentitySpec identity) {
    AcrTokenProvider existing = providers.get(identity);
    if (existing != null) {
      return existing;
    }
    AcrTokenProvider.Builder b = AcrTokenProvider.builder().credentials(credentials(identity));
    acrEndpoint.ifPresent(b::endpoint);
    stsEndpoint.ifPresent(b::stsEndpoint);
    metadataEndpoint.ifPresent(b::metadataEndpoint);
    AcrTokenProvider p = b.clock(clock).build();
    providers.put(identity, p);
    return p;
  }

  /**
   * The SDK identity a configured one stands for: an AccessKey, RRSA (ARNs from the configuration
   * or the pod's {@code ALIBABA_CLOUD_*} variables) or the default chain over this builder's
   * environment, with the role assumed on top when the identity names one.
   *
   * @param identity the configured identity
   * @return the credentials, not yet used
   * @throws IllegalArgumentException when RRSA lacks its role or OIDC provider ARN
   * @throws NullPointerException when {@code identity} is null
   */
  public AlibabaCredentials credentials(IdentitySpec identity) {
    Objects.requireNonNull(identity, "identity");
    IdentitySpec.Source source = identity.source();
    AlibabaCredentials base;
    if (source instanceof IdentitySpec.AccessKey k) {
      base = AlibabaCredentials.accessKey(k.id(), k.secret());
    } else if (source instanceof IdentitySpec.Rrsa r) {
      base = rrsa(r);
    } else {
      base = AlibabaCredentials.defaultChain(env);
    }
    return identity
        .assumeRole()
        .map(a -> base.assumeRole(a.roleArn(), null, a.sessionDuration()))
        .orElse(base);
  }

  private AlibabaCredentials rrsa(IdentitySpec.Rrsa r) {
    String role = r.roleArn().orElse(env.get("ALIBABA_CLOUD_ROLE_ARN"));
    String provider = r.oidcProviderArn().orElse(env.get("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"));
    if (role == null || provider == null) {
      throw new IllegalArgumentException(
          "RRSA is enabled but the role ARN or OIDC provider ARN is missing: set rrsaRoleARN and"
              + " rrsaOIDCProviderRoleARN, or enable RRSA for the pod (ALIBABA_CLOUD_ROLE_ARN,"
              + " ALIBABA_CLOUD_OIDC_PROVIDER_ARN)");
    }
    String file = env.getOrDefault("ALIBABA_CLOUD_OIDC_TOKEN_FILE", DEFAULT_RRSA_TOKEN_FILE);
    return AlibabaCredentials.oidcRole(role, provider, Path.of(file), null);
  }

  /**
   * The registries currently routed, in configuration order.
   *
   * @return an unmodifiable view of the last applied routes
   */
  public Set<RegistryTarget> targets() {
    return routes.keySet();
  }

  /**
   * Gets a registry's credential from the cache, asking ACR when it holds none that is valid.
   *
   * @throws TokenException also with reason {@code INVALID_CONFIGURATION} before the first {@link
   *     #apply} or for a registry not in the configuration
   */
  @Override
  public RegistryCredential fetch(RegistryTarget target) {
    Objects.requireNonNull(target, "target");
    CachingTokenProvider c = cache;
    if (c == null) {
      throw new TokenException(
          TokenException.Reason.INVALID_CONFIGURATION, null, "no configuration applied yet");
    }
    return c.fetch(target);
  }

  private RegistryCredential fetchUncached(RegistryTarget target) {
    AcrTokenProvider p = routes.get(target);
    if (p == null) {
      throw new TokenException(
          TokenException.Reason.INVALID_CONFIGURATION,
          null,
          target.describe() + " is not in the configuration");
    }
    try {
      RegistryCredential c = p.fetch(target);
      fetchListener.tokenFetched(target);
      return c;
    } catch (RuntimeException e) {
      fetchListener.tokenFailed(target, e);
      throw e;
    }
  }

  /**
   * Subscribes to credential changes and failed fetches; the subscription survives every {@link
   * #apply}, including one that rebuilds the cache for a new threshold.
   */
  @Override
  public synchronized void addListener(CacheListener listener) {
    Objects.requireNonNull(listener, "listener");
    subscribers.add(listener);
    CachingTokenProvider c = cache;
    if (c != null) {
      c.addListener(listener);
    }
  }

  @Override
  public synchronized boolean removeListener(CacheListener listener) {
    boolean removed = subscribers.remove(listener);
    CachingTokenProvider c = cache;
    if (removed && c != null) {
      c.removeListener(listener);
    }
    return removed;
  }

  /** Forgets every cached credential, so the next fetch of each registry asks ACR. */
  public void invalidateAll() {
    CachingTokenProvider c = cache;
    if (c != null) {
      routes.keySet().forEach(c::invalidate);
    }
  }

  /** Stops the cache's refresher and closes every provider. */
  @Override
  public synchronized void close() {
    CachingTokenProvider c = cache;
    if (c != null) {
      c.close();
    }
    providers.values().forEach(AcrTokenProvider::close);
    providers.clear();
  }

  /** Settings of {@link RegistryTokenProviders}; not thread-safe. */
  public static final class Builder {
    private Optional<String> acrEndpoint = Optional.empty();
    private Optional<String> stsEndpoint = Optional.empty();
    private Optional<String> metadataEndpoint = Optional.empty();
    private Map<String, String> env = Map.of();
    private Clock clock = Clock.systemUTC();
    private Listener listener = new Listener() {};
    private final List<CacheListener> cacheListeners = new ArrayList<>();

    private Builder() {}

    /**
     * The ACR OpenAPI endpoint instead of Alibaba Cloud's per region.
     *
     * @param endpoint a URL or host, as {@code AcrTokenProvider.Builder#endpoint} takes it
     * @return this builder
     * @throws NullPointerException when {@code endpoint} is null
     */
    public Builder acrEndpoint(String endpoint) {
      this.acrEndpoint = Optional.of(Objects.requireNonNull(endpoint, "endpoint"));
      return this;
    }

    /**
     * The STS endpoint instead of Alibaba Cloud's.
     *
     * @param endpoint a URL or host
     * @return this builder
     * @throws NullPointerException when {@code endpoint} is null
     */
    public Builder stsEndpoint(String endpoint) {
      this.stsEndpoint = Optional.of(Objects.requireNonNull(endpoint, "endpoint"));
      return this;
    }

    /**
     * The ECS metadata endpoint instead of {@code 100.100.100.200}.
     *
     * @param endpoint a URL or host
     * @return this builder
     * @throws NullPointerException when {@code endpoint} is null
     */
    public Builder metadataEndpoint(String endpoint) {
      this.metadataEndpoint = Optional.of(Objects.requireNonNull(endpoint, "endpoint"));
      return this;
    }

    /**
     * The environment the default credential chain and RRSA read ({@code ALIBABA_CLOUD_*}), usually
     * {@code System.getenv()}; empty by default.
     *
     * @param env the variables, copied
     * @return this builder
     * @throws NullPointerException when {@code env} is null
     */
    public Builder environment(Map<String, String> env) {
      this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
      return this;
    }

    /**
     * The clock for expiries and refreshes; the system clock by default.
     *
     * @param clock the clock
     * @return this builder
     * @throws NullPointerException when {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Learns what is asked of ACR (metrics); none by default.
     *
     * @param listener the listener
     * @return this builder
     * @throws NullPointerException when {@code listener} is null
     */
    public Builder listener(Listener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Adds a listener of the cache, before any given to {@link #addListener}.
     *
     * @param listener hears of every credential change and failed fetch
     * @return this builder
     * @throws NullPointerException when {@code listener} is null
     */
    public Builder cacheListener(CacheListener listener) {
      cacheListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Builds the providers; nothing is fetched before the first {@link #apply}.
     *
     * @return the providers
     */
    public RegistryTokenProviders build() {
      return new RegistryTokenProviders(this);
    }
  }
}
