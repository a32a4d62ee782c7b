package io.acrcredential.k8s;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryHosts;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.SecretLayout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull Secrets every namespace in scope should hold, computed once from the token provider for
 * all namespaces (never one fetch per namespace). Immutable.
 *
 * <p>When a registry's credential cannot be had, the last credential still valid is used; failing
 * that, the Secret names that registry had are {@linkplain #protectedNames() protected}: neither
 * written nor deleted, and the snapshot is not {@linkplain #complete() complete}, so no Secret is
 * deleted as "no longer wanted" because of an outage.
 */
final class CredentialSnapshot {

  private static final Logger LOG = LoggerFactory.getLogger(CredentialSnapshot.class);

  private final Map<String, DesiredSecret> secrets;
  private final Set<String> protectedNames;
  private final boolean complete;
  private final Map<RegistryTarget, RegistryCredential> credentials;
  private final Map<RegistryTarget, List<String>> namesByTarget;

  private CredentialSnapshot(
      Map<String, DesiredSecret> secrets,
      Set<String> protectedNames,
      boolean complete,
      Map<RegistryTarget, RegistryCredential> credentials,
      Map<RegistryTarget, List<String>> namesByTarget) {
    this.secrets = Collections.unmodifiableMap(new LinkedHashMap<>(secrets));
    this.protectedNames = Set.copyOf(protectedNames);
    this.complete = complete;
    this.credentials = Map.copyOf(credentials);
    this.namesByTarget = Map.copyOf(namesByTarget);
  }

  /** The Secrets to write, by name, in configuration order. */
  Map<String, DesiredSecret> secrets() {
    return secrets;
  }

  /** Names whose content is unknown right now: keep what exists, write nothing. */
  Set<String> protectedNames() {
    return protectedNames;
  }

  /** Whether every registry's credential is known, so stale Secrets may be deleted. */
  boolean complete() {
    return complete;
  }

  /** The earliest expiry among the credentials held, if any. */
  Optional<Instant> earliestExpiry() {
    return credentials.values().stream().map(RegistryCredential::expiresAt).min(Instant::compareTo);
  }

  /** The credential held for a registry, or null. */
  RegistryCredential credential(RegistryTarget target) {
    return credentials.get(target);
  }

  /** Whether another snapshot would write exactly the same Secrets. */
  boolean sameSecrets(CredentialSnapshot other) {
    return other != null
        && secrets.equals(other.secrets)
        && protectedNames.equals(other.protectedNames);
  }

  /**
   * Fetches every configured registry's credential and lays the Secrets out.
   *
   * @param configuration the registries and the layout
   * @param provider where credentials come from (normally a cache)
   * @param previous the last snapshot, for fallback during outages; may be null
   * @param now the current time
   * @param problems receives one log-safe line per registry that could not be fetched
   */
  static CredentialSnapshot build(
      AcrConfiguration configuration,
      TokenProvider provider,
      CredentialSnapshot previous,
      Instant now,
      List<String> problems) {
    Map<RegistryTarget, RegistryCredential> credentials = new LinkedHashMap<>();
    Set<String> protectedNames = new LinkedHashSet<>();
    boolean complete = true;
    for (RegistryEntry entry : configuration.registries()) {
      RegistryTarget target = entry.target();
      if (credentials.containsKey(target)) {
        continue;
      }
      try {
        RegistryCredential credential = provider.fetch(target);
        if (credential == null) {
          throw new IllegalStateException("the token provider returned no credential");
        }
        credentials.put(target, credential);
      } catch (RuntimeException e) {
        // TokenException messages carry no secrets by contract; other exceptions are summarised.
        String why =
            e instanceof io.acrcredential.core.TokenException
                ? e.getMessage()
                : e.getClass().getSimpleName();
        RegistryCredential old = previous == null ? null : previous.credentials.get(target);
        if (old != null && old.expiresAt().isAfter(now)) {
          credentials.put(target, old);
          problems.add(
              "credential for " + target.describe() + " unavailable, keeping the last one: " + why);
        } else {
          complete = false;
          if (previous != null) {
            protectedNames.addAll(previous.namesByTarget.getOrDefault(target, List.of()));
          }
          problems.add("credential for " + target.describe() + " unavailable: " + why);
        }
      }
    }

    Map<String, DesiredSecret> secrets = new LinkedHashMap<>();
    Map<RegistryTarget, List<String>> namesByTarget = new LinkedHashMap<>();
    Set<String> claimedDomains = new LinkedHashSet<>();
    SecretLayout layout = configuration.secretLayout();
    if (layout.kind() == SecretLayout.Kind.PER_DOMAIN) {
      for (Map.Entry<RegistryTarget, RegistryCredential> e : credentials.entrySet()) {
        List<String> names = new ArrayList<>();
        for (String raw : e.getValue().domains()) {
          String domain = RegistryHosts.normalize(raw);
          if (!claimedDomains.add(domain)) {
            problems.add(
                "registry domain "
                    + domain
                    + " of "
                    + e.getKey().describe()
                    + " is already written for an earlier registry; skipped");
            continue;
          }
          String name = layout.secretNameFor(domain);
          RegistryCredential one = e.getValue().withDomains(List.of(domain));
          secrets.put(
              name,
              new DesiredSecret(name, DockerConfig.encode(one), List.of(domain), one.expiresAt()));
          names.add(name);
        }
        namesByTarget.put(e.getKey(), names);
      }
    } else {
      String name = layout.combinedSecretName();
      List<RegistryCredential> parts = new ArrayList<>();
      List<String> domains = new ArrayList<>();
      for (Map.Entry<RegistryTarget, RegistryCredential> e : credentials.entrySet()) {
        List<String> own = new ArrayList<>();
        for (String raw : e.getValue().domains()) {
          String domain = RegistryHosts.normalize(raw);
          if (claimedDomains.add(domain)) {
            own.add(domain);
          } else {
            problems.add(
                "registry domain "
                    + domain
                    + " of "
                    + e.getKey().describe()
                    + " is already written for an earlier registry; skipped");
          }
        }
        if (!own.isEmpty()) {
          parts.add(e.getValue().withDomains(own));
          domains.addAll(own);
        }
        namesByTarget.put(e.getKey(), List.of(name));
      }
      if (!complete) {
        // A partial combined Secret would drop the missing registry's logins: keep what exists.
        protectedNames.add(name);
      } else if (!parts.isEmpty()) {
        Instant expiry =
            parts.stream().map(RegistryCredential::expiresAt).min(Instant::compareTo).orElseThrow();
        secrets.put(name, new DesiredSecret(name, DockerConfig.encode(parts), domains, expiry));
      }
    }
    protectedNames.removeAll(secrets.keySet());
    for (String p : problems) {
      LOG.warn("{}", p);
    }
    return new CredentialSnapshot(secrets, protectedNames, complete, credentials, namesByTarget);
  }

  @Override
  public String toString() {
    return "CredentialSnapshot[secrets="
        + secrets.keySet()
        + ", protected="
        + protectedNames
        + ", complete="
        + complete
        + "]";
  }
}
