package io.acrcredential.k8s.config;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import java.util.Objects;

/**
 * How pull credentials are laid out in Secrets.
 *
 * <p>{@link Kind#PER_DOMAIN} (the default) is what Alibaba's helper does: one Secret per registry
 * domain named {@code acr-credential-<md5 hex of the domain>}, so manifests written for it keep
 * working. {@link Kind#COMBINED} writes every domain into one Secret with a chosen name.
 *
 * @param kind the layout
 * @param combinedSecretName the Secret name for {@link Kind#COMBINED}; ignored otherwise
 */
public record SecretLayout(Kind kind, String combinedSecretName) {

  /** Prefix of the per-domain Secret names. */
  public static final String PER_DOMAIN_PREFIX = "acr-credential-";

  /** Default name of the combined Secret. */
  public static final String DEFAULT_COMBINED_NAME = "acr-credentials";

  /** The two layouts. */
  public enum Kind {
    /** One Secret per domain, {@code acr-credential-<md5(domain)>} (Alibaba-compatible). */
    PER_DOMAIN,
    /** One Secret holding every domain. */
    COMBINED
  }

  /**
   * Validates the combined Secret name.
   *
   * @param kind the layout
   * @param combinedSecretName the Secret name for {@link Kind#COMBINED}; ignored otherwise
   * @throws IllegalArgumentException when it is not a valid Secret name
   */
  public SecretLayout {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(combinedSecretName, "combinedSecretName");
    String p = Names.checkDnsSubdomain(combinedSecretName);
    if (p != null) {
      throw new IllegalArgumentException(
          Echo.quote(combinedSecretName) + " is not a valid Secret name; " + p);
    }
  }

  /**
   * The Alibaba-compatible layout.
   *
   * @return one Secret per domain
   */
  public static SecretLayout perDomain() {
    return new SecretLayout(Kind.PER_DOMAIN, DEFAULT_COMBINED_NAME);
  }

  /**
   * One Secret for all domains.
   *
   * @param secretName its name (a DNS-1123 subdomain)
   * @return the layout
   */
  public static SecretLayout combined(String secretName) {
    return new SecretLayout(Kind.COMBINED, secretName);
  }

  /**
   * The name of the Secret that holds a domain's credentials: the one place the adapter names pull
   * Secrets (the sync, {@code RbacManifest} and the webhook all ask here).
   *
   * @param domain a registry host, e.g. {@code registry.cn-shanghai.aliyuncs.com}
   * @return {@code acr-credential-<md5 hex>} of the normalised domain ({@link
   *     DockerConfig#secretName}), or the combined name
   * @throws IllegalArgumentException with the per-domain layout, when the domain is not a valid
   *     registry host
   */
  public String secretNameFor(String domain) {
    if (kind == Kind.COMBINED) {
      return combinedSecretName;
    }
    return DockerConfig.secretName(domain);
  }
}
