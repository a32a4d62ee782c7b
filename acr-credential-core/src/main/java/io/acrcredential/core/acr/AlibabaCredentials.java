package io.acrcredential.core.acr;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which Alibaba Cloud identity signs the calls to ACR: an opaque, immutable choice made with one of
 * the factory methods and handed to {@link AcrTokenProvider.Builder#credentials}.
 *
 * <p>Sources:
 *
 * <ul>
 *   <li>{@link #defaultChain()}: like Alibaba's SDKs, the first of, in this order:
 *       <ol>
 *         <li>Java system properties {@code alibabacloud.accessKeyId} and {@code
 *             alibabacloud.accessKeySecret} (alias {@code alibabacloud.accessKeyIdSecret}, which
 *             wins when both are set), optional {@code alibabacloud.sessionToken};
 *         <li>environment AccessKey ({@code ALIBABA_CLOUD_ACCESS_KEY_ID}, {@code
 *             ALIBABA_CLOUD_ACCESS_KEY_SECRET}, optional {@code ALIBABA_CLOUD_SECURITY_TOKEN});
 *         <li>RRSA/OIDC ({@code ALIBABA_CLOUD_ROLE_ARN}, {@code ALIBABA_CLOUD_OIDC_PROVIDER_ARN},
 *             {@code ALIBABA_CLOUD_OIDC_TOKEN_FILE});
 *         <li>the Alibaba Cloud CLI profile in {@code ~/.aliyun/config.json} (profile {@code
 *             ALIBABA_CLOUD_PROFILE} or the file's {@code current}; modes AK, StsToken, RamRoleArn,
 *             EcsRamRole, OIDC, ChainableRamRoleArn and CredentialsURI; skipped with {@code
 *             ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true});
 *         <li>the profile file ({@code ALIBABA_CLOUD_CREDENTIALS_FILE} or {@code
 *             ~/.alibabacloud/credentials}, profile {@code ALIBABA_CLOUD_PROFILE} or {@code
 *             default});
 *         <li>the ECS RAM role through the metadata service with IMDSv2 (unless {@code
 *             ALIBABA_CLOUD_ECS_METADATA_DISABLED=true}; role name from {@code
 *             ALIBABA_CLOUD_ECS_METADATA} or discovered);
 *         <li>the credentials URI {@code ALIBABA_CLOUD_CREDENTIALS_URI}: session credentials
 *             fetched from that URL and renewed before they expire (used when the ECS RAM role is
 *             disabled, unreachable or not attached).
 *       </ol>
 *   <li>{@link #accessKey}, {@link #stsToken}: explicit keys;
 *   <li>{@link #ecsRamRole}: the instance's RAM role;
 *   <li>{@link #oidcRole}: RRSA with explicit ARNs and token file; {@link #oidcRoleWithToken}: the
 *       same with the token in memory;
 *   <li>{@link #assumeRole}: a RAM role, often in another account, assumed on top of any of these.
 * </ul>
 *
 * <p>Session credentials (STS, RAM roles) are cached and renewed before they expire. {@link
 * #toString()} never shows a secret or token.
 */
public final class AlibabaCredentials {

  private static final Pattern ROLE_ARN = Pattern.compile("acs:ram::[0-9]+:role/[^\\s]+");
  private static final Pattern SESSION_NAME = Pattern.compile("[A-Za-z0-9.@_-]{2,64}");
  private static final Pattern ROLE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** The shortest session STS grants. */
  public static final Duration MIN_SESSION = Duration.ofSeconds(900);

  /** The longest session STS grants (the role's own maximum may be lower). */
  public static final Duration MAX_SESSION = Duration.ofSeconds(43200);

  /** The session length used when none is given. */
  public static final Duration DEFAULT_SESSION = Duration.ofSeconds(3600);

  /** The role session name used when none is given. */
  public static final String DEFAULT_SESSION_NAME = "acr-credential";

  private final CredentialSpec spec;

  private AlibabaCredentials(CredentialSpec spec) {
    this.spec = spec;
  }

  /**
   * Alibaba's default credential chain over this process's environment and Java system properties
   * (the {@code alibabacloud.*} properties are read now, when this is called).
   *
   * @return the choice
   */
  public static AlibabaCredentials defaultChain() {
    Map<String, String> properties = new HashMap<>();
    for (String name : DefaultChainProvider.SYSTEM_PROPERTIES) {
      String value = System.getProperty(name);
      if (value != null) {
        properties.put(name, value);
      }
    }
    return new AlibabaCredentials(
        new CredentialSpec.DefaultChain(System.getenv(), Map.copyOf(properties), true));
  }

  /**
   * Alibaba's default credential chain over the given environment instead of the process's (for
   * tests and for embedders that hold configuration elsewhere). No Java system properties are read;
   * use {@link #defaultChain(Map, Map)} to supply them. The CLI configuration and the profile file
   * are looked up through {@code ALIBABA_CLOUD_CREDENTIALS_FILE} or {@code HOME} in this map only.
   *
   * @param environment variable names to values
   * @return the choice
   */
  public static AlibabaCredentials defaultChain(Map<String, String> environment) {
    return defaultChain(environment, Map.of());
  }

  /**
   * Alibaba's default credential chain over the given environment and system properties instead of
   * the process's. Of the properties only {@code alibabacloud.accessKeyId}, {@code
   * alibabacloud.accessKeySecret}, {@code alibabacloud.accessKeyIdSecret} and {@code
   * alibabacloud.sessionToken} are used.
   *
   * @param environment variable names to values
   * @param systemProperties property names to values, in place of {@link System#getProperties()}
   * @return the choice
   */
  public static AlibabaCredentials defaultChain(
      Map<String, String> environment, Map<String, String> systemProperties) {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(systemProperties, "systemProperties");
    Map<String, String> kept = new HashMap<>();
    for (String name : DefaultChainProvider.SYSTEM_PROPERTIES) {
      String value = systemProperties.get(name);
      if (value != null) {
        kept.put(name, value);
      }
    }
    return new AlibabaCredentials(
        new CredentialSpec.DefaultChain(Map.copyOf(environment), Map.copyOf(kept), false));
  }

  /**
   * A RAM user's AccessKey.
   *
   * @param accessKeyId the AccessKey ID
   * @param accessKeySecret the AccessKey secret
   * @return the choice
   * @throws IllegalArgumentException when a value is empty
   */
  public static AlibabaCredentials accessKey(String accessKeyId, String accessKeySecret) {
    return new AlibabaCredentials(
        new CredentialSpec.AccessKey(
            required(accessKeyId, "accessKeyId"), required(accessKeySecret, "accessKeySecret")));
  }

  /**
   * Temporary STS credentials. They are used as given and not renewed.
   *
   * @param accessKeyId the temporary AccessKey ID ({@code STS.…})
   * @param accessKeySecret its secret
   * @param securityToken the STS security token
   * @return the choice
   * @throws IllegalArgumentException when a value is empty
   */
  public static AlibabaCredentials stsToken(
      String accessKeyId, String accessKeySecret, String securityToken) {
    return new AlibabaCredentials(
        new CredentialSpec.StsToken(
            required(accessKeyId, "accessKeyId"),
            required(accessKeySecret, "accessKeySecret"),
            required(securityToken, "securityToken")));
  }

  /**
   * The RAM role of this ECS instance (the Kubernetes worker node), read from the metadata service
   * with IMDSv2.
   *
   * @param roleName the role name, or null to ask the metadata service which role is attached
   * @return the choice
   * @throws IllegalArgumentException when the name is not a valid RAM role name
   */
  public static AlibabaCredentials ecsRamRole(String roleName) {
    Optional<String> name =
        Optional.ofNullable(roleName).map(String::trim).filter(s -> !s.isEmpty());
    name.ifPresent(
        n -> {
          if (!ROLE_NAME.matcher(n).matches()) {
            throw new IllegalArgumentException(
                "invalid ECS RAM role name '" + n + "': use letters, digits, '.', '_' and '-'");
          }
        });
    return new AlibabaCredentials(new CredentialSpec.EcsRamRole(name));
  }

  /**
   * A RAM role assumed with an OIDC token (RRSA), the token read from a file on every renewal.
   *
   * @param roleArn the role, {@code acs:ram::<account>:role/<name>}
   * @param oidcProviderArn the OIDC provider, {@code acs:ram::<account>:oidc-provider/<name>}
   * @param tokenFile the file holding the OIDC token
   * @param sessionName the role session name, or null for {@value #DEFAULT_SESSION_NAME}
   * @return the choice
   * @throws IllegalArgumentException naming the value that is malformed
   */
  public static AlibabaCredentials oidcRole(
      String roleArn, String oidcProviderArn, Path tokenFile, String sessionName) {
    String provider = oidcProviderArn(oidcProviderArn);
    Objects.requireNonNull(tokenFile, "tokenFile");
    return new AlibabaCredentials(
        new CredentialSpec.Oidc(
            roleArn(roleArn, "roleArn"), provider, tokenFile, sessionName(sessionName)));
  }

  /**
   * A RAM role assumed with an OIDC token given in memory, for example the service-account token a
   * kubelet hands to its credential provider. The token is used as given and never logged.
   *
   * @param roleArn the role, {@code acs:ram::<account>:role/<name>}
   * @param oidcProviderArn the OIDC provider, {@code acs:ram::<account>:oidc-provider/<name>}
   * @param oidcToken the OIDC token (a JWT)
   * @param sessionName the role session name, or null for {@value #DEFAULT_SESSION_NAME}
   * @return the choice
   * @throws IllegalArgumentException naming the value that is malformed (never quoting the token)
   */
  public static AlibabaCredentials oidcRoleWithToken(
      String roleArn, String oidcProviderArn, String oidcToken, String sessionName) {
    String provider = oidcProviderArn(oidcProviderArn);
    if (oidcToken == null || oidcToken.isBlank()) {
      throw new IllegalArgumentException("oidcToken is missing or empty");
    }
    return new AlibabaCredentials(
        new CredentialSpec.OidcToken(
            roleArn(roleArn, "roleArn"), provider, oidcToken.trim(), sessionName(sessionName)));
  }

  /**
   * This identity assumes a RAM role, for one hour, with session name {@value
   * #DEFAULT_SESSION_NAME}.
   *
   * @param assumeRoleArn the role, {@code acs:ram::<account>:role/<name>}
   * @return the new choice; this one is unchanged
   * @throws IllegalArgumentException when the ARN is malformed
   */
  public AlibabaCredentials assumeRole(String assumeRoleArn) {
    return assumeRole(assumeRoleArn, null, DEFAULT_SESSION);
  }

  /**
   * This identity assumes a RAM role (often in another account) through STS {@code AssumeRole}.
   *
   * @param assumeRoleArn the role, {@code acs:ram::<account>:role/<name>}
   * @param sessionName the role session name, or null for {@value #DEFAULT_SESSION_NAME}
   * @param expireDuration the session length, {@value #MIN_SESSION_SECONDS} to {@value
   *     #MAX_SESSION_SECONDS} seconds
   * @return the new choice; this one is unchanged
   * @throws IllegalArgumentException naming the value that is out of range or malformed
   */
  public AlibabaCredentials assumeRole(
      String assumeRoleArn, String sessionName, Duration expireDuration) {
    Objects.requireNonNull(expireDuration, "expireDuration");
    if (expireDuration.compareTo(MIN_SESSION) < 0 || expireDuration.compareTo(MAX_SESSION) > 0) {
      throw new IllegalArgumentException(
          "expireDuration "
              + expireDuration.toSeconds()
              + "s is out of range: STS sessions last 900 to 43200 seconds");
    }
    return new AlibabaCredentials(
        new CredentialSpec.AssumeRole(
            spec,
            roleArn(assumeRoleArn, "assumeRoleARN"),
            sessionName(sessionName),
            expireDuration));
  }

  /** Seconds in {@link #MIN_SESSION}. */
  public static final long MIN_SESSION_SECONDS = 900;

  /** Seconds in {@link #MAX_SESSION}. */
  public static final long MAX_SESSION_SECONDS = 43200;

  /**
   * A log-safe description of the identity kind, such as {@code RAM user (AccessKey)}.
   *
   * @return the description
   */
  public String describe() {
    return spec.describe();
  }

  CredentialSpec spec() {
    return spec;
  }

  /** The spec's description; never a secret or token. */
  @Override
  public String toString() {
    return "AlibabaCredentials[" + spec + "]";
  }

  static String roleArn(String value, String setting) {
    String arn = required(value, setting);
    if (!ROLE_ARN.matcher(arn).matches()) {
      throw new IllegalArgumentException(
          "invalid " + setting + " '" + arn + "': expected acs:ram::<account id>:role/<role name>");
    }
    return arn;
  }

  static String oidcProviderArn(String value) {
    String provider = required(value, "oidcProviderArn");
    if (!provider.startsWith("acs:ram::") || !provider.contains(":oidc-provider/")) {
      throw new IllegalArgumentException(
          "invalid oidcProviderArn '"
              + provider
              + "': expected acs:ram::<account id>:oidc-provider/<name>");
    }
    return provider;
  }

  static String sessionName(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_SESSION_NAME;
    }
    String name = value.trim();
    if (!SESSION_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid role session name '"
              + name
              + "': use 2 to 64 letters, digits and the characters . @ - _");
    }
    return name;
  }

  static String required(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is missing or empty");
    }
    return value.trim();
  }
}
