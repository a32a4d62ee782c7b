package io.acrcredential.k8s;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryHosts;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.SecretLayout;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Secret;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The managed pull Secrets as the token cache of an earlier run (a restart, a failover): reads the
 * credentials they hold back, so that a fresh stored token is used as is, with no ACR call and no
 * write.
 *
 * <p>The token is read with a direct GET of the Secrets of a few namespaces chosen at random among
 * those in the current scope whose cached Secret (metadata only) is this instance's, never from the
 * informer cache. A namespace out of scope is never read: its Secrets may be another installation's
 * of the same instance name, serving other namespaces with another identity. A registry's stored
 * credential is used only when every sampled Secret is this instance's (its labels), a {@code
 * kubernetes.io/dockerconfigjson} Secret with that single key, its annotations well-formed and
 * consistent with its content (the domains it holds, a canonical expiry), its content a Docker
 * config for exactly the domains the layout puts there, one login for all of the registry's
 * domains, the same login in every sampled namespace, and an expiry beyond the renewal threshold
 * (and not absurdly far ahead). Anything else is refetched. Only registries whose domains are
 * configured take part: a registry whose domains are resolved at run time is always fetched.
 * Finally {@link Read#confirms} checks that the Secrets the sync would write from these credentials
 * are byte for byte what the sampled Secrets hold, with the same comparison the reconciler uses to
 * skip a write.
 */
final class StoredCredentials {

  private static final Logger LOG = LoggerFactory.getLogger(StoredCredentials.class);

  /** How many namespaces' Secrets are read and must agree. */
  static final int SAMPLES = 3;

  /** A stored expiry further ahead than this is not believed (ACR tokens live one hour). */
  static final Duration MAX_AHEAD = Duration.ofHours(24);

  /** Reads one Secret from the API server; null when it does not exist. */
  interface Reader {
    V1Secret get(String namespace, String name) throws ApiException;
  }

  private final Reader reader;
  private final SecretCache cache;
  private final Function<NamespaceScope, Collection<String>> namespacesWithSecrets;
  private final BooleanSupplier cacheSettled;
  private final Markers markers;
  // the reason last logged per registry: a retry during an outage does not repeat it at INFO
  private final Map<RegistryTarget, String> lastLogged =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * @param reader direct reads from the API server
   * @param cache the Secret cache (only its metadata is used, to choose where to read)
   * @param namespacesWithSecrets the namespaces of a scope where the cache holds one of the watched
   *     names
   * @param cacheSettled whether the Secret and namespace caches are filled
   */
  StoredCredentials(
      Reader reader,
      SecretCache cache,
      Function<NamespaceScope, Collection<String>> namespacesWithSecrets,
      BooleanSupplier cacheSettled,
      Markers markers) {
    this.reader = reader;
    this.cache = cache;
    this.namespacesWithSecrets = namespacesWithSecrets;
    this.cacheSettled = cacheSettled;
    this.markers = markers;
  }

  /**
   * Whether the Secret and namespace caches are filled, so that namespaces in scope to read from
   * can be chosen.
   */
  boolean ready() {
    return cacheSettled.getAsBoolean();
  }

  /** What was read: the usable credentials and the sampled Secrets, for {@link #confirms}. */
  record Read(
      Map<RegistryTarget, RegistryCredential> credentials,
      List<Map<String, V1Secret>> sampled,
      Map<String, String> labels) {

    static final Read NONE = new Read(Map.of(), List.of(), Map.of());

    /**
     * Whether every sampled Secret of {@code snapshot} already holds exactly what the snapshot
     * would write there (so that reusing costs no write).
     */
    boolean confirms(CredentialSnapshot snapshot) {
      for (Map<String, V1Secret> inNamespace : sampled) {
        for (Map.Entry<String, V1Secret> e : inNamespace.entrySet()) {
          DesiredSecret d = snapshot.secrets().get(e.getKey());
          if (d != null && !SecretContent.holds(e.getValue(), d, labels)) {
            return false;
          }
        }
      }
      return true;
    }
  }

  /**
   * Reads the stored credentials of the configured registries.
   *
   * @param config the registries and the layout
   * @param now the current time
   * @return the credentials usable as they are (possibly none), never null
   */
  Read read(AcrConfiguration config, Instant now) {
    Duration threshold = config.expiringThreshold();
    SecretLayout layout = config.secretLayout();
    Map<RegistryTarget, RegistryCredential> usable = new LinkedHashMap<>();
    List<Map<String, V1Secret>> allSampled = new ArrayList<>();
    Collection<String> holding = null;
    for (RegistryEntry entry : config.registries()) {
      RegistryTarget target = entry.target();
      if (target.domains().isEmpty() || usable.containsKey(target)) {
        continue;
      }
      Set<String> names = new LinkedHashSet<>();
      try {
        target.domains().forEach(d -> names.add(layout.secretNameFor(d)));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (holding == null) {
        holding = namespacesWithSecrets.apply(config.namespaces());
      }
      List<Map<String, V1Secret>> sampled = sample(holding, names);
      String why = sampled.isEmpty() ? "no namespace holds its Secrets" : null;
      RegistryCredential agreed = null;
      for (Map<String, V1Secret> inNamespace : sampled) {
        Candidate c = candidate(target, layout, inNamespace);
        if (c.why != null) {
          why = c.why;
          break;
        }
        if (agreed != null && !agreed.equals(c.credential)) {
          why = "the sampled namespaces hold different tokens";
          break;
        }
        agreed = c.credential;
      }
      if (why == null) {
        if (!agreed.expiresAt().isAfter(now.plus(threshold))) {
          why = "it expires at " + agreed.expiresAt() + ", within the renewal threshold";
        } else if (agreed.expiresAt().isAfter(now.plus(MAX_AHEAD))) {
          why = "its expiry " + agreed.expiresAt() + " is implausibly far ahead";
        }
      }
      String logged = lastLogged.put(target, why == null ? "" : why);
      boolean repeat = Objects.equals(logged, why == null ? "" : why);
      if (why == null) {
        usable.put(target, agreed);
        allSampled.addAll(sampled); // what confirms() checks: only the Secrets of what is used
        LOG.info(
            "using the token stored in the pull Secrets for {} (expires at {}, read back from {}"
                + " namespace(s))",
            target.describe(),
            agreed.expiresAt(),
            sampled.size());
      } else if (repeat) {
        LOG.debug("not using the stored token for {}: {}", target.describe(), why);
      } else {
        LOG.info(
            "not using the stored token for {}: {}; fetching a new one", target.describe(), why);
      }
    }
    return new Read(usable, allSampled, markers.labels());
  }

  /**
   * Reads {@code names} with a direct GET in up to {@link #SAMPLES} namespaces chosen at random
   * among those whose cache shows all of them as this instance's.
   */
  private List<Map<String, V1Secret>> sample(Collection<String> holding, Set<String> names) {
    List<String> candidates = new ArrayList<>();
    for (String ns : holding) {
      if (names.stream().allMatch(n -> isOurs(cache.get(ns, n)))) {
        candidates.add(ns);
      }
    }
    Collections.shuffle(candidates, ThreadLocalRandom.current());
    List<Map<String, V1Secret>> sampled = new ArrayList<>();
    for (String ns : candidates.subList(0, Math.min(SAMPLES, candidates.size()))) {
      Map<String, V1Secret> inNamespace = new LinkedHashMap<>();
      for (String name : names) {
        try {
          V1Secret s = reader.get(ns, name);
          if (s != null) {
            inNamespace.put(name, s);
          }
        } catch (ApiException e) {
          LOG.info("cannot read Secret {}/{} back ({})", ns, name, code(e));
        }
      }
      sampled.add(inNamespace);
    }
    return sampled;
  }

  private record Candidate(RegistryCredential credential, String why) {}

  private static Candidate no(String why) {
    return new Candidate(null, why);
  }

  /** The login the Secrets of one namespace hold for {@code target}, or why there is none. */
  private Candidate candidate(
      RegistryTarget target, SecretLayout layout, Map<String, V1Secret> inNamespace) {
    String username = null;
    String password = null;
    Instant expiry = null;
    for (String raw : target.domains()) {
      String domain;
      try {
        domain = RegistryHosts.normalize(raw);
      } catch (IllegalArgumentException e) {
        return no("a configured domain is not a registry host");
      }
      String name = layout.secretNameFor(domain);
      V1Secret s = inNamespace.get(name);
      if (s == null || s.getMetadata() == null) {
        return no("Secret " + name + " is missing in a sampled namespace");
      }
      if (!isOurs(s)) {
        return no("Secret " + name + " is not this instance's");
      }
      if (!SecretContent.SECRET_TYPE.equals(s.getType())
          || Boolean.TRUE.equals(s.getImmutable())
          || s.getData() == null
          || s.getData().size() != 1
          || s.getData().get(SecretContent.DATA_KEY) == null) {
        return no("Secret " + name + " is not a plain " + SecretContent.SECRET_TYPE + " Secret");
      }
      Map<String, String> annotations = s.getMetadata().getAnnotations();
      String expiresText = annotations == null ? null : annotations.get(Markers.EXPIRES_ANNOTATION);
      String domainsText = annotations == null ? null : annotations.get(Markers.DOMAINS_ANNOTATION);
      Instant expires;
      try {
        expires = expiresText == null ? null : Instant.parse(expiresText);
      } catch (DateTimeParseException e) {
        expires = null;
      }
      if (expires == null || !expires.toString().equals(expiresText)) {
        return no("Secret " + name + " has no valid " + Markers.EXPIRES_ANNOTATION + " annotation");
      }
      List<String> listed = domainsText == null ? List.of() : List.of(domainsText.split(",", -1));
      DockerConfig content;
      try {
        content = DockerConfig.decode(s.getData().get(SecretContent.DATA_KEY));
      } catch (IllegalArgumentException e) {
        return no("Secret " + name + " does not hold a Docker config");
      }
      boolean consistent =
          layout.kind() == SecretLayout.Kind.PER_DOMAIN
              ? listed.equals(List.of(domain)) && content.auths().keySet().equals(Set.of(domain))
              : listed.contains(domain)
                  && content.auths().keySet().equals(Set.copyOf(listed))
                  && listed.size() == Set.copyOf(listed).size();
      DockerConfig.Auth auth = content.auths().get(domain);
      if (!consistent || auth == null) {
        return no("Secret " + name + " holds other domains than its annotation and name say");
      }
      if (username == null) {
        username = auth.username();
        password = auth.password();
        expiry = expires;
      } else if (!username.equals(auth.username())
          || !password.equals(auth.password())
          || !expiry.equals(expires)) {
        return no("the registry's domains hold different logins");
      }
    }
    if (username == null) {
      return no("no domain configured");
    }
    try {
      return new Candidate(
          new RegistryCredential(username, password, expiry, target.domains()), null);
    } catch (IllegalArgumentException e) {
      return no("the stored login is not usable");
    }
  }

  private boolean isOurs(V1Secret s) {
    return s != null && s.getMetadata() != null && markers.isOurs(s.getMetadata().getLabels());
  }

  private static String code(ApiException e) {
    return e.getCode() == 0
        ? (e.getCause() == null ? "I/O error" : e.getCause().getClass().getSimpleName())
        : "HTTP " + e.getCode();
  }
}
