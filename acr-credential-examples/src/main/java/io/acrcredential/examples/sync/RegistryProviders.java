package io.acrcredential.examples.sync;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.core.acr.AlibabaCredentials;
import io.acrcredential.examples.util.TokenFailures;
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
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token side of the refresher: one {@link AcrTokenProvider} per distinct identity of the
 * configuration, all behind one {@link CachingTokenProvider} that refreshes {@code
 * expiring-threshold} before expiry and announces rotations to the given listeners. Is itself the
 * {@link TokenProvider} handed to the Kubernetes sync; {@link #apply} switches to a new
 * configuration without dropping credentials that stay valid.
 */
public final class RegistryProviders implements TokenProvider, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryProviders.class);

  /** Where RRSA's projected token is mounted in ACK when the variable is not set. */
  static final String DEFAULT_RRSA_TOKEN_FILE =
      "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token";

  /**
   * Endpoint overrides (tests, private networks); empty for Alibaba Cloud's defaults.
   *
   * @param acr the ACR OpenAPI endpoint
   * @param sts the STS endpoint
   * @param metadata the ECS metadata endpoint
   */
  public record Endpoints(Optional<String> acr, Optional<String> sts, Optional<String> metadata) {
    static Endpoints none() {
      return new Endpoints(Optional.empty(), Optional.empty(), Optional.empty());
    }
  }

  private final Endpoints endpoints;
  private final Map<String, String> env;
  private final Clock clock;
  private final SyncMetrics metrics;
  private final List<CacheListener> listeners;
  private final Map<IdentitySpec, AcrTokenProvider> providers = new HashMap<>();
  private volatile Map<RegistryTarget, AcrTokenProvider> routes = Map.of();
  private volatile CachingTokenProvider cache;
  private Duration threshold;

  public RegistryProviders(
      Endpoints endpoints,
      Map<String, String> env,
      Clock clock,
      SyncMetrics metrics,
      List<CacheListener> listeners) {
    this.endpoints = endpoints;
    this.env = Map.copyOf(env);
    this.clock = clock;
    this.metrics = metrics;
    this.listeners = List.copyOf(listeners);
  }

  /**
   * Switches to a configuration: creates providers for new identities, looks up Enterprise Edition
   * instances known only by name, forgets cached credentials whose registry left or changed
   * identity, and rebuilds the cache when the threshold changed.
   *
   * @param configuration the parsed configuration
   * @param problems receives one log-safe line per registry left out (instance not found, bad
   *     identity); the registry is retried on the next apply
   * @return the configuration with every instance name resolved to an id
   */
  public synchronized AcrConfiguration apply(
      AcrConfiguration configuration, List<String> problems) {
    List<RegistryEntry> entries = new ArrayList<>();
    Map<RegistryTarget, AcrTokenProvider> next = new LinkedHashMap<>();
    Map<RegistryTarget, IdentitySpec> identities = new HashMap<>();
    Set<IdentitySpec> used = new HashSet<>();
    for (RegistryEntry e : configuration.registries()) {
      route(e, next, identities, used, problems).ifPresent(x -> entries.add(e));
    }
    for (NamedInstanceRegistry named : configuration.registriesByInstanceName()) {
      AcrTokenProvider p;
      try {
        p = provider(named.identity());
      } catch (IllegalArgumentException ex) {
        problems.add(named.origin() + ": " + ex.getMessage());
        continue;
      }
      try {
        String id = p.findInstanceId(named.regionId(), named.instanceName());
        RegistryEntry resolved = named.resolve(id);
        LOG.info(
            "{}: instance '{}' in {} is {}",
            named.origin(),
            named.instanceName(),
            named.regionId(),
            id);
        route(resolved, next, identities, used, problems).ifPresent(x -> entries.add(resolved));
      } catch (TokenException ex) {
        problems.add(
            named.origin()
                + ": cannot find Enterprise Edition instance '"
                + named.instanceName()
                + "' in "
                + named.regionId()
                + ": "
                + TokenFailures.describe(ex));
      } catch (IllegalArgumentException ex) {
        problems.add(named.origin() + ": " + ex.getMessage());
      }
    }
    Map<RegistryTarget, AcrTokenProvider> previous = routes;
    CachingTokenProvider oldCache = cache;
    if (oldCache == null || !configuration.expiringThreshold().equals(threshold)) {
      threshold = configuration.expiringThreshold();
      CachingTokenProvider.Builder b =
          CachingTokenProvider.builder(this::fetchUncached)
              .clock(clock)
              .refreshBeforeExpiry(threshold)
              .retryBackoff(Duration.ofSeconds(1), Duration.ofMinutes(2))
              .listener(metrics);
      listeners.forEach(b::listener);
      cache = b.build();
      routes = next;
      if (oldCache != null) {
        oldCache.close();
      }
      previous.keySet().stream().filter(t -> !next.containsKey(t)).forEach(metrics::forget);
    } else {
      routes = next;
      for (Map.Entry<RegistryTarget, AcrTokenProvider> old : previous.entrySet()) {
        if (next.get(old.getKey()) != old.getValue()) {
          oldCache.invalidate(old.getKey());
          metrics.forget(old.getKey());
        }
      }
    }
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
    return new AcrConfiguration(
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
  }

  private Optional<RegistryTarget> route(
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
      return Optional.of(e.target());
    }
    try {
      AcrTokenProvider p = provider(e.identity());
      next.put(e.target(), p);
      identities.put(e.target(), e.identity());
      used.add(e.identity());
      return Optional.of(e.target());
    } catch (IllegalArgumentException ex) {
      problems.add(where(e) + ": " + ex.getMessage());
      return Optional.empty();
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
    endpoints.acr().ifPresent(b::endpoint);
    endpoints.sts().ifPresent(b::stsEndpoint);
    endpoints.metadata().ifPresent(b::metadataEndpoint);
    AcrTokenProvider p = b.clock(clock).build();
    providers.put(identity, p);
    return p;
  }

  /** The SDK identity for a configured one. */
  public AlibabaCredentials credentials(IdentitySpec identity) {
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

  /** The targets currently routed, in configuration order. */
  Set<RegistryTarget> targets() {
    return routes.keySet();
  }

  @Override
  public RegistryCredential fetch(RegistryTarget target) {
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
      metrics.tokenFetched(target);
      return c;
    } catch (RuntimeException e) {
      metrics.tokenFailed(target, e);
      throw e;
    }
  }

  /** Forgets every cached credential, so the next fetch asks ACR (the demo's forced rotation). */
  void invalidateAll() {
    CachingTokenProvider c = cache;
    if (c != null) {
      routes.keySet().forEach(c::invalidate);
    }
  }

  @Override
  public synchronized void close() {
    CachingTokenProvider c = cache;
    if (c != null) {
      c.close();
    }
    providers.values().forEach(AcrTokenProvider::close);
    providers.clear();
  }
}
