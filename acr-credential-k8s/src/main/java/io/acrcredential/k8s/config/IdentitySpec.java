package io.acrcredential.k8s.config;

import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to obtain the Alibaba Cloud identity that asks for a registry's token. Plain data: turning it
 * into SDK credentials is the job of the component that calls ACR.
 *
 * <p>A {@link Source} gives the base identity; an optional {@link AssumeRole} is applied on top
 * (cross-account access: the base identity assumes the given role with STS).
 *
 * @param source where the base credentials come from
 * @param assumeRole a role to assume with the base credentials, if any
 */
public record IdentitySpec(Source source, Optional<AssumeRole> assumeRole) {

  /**
   * Shortest session an assumed role may be given here, in seconds: the {@code expireDuration}
   * range Alibaba's helper documents for this ConfigMap (STS itself accepts 900 s, see {@code
   * AlibabaCredentials.MIN_SESSION}; a configuration valid here is valid for both).
   */
  public static final long MIN_SESSION_SECONDS = 3600;

  /** Longest session an assumed role may be given, in seconds (the STS limit, as in the core). */
  public static final long MAX_SESSION_SECONDS = 43200;

  /**
   * Checks for nulls.
   *
   * @param source where the base credentials come from
   * @param assumeRole a role to assume with the base credentials, if any
   * @throws NullPointerException naming the missing component
   */
  public IdentitySpec {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(assumeRole, "assumeRole");
  }

  /**
   * Where base credentials come from: one of {@link DefaultChain}, {@link Rrsa}, {@link AccessKey}.
   */
  public sealed interface Source permits DefaultChain, Rrsa, AccessKey {}

  /**
   * Alibaba Cloud's default credential chain: Java system properties, environment variables, the
   * RRSA variables, the Alibaba Cloud CLI profile, the profile file, the ECS instance RAM role (the
   * worker node's role), and finally a credentials URI.
   */
  public record DefaultChain() implements Source {}

  /**
   * RRSA: the pod's projected ServiceAccount token is exchanged for STS credentials with {@code
   * AssumeRoleWithOIDC}.
   *
   * @param roleArn the RAM role to assume; empty means the {@code ALIBABA_CLOUD_ROLE_ARN}
   *     environment variable
   * @param oidcProviderArn the cluster's OIDC provider; empty means the {@code
   *     ALIBABA_CLOUD_OIDC_PROVIDER_ARN} environment variable
   */
  public record Rrsa(Optional<String> roleArn, Optional<String> oidcProviderArn) implements Source {

    /**
     * Validates the ARNs.
     *
     * @param roleArn the RAM role to assume; empty means the {@code ALIBABA_CLOUD_ROLE_ARN}
     *     environment variable
     * @param oidcProviderArn the cluster's OIDC provider; empty means the {@code
     *     ALIBABA_CLOUD_OIDC_PROVIDER_ARN} environment variable
     * @throws IllegalArgumentException when only one ARN is given or an ARN is malformed
     */
    public Rrsa {
      Objects.requireNonNull(roleArn, "roleArn");
      Objects.requireNonNull(oidcProviderArn, "oidcProviderArn");
      if (roleArn.isPresent() != oidcProviderArn.isPresent()) {
        throw new IllegalArgumentException(
            "RRSA needs both the role ARN and the OIDC provider ARN, or neither (then both come"
                + " from the environment)");
      }
      roleArn.map(Names::checkRoleArn).ifPresent(IdentitySpec::fail);
      oidcProviderArn.map(Names::checkOidcProviderArn).ifPresent(IdentitySpec::fail);
    }
  }

  /**
   * A RAM user's AccessKey. Discouraged: prefer RRSA or the node's RAM role. {@link #toString()}
   * never shows the secret.
   *
   * @param id the AccessKey id
   * @param secret the AccessKey secret
   */
  public record AccessKey(String id, String secret) implements Source {

