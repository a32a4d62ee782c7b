package io.acrcredential.k8s.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The whole configuration of the Kubernetes adapter: what to keep in sync, where, and how.
 * Immutable.
 *
 * <p>Build one in code with {@link #builder()} or parse Alibaba's {@code acr-configuration}
 * ConfigMap with {@link AcrConfigParser}. The builder's defaults are those of Alibaba's helper:
 * ServiceAccount {@code default} in namespace {@code default}, threshold 15 minutes, per-domain
 * Secrets.
 *
 * @param namespaces which namespaces get pull Secrets
 * @param serviceAccounts which ServiceAccounts list them, and whether ServiceAccounts are patched
 * @param registries the registries, each with its identity
 * @param registriesByInstanceName Enterprise Edition registries still to be looked up by instance
 *     name (only from the old {@code acr-registry} key)
 * @param expiringThreshold refresh a credential this long before it expires; positive, under an
 *     hour (tokens live at most one hour)
 * @param secretLayout per-domain or combined Secrets
 * @param notifyEmail a contact shown in events, if configured
 * @param webhook the Pod webhook settings (see {@code PodPullSecretWebhook})
 * @param acrApiVersion the ACR API version; only {@code 2018-12-01} exists for this purpose
 * @param takeOverAlibabaSecrets whether a Secret that Alibaba's helper wrote under a per-domain
 *     pull Secret name (its type, a temporary login for that domain alone) is taken over; when
 *     false, or for anything else under that name, the Secret is a clash and never written
 */
public record AcrConfiguration(
    NamespaceScope namespaces,
    ServiceAccountScope serviceAccounts,
    List<RegistryEntry> registries,
    List<NamedInstanceRegistry> registriesByInstanceName,
    Duration expiringThreshold,
    SecretLayout secretLayout,
    Optional<String> notifyEmail,
    WebhookSettings webhook,
    String acrApiVersion,
    boolean takeOverAlibabaSecrets) {

  /** The default {@code expiring-threshold}. */
  public static final Duration DEFAULT_EXPIRING_THRESHOLD = Duration.ofMinutes(15);

  /** The largest allowed threshold, exclusive: tokens live at most one hour. */
  public static final Duration MAX_EXPIRING_THRESHOLD = Duration.ofHours(1);

  /** The only {@code acr-api-version} there is. */
  public static final String ACR_API_VERSION = "2018-12-01";

  /**
   * Validates and copies the values.
   *
   * @param namespaces which namespaces get pull Secrets
   * @param serviceAccounts which ServiceAccounts list them, and whether ServiceAccounts are patched
   * @param registries the registries, each with its identity
   * @param registriesByInstanceName Enterprise Edition registries still to be looked up by instance
   *     name (only from the old {@code acr-registry} key)
   * @param expiringThreshold refresh a credential this long before it expires; positive, under an
   *     hour (tokens live at most one hour)
   * @param secretLayout per-domain or combined Secrets
   * @param notifyEmail a contact shown in events, if configured
   * @param webhook the Pod webhook settings (see {@code PodPullSecretWebhook})
   * @param acrApiVersion the ACR API version; only {@code 2018-12-01} exists for this purpose
   * @param takeOverAlibabaSecrets whether Secrets Alibaba's helper wrote are taken over
   * @throws IllegalArgumentException when the threshold is out of range
   * @throws NullPointerException naming a missing component
   */
  public AcrConfiguration {
    Objects.requireNonNull(namespaces, "namespaces");
    Objects.requireNonNull(serviceAccounts, "serviceAccounts");
    registries = List.copyOf(registries);
    registriesByInstanceName = List.copyOf(registriesByInstanceName);
    Objects.requireNonNull(expiringThreshold, "expiringThreshold");
    Objects.requireNonNull(secretLayout, "secretLayout");
    Objects.requireNonNull(notifyEmail, "notifyEmail");
    Objects.requireNonNull(webhook, "webhook");
    Objects.requireNonNull(acrApiVersion, "acrApiVersion");
    if (expiringThreshold.isNegative()
        || expiringThreshold.isZero()
        || expiringThreshold.compareTo(MAX_EXPIRING_THRESHOLD) >= 0) {
      throw new IllegalArgumentException(
          "expiring threshold "
              + GoDuration.format(expiringThreshold)
              + " is out of range; expected more than 0s and less than 1h");
    }
  }

  /**
   * The pull Secret names this configuration leads to without asking the registry: the combined
   * Secret's name, or one name per configured domain ({@link SecretLayout#secretNameFor}).
   * Registries whose domains are resolved at run time add none; see {@link
   * #registriesResolvedAtRunTime()}.
   *
   * @return the names, without duplicates, in configuration order
   */
  public Set<String> secretNamesKnownAhead() {
    Set<String> names = new LinkedHashSet<>();
    if (secretLayout.kind() == SecretLayout.Kind.COMBINED) {
      names.add(secretLayout.combinedSecretName());
      return names;
    }
    for (RegistryEntry e : registries) {
      for (String d : e.target().domains()) {
        names.add(secretLayout.secretNameFor(d));
      }
    }
    return names;
  }

  /**
   * The registries whose pull Secret names depend on domains resolved at run time (per-domain
   * layout, no domains configured); empty with the combined layout.
   *
   * @return those registries, in configuration order
   */
  public List<RegistryEntry> registriesResolvedAtRunTime() {
    if (secretLayout.kind() == SecretLayout.Kind.COMBINED) {
      return List.of();
    }
    List<RegistryEntry> unresolved = new ArrayList<>();
    for (RegistryEntry e : registries) {
      if (e.target().domains().isEmpty()) {
        unresolved.add(e);
      }
    }
    return unresolved;
  }

  /**
   * A builder with Alibaba's defaults and no registries.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder starting from this configuration.
   *
   * @return a new builder holding these values
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.namespaces = namespaces;
    b.serviceAccounts = serviceAccounts;
    b.registries.addAll(registries);
    b.registriesByInstanceName.addAll(registriesByInstanceName);
    b.expiringThreshold = expiringThreshold;
    b.secretLayout = secretLayout;
    b.notifyEmail = notifyEmail;
    b.webhook = webhook;
    b.acrApiVersion = acrApiVersion;
    b.takeOverAlibabaSecrets = takeOverAlibabaSecrets;
    return b;
  }

  /** Builds an {@link AcrConfiguration}; not thread-safe. */
  public static final class Builder {
    private NamespaceScope namespaces = NamespaceScope.named(Set.of("default"));
    private ServiceAccountScope serviceAccounts = ServiceAccountScope.named(Set.of("default"));
    private final List<RegistryEntry> registries = new ArrayList<>();
    private final List<NamedInstanceRegistry> registriesByInstanceName = new ArrayList<>();
    private Duration expiringThreshold = DEFAULT_EXPIRING_THRESHOLD;
    private SecretLayout secretLayout = SecretLayout.perDomain();
    private Optional<String> notifyEmail = Optional.empty();
    private WebhookSettings webhook = WebhookSettings.defaults();
    private String acrApiVersion = ACR_API_VERSION;
    private boolean takeOverAlibabaSecrets = true;

    private Builder() {}

    /**
     * Sets whether Secrets that Alibaba's helper wrote under the per-domain names are taken over
     * (default true).
     *
     * @param takeOver false to leave them alone as clashes
     * @return this builder
     */
    public Builder takeOverAlibabaSecrets(boolean takeOver) {
      this.takeOverAlibabaSecrets = takeOver;
      return this;
    }

    /**
     * Sets the namespace scope (default: namespace {@code default}).
     *
     * @param scope the scope
     * @return this builder
     */
    public Builder namespaces(NamespaceScope scope) {
      this.namespaces = Objects.requireNonNull(scope, "scope");
      return this;
    }

    /**
     * Sets the ServiceAccount scope (default: ServiceAccount {@code default}, patched).
     *
     * @param scope the scope
     * @return this builder
     */
    public Builder serviceAccounts(ServiceAccountScope scope) {
      this.serviceAccounts = Objects.requireNonNull(scope, "scope");
      return this;
    }

    /**
     * Adds a registry.
     *
     * @param entry the registry and its identity
     * @return this builder
     */
    public Builder addRegistry(RegistryEntry entry) {
      registries.add(Objects.requireNonNull(entry, "entry"));
      return this;
    }

    /**
     * Adds an Enterprise Edition registry to be looked up by instance name.
     *
     * @param entry the registry
     * @return this builder
     */
    public Builder addRegistryByInstanceName(NamedInstanceRegistry entry) {
      registriesByInstanceName.add(Objects.requireNonNull(entry, "entry"));
      return this;
    }

    /**
     * Sets how long before expiry a credential is refreshed (default 15 minutes).
     *
     * @param threshold positive and less than one hour
     * @return this builder
     */
    public Builder expiringThreshold(Duration threshold) {
      this.expiringThreshold = Objects.requireNonNull(threshold, "threshold");
      return this;
    }

    /**
     * Sets the Secret layout (default per-domain).
     *
     * @param layout the layout
     * @return this builder
     */
    public Builder secretLayout(SecretLayout layout) {
      this.secretLayout = Objects.requireNonNull(layout, "layout");
      return this;
    }

    /**
     * Sets the contact e-mail address.
     *
     * @param email the address, or null for none
     * @return this builder
     */
    public Builder notifyEmail(String email) {
      this.notifyEmail = Optional.ofNullable(email);
      return this;
    }

    /**
     * Sets the webhook settings (default disabled).
     *
     * @param settings the settings
     * @return this builder
     */
    public Builder webhook(WebhookSettings settings) {
      this.webhook = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Sets the ACR API version string (default {@code 2018-12-01}).
     *
     * @param version the version
     * @return this builder
     */
    public Builder acrApiVersion(String version) {
      this.acrApiVersion = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @return the immutable configuration
     * @throws IllegalArgumentException when a value is out of range
     */
    public AcrConfiguration build() {
      return new AcrConfiguration(
          namespaces,
          serviceAccounts,
          registries,
          registriesByInstanceName,
          expiringThreshold,
          secretLayout,
          notifyEmail,
          webhook,
          acrApiVersion,
          takeOverAlibabaSecrets);
    }
  }
}
