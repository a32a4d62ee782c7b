package io.acrcredential.examples.node;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.RegistryHosts;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.acr.AcrHost;
import io.acrcredential.core.acr.AcrRegions;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.examples.cli.CredentialConfig;
import io.acrcredential.examples.logging.LazyLog;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Turns a registry host into a login: which ACR registry the host belongs to (a mapped custom
 * domain, else the host's own name), the instance id of an Enterprise Edition host (looked up with
 * {@code ListInstance}, cached), and the token. A host of a region Container Registry is not known
 * to serve gets no login unless the user opts in ({@code
 * ACR_CREDENTIAL_ALLOW_UNKNOWN_REGIONS=true}); the token (from the disk cache, else from ACR). The
 * ACR client is built only when a call is needed, so a cache hit loads none of the SDK.
 */
final class RegistryLogins implements AutoCloseable {

  private static final LazyLog LOG = new LazyLog(RegistryLogins.class);
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  private final CredentialConfig config;
  private final DiskTokenCache cache;
  private final DomainMap domains;
  private final Optional<String> identityKey;
  private AcrTokenProvider provider;

  RegistryLogins(CredentialConfig config, DiskTokenCache cache, DomainMap domains) {
    this.config = config;
    this.cache = cache;
    this.domains = domains;
    this.identityKey = config.identityKey();
  }

  /** A host as registry clients write it: scheme, path and trailing slash removed, lower case. */
  static Optional<String> hostOf(String serverUrl) {
    String s = serverUrl.strip();
    int scheme = s.indexOf("://");
    if (scheme >= 0) {
      s = s.substring(scheme + 3);
    }
    int slash = s.indexOf('/');
    if (slash >= 0) {
      s = s.substring(0, slash);
    }
    return RegistryHosts.isValid(s) ? Optional.of(RegistryHosts.normalize(s)) : Optional.empty();
  }

  /**
   * The registry behind a normalised host, or empty when it is neither a mapped domain nor an ACR
   * host.
   *
   * @throws TokenException when the instance id of an Enterprise Edition host cannot be found
   */
  Optional<RegistryTarget> target(String host) {
    Optional<RegistryTarget> mapped = domains.lookup(host);
    if (mapped.isPresent()) {
      return mapped;
    }
    Optional<AcrHost> acr = AcrHost.parse(host);
    if (acr.isEmpty()) {
      return Optional.empty();
    }
    AcrHost h = acr.get();
    if (!AcrRegions.isKnown(h.regionId()) && !config.allowUnknownRegions()) {
      // registry.evil-region.aliyuncs.com or registry.oss-cn-hangzhou.aliyuncs.com: shaped like
      // ACR, but no registry of a region ACR serves; an image name must not pick where a login
      // goes.
      if (WARNED.add(h.regionId())) {
        LOG.warn(
            "{} names region '{}', which is not a known Container Registry region: no credentials"
                + " for it (set {}=true for a region newer than this program)",
            host,
            h.regionId(),
            CredentialConfig.ENV_ALLOW_UNKNOWN_REGIONS);
      }
      return Optional.empty();
    }
    if (h.edition() == RegistryEdition.PERSONAL) {
      return Optional.of(RegistryTarget.personal(h.regionId()).withDomains(List.of(host)));
    }
    String name = h.instanceName().orElseThrow();
    String id =
        cache.instanceId(
            identityKey, h.regionId(), name, () -> provider().findInstanceId(h.regionId(), name));
    return Optional.of(RegistryTarget.enterprise(h.regionId(), id).withDomains(List.of(host)));
  }

  /** The login for a target, from the disk cache or ACR. */
  RegistryCredential login(RegistryTarget target) {
    return cache.get(identityKey, target, new Fetch(target));
  }

  /**
   * The ACR call behind a cache miss. A class, not a lambda: a warm call then starts none of the
   * JVM's method-handle machinery.
   */
  private final class Fetch implements Supplier<RegistryCredential> {
    private final RegistryTarget target;

    Fetch(RegistryTarget target) {
      this.target = target;
    }

    @Override
    public RegistryCredential get() {
      return provider().fetch(target);
    }
  }

  DiskTokenCache cache() {
    return cache;
  }

  private synchronized AcrTokenProvider provider() {
    if (provider == null) {
      provider = config.provider();
    }
    return provider;
  }

  @Override
  public synchronized void close() {
    if (provider != null) {
      provider.close();
    }
  }
}