    /**
     * Validates the values without ever echoing them.
     *
     * @param id the AccessKey id
     * @param secret the AccessKey secret
     * @throws IllegalArgumentException when the id is malformed or the secret is empty
     */
    public AccessKey {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(secret, "secret");
      String p = Names.checkAccessKeyId(id);
      if (p != null) {
        throw new IllegalArgumentException("invalid AccessKey id (not shown): " + p);
      }
      if (secret.isBlank()) {
        throw new IllegalArgumentException("the AccessKey secret is empty");
      }
    }

    /**
     * A redacted rendering: the id shortened, the secret never shown.
     *
     * @return e.g. {@code AccessKey[id=LTAI…, secret=<redacted>]}
     */
    @Override
    public String toString() {
      return "AccessKey[id=" + maskedId() + ", secret=<redacted>]";
    }

    /**
     * The id shortened to its first four characters, for logs.
     *
     * @return e.g. {@code LTAI…}
     */
    public String maskedId() {
      return id.length() <= 4 ? "…" : id.substring(0, 4) + "…";
    }
  }

  /**
   * Assume a RAM role (typically in another account) with the base credentials.
   *
   * @param roleArn the role to assume, e.g. {@code acs:ram::1234567890123456:role/pull}
   * @param sessionDuration how long the STS session lasts, 3600 s to 43200 s
   */
  public record AssumeRole(String roleArn, Duration sessionDuration) {

    /**
     * Validates the role ARN and the session length.
     *
     * @param roleArn the role to assume, e.g. {@code acs:ram::1234567890123456:role/pull}
     * @param sessionDuration how long the STS session lasts, 3600 s to 43200 s
     * @throws IllegalArgumentException naming the invalid value and the valid range
     */
    public AssumeRole {
      Objects.requireNonNull(roleArn, "roleArn");
      Objects.requireNonNull(sessionDuration, "sessionDuration");
      String p = Names.checkRoleArn(roleArn);
      if (p != null) {
        throw new IllegalArgumentException(Echo.quote(roleArn) + " is not a role ARN; " + p);
      }
      long s = sessionDuration.getSeconds();
      if (sessionDuration.getNano() != 0 || s < MIN_SESSION_SECONDS || s > MAX_SESSION_SECONDS) {
        throw new IllegalArgumentException(
            "session duration "
                + sessionDuration
                + " is out of range; expected "
                + MIN_SESSION_SECONDS
                + " to "
                + MAX_SESSION_SECONDS
                + " whole seconds");
      }
    }
  }

  /**
   * The default credential chain, no assumed role.
   *
   * @return the spec
   */
  public static IdentitySpec defaultChain() {
    return new IdentitySpec(new DefaultChain(), Optional.empty());
  }

  /**
   * RRSA with the role and OIDC provider taken from the environment.
   *
   * @return the spec
   */
  public static IdentitySpec rrsaFromEnvironment() {
    return new IdentitySpec(new Rrsa(Optional.empty(), Optional.empty()), Optional.empty());
  }

  /**
   * RRSA with an explicit role and OIDC provider.
   *
   * @param roleArn the RAM role ARN
   * @param oidcProviderArn the OIDC provider ARN
   * @return the spec
   */
  public static IdentitySpec rrsa(String roleArn, String oidcProviderArn) {
    return new IdentitySpec(
        new Rrsa(Optional.of(roleArn), Optional.of(oidcProviderArn)), Optional.empty());
  }

  /**
   * A RAM user's AccessKey.
   *
   * @param id the AccessKey id
   * @param secret the AccessKey secret
   * @return the spec
   */
  public static IdentitySpec accessKey(String id, String secret) {
    return new IdentitySpec(new AccessKey(id, secret), Optional.empty());
  }

  /**
   * The same base identity, assuming a role on top.
   *
   * @param roleArn the role to assume
   * @param sessionDuration the STS session length, 3600 s to 43200 s
   * @return a new spec
   */
  public IdentitySpec withAssumeRole(String roleArn, Duration sessionDuration) {
    return new IdentitySpec(source, Optional.of(new AssumeRole(roleArn, sessionDuration)));
  }

  private static void fail(String problem) {
    throw new IllegalArgumentException(problem);
  }
}
