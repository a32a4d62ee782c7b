package io.acrcredential.k8s.config;

import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.internal.Echo;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Parses the data of an {@code acr-configuration} ConfigMap — the format of Alibaba's {@code
 * aliyun-acr-credential-helper}, plus this project's extension keys — into an {@link
 * AcrConfiguration}. The keys, defaults and error messages are documented in {@code
 * CONFIGURATION.md} of this module.
 *
 * <p>{@link #parse(Map)} never throws for bad data: it returns the valid parts and every problem
 * found, each naming the key (and the item and field inside {@code acr-registry-info}), the
 * offending value and what is valid. Secret values are never echoed. {@link #parseStrict(Map)}
 * throws one {@link InvalidConfigurationException} listing all errors instead.
 *
 * <p>Hostile input is bounded: at most {@value #MAX_VALUE_CHARS} characters per value, at most
 * {@value #MAX_REGISTRIES} registries, limited list lengths, and YAML read without constructing
 * objects, with few aliases and shallow nesting. Instances are immutable and thread-safe.
 */
public final class AcrConfigParser {

  /** Largest value of one key, in characters (the whole ConfigMap is limited to 1 MiB anyway). */
  public static final int MAX_VALUE_CHARS = ConfigKeys.MAX_VALUE_CHARS;

  /** Most items in {@code acr-registry-info} or domains in {@code acr-registry}. */
  public static final int MAX_REGISTRIES = ConfigKeys.MAX_REGISTRIES;

  /** Key: comma-separated ServiceAccount names or {@code *}. */
  public static final String SERVICE_ACCOUNT = ConfigKeys.SERVICE_ACCOUNT;

  /** Key: comma-separated namespaces or {@code all}. */
  public static final String WATCH_NAMESPACE = ConfigKeys.WATCH_NAMESPACE;

  /** Key: Go-style duration, refresh this long before expiry. */
  public static final String EXPIRING_THRESHOLD = ConfigKeys.EXPIRING_THRESHOLD;

  /** Key: ACR API version, {@code 2018-12-01}. */
  public static final String ACR_API_VERSION = ConfigKeys.ACR_API_VERSION;

  /** Key: contact e-mail address. */
  public static final String NOTIFY_EMAIL = ConfigKeys.NOTIFY_EMAIL;

  /** Key: YAML list of registries. */
  public static final String ACR_REGISTRY_INFO = ConfigKeys.ACR_REGISTRY_INFO;

  /** Key (oldest format): comma-separated registry domains, {@code *} for the cluster's region. */
  public static final String ACR_REGISTRY = ConfigKeys.ACR_REGISTRY;

  /** Key: YAML block {@code enable: true} turning RRSA on. */
  public static final String RRSA = ConfigKeys.RRSA;

  /** Key: YAML block of the Pod webhook settings ({@code enable}, failure policy, timeout). */
  public static final String WEBHOOK_CONFIGURATION = ConfigKeys.WEBHOOK_CONFIGURATION;

  /** Extension key: label selector for namespaces. */
  public static final String WATCH_NAMESPACE_SELECTOR = ConfigKeys.WATCH_NAMESPACE_SELECTOR;

  /** Extension key: comma-separated namespaces or patterns never in scope. */
  public static final String EXCLUDE_NAMESPACE = ConfigKeys.EXCLUDE_NAMESPACE;

  /** Extension key: {@code true}/{@code false}, whether ServiceAccounts are patched. */
  public static final String PATCH_SERVICE_ACCOUNTS = ConfigKeys.PATCH_SERVICE_ACCOUNTS;

  /** Extension key: {@code per-domain} or {@code combined}. */
  public static final String SECRET_LAYOUT = ConfigKeys.SECRET_LAYOUT;

  /** Extension key: the Secret name for the combined layout. */
  public static final String SECRET_NAME = ConfigKeys.SECRET_NAME;

  /**
   * Extension key: {@code true} (default) or {@code false}, whether Secrets that Alibaba's helper
   * wrote under the per-domain names are taken over; see {@link
   * AcrConfiguration#takeOverAlibabaSecrets()}.
   */
  public static final String TAKE_OVER_ALIBABA_SECRETS = ConfigKeys.TAKE_OVER_ALIBABA_SECRETS;

  /** Every key this parser knows, Alibaba's first. */
  static final Set<String> KNOWN_KEYS = ConfigKeys.KNOWN_KEYS;

  private final Optional<String> clusterRegion;

  private AcrConfigParser(Optional<String> clusterRegion) {
    this.clusterRegion = clusterRegion;
  }

  /**
   * A parser for a cluster in a known region. The region is the default for {@code regionId}, the
   * value of {@code *} in the old {@code acr-registry} key, and the Personal Edition region used
   * when no registry is configured. Callers typically read it from an environment variable.
   *
   * @param regionId the cluster's region, e.g. {@code cn-hangzhou}
   * @return the parser
   * @throws IllegalArgumentException when the region id is malformed
   */
  public static AcrConfigParser forClusterRegion(String regionId) {
    Objects.requireNonNull(regionId, "regionId");
    String r = regionId.trim();
    if (r.length() > 64 || !r.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException(
          "cluster region " + Echo.quote(regionId) + " is not a region id like cn-hangzhou");
    }
    try {
      RegistryTarget.personal(r);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cluster region " + Echo.quote(regionId) + " is not a region id like cn-hangzhou", e);
    }
    return new AcrConfigParser(Optional.of(r));
  }

  /**
   * A parser that does not know the cluster's region: every registry must then name its region, and
   * a ConfigMap without registries is an error.
   *
   * @return the parser
   */
  public static AcrConfigParser withoutClusterRegion() {
    return new AcrConfigParser(Optional.empty());
  }

  /**
   * The keys this parser understands (Alibaba's and this project's).
   *
   * @return the key names
   */
  public static Set<String> knownKeys() {
    return KNOWN_KEYS;
  }

  /**
   * Parses ConfigMap data, collecting every problem.
   *
   * @param data the ConfigMap's {@code data}; null values count as empty
   * @return the best-effort configuration and all problems; never throws for bad content
   * @throws NullPointerException when {@code data} itself is null
   */
  public ConfigParseResult parse(Map<String, String> data) {
    Objects.requireNonNull(data, "data (the ConfigMap data map) must not be null");
    return new ParseRun(data, clusterRegion).run();
  }

  /**
   * Parses ConfigMap data and fails on any error.
   *
   * @param data the ConfigMap's {@code data}
   * @return the configuration; warnings are tolerated
   * @throws InvalidConfigurationException listing every error
   */
  public AcrConfiguration parseStrict(Map<String, String> data) {
    return parse(data).orThrow();
  }
}
