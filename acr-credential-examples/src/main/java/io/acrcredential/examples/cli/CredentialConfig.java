package io.acrcredential.examples.cli;

import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.core.acr.AlibabaCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Optional;

/**
 * Which Alibaba Cloud identity a command uses and which endpoints it talks to, from options and
 * environment variables, plus the cache identity of that choice.
 *
 * <p>The cache identity is a string that differs whenever the identity could differ (source kind,
 * AccessKey id, role ARN, profile file and its modification time, endpoints); it never contains a
 * secret. Two configurations with different identities never share a cached token.
 */
public final class CredentialConfig {

  public static final String ENV_SOURCE = "ACR_CREDENTIAL_SOURCE";
  public static final String ENV_ACR_ENDPOINT = "ACR_CREDENTIAL_ACR_ENDPOINT";
  public static final String ENV_STS_ENDPOINT = "ACR_CREDENTIAL_STS_ENDPOINT";
  public static final String ENV_METADATA_ENDPOINT = "ACR_CREDENTIAL_METADATA_ENDPOINT";
  static final String ENV_ASSUME_ROLE = "ACR_CREDENTIAL_ASSUME_ROLE_ARN";
  static final String ENV_ECS_ROLE = "ALIBABA_CLOUD_ECS_METADATA";
  public static final String ENV_ALLOW_UNKNOWN_REGIONS = "ACR_CREDENTIAL_ALLOW_UNKNOWN_REGIONS";

  /** Where the identity comes from. */
  public enum Source {
    /**
     * Alibaba's default chain over the environment: env AccessKey, RRSA env, the CLI profile
     * ({@code ~/.aliyun/config.json}), profile file, ECS RAM role, credentials URI. (Java system
     * properties are not read by this program.)
     */
    DEFAULT_CHAIN("default-chain"),
    /** The ECS instance's (worker node's) RAM role from the metadata service. */
    ECS_RAM_ROLE("ecs-ram-role");

    final String word;

    Source(String word) {
      this.word = word;
    }

    static Source parse(String value) {
      for (Source s : values()) {
        if (s.word.equals(value.toLowerCase(Locale.ROOT))) {
          return s;
        }
      }
      throw CliException.usage(
          "invalid credential source '" + value + "': use default-chain or ecs-ram-role");
    }
  }

  private final Source source;
  private final Optional<String> ecsRole;
  private final Optional<String> assumeRole;
  private final Optional<String> acrEndpoint;
  private final Optional<String> stsEndpoint;
  private final Optional<String> metadataEndpoint;
  private final Invocation io;
  private final Optional<OidcToken> oidcToken;

  /** A service-account token exchanged for a role (kubelet tokenAttributes mode). */
  public record OidcToken(String roleArn, String providerArn, String token, String sessionName) {
    @Override
    public String toString() {
      return "OidcToken[roleArn=" + roleArn + ", token=<redacted>]";
    }
  }

  private CredentialConfig(
      Source source,
      Optional<String> ecsRole,
      Optional<String> assumeRole,
      Optional<String> acrEndpoint,
      Optional<String> stsEndpoint,
      Optional<String> metadataEndpoint,
      Invocation io,
      Optional<OidcToken> oidcToken) {
    this.source = source;
    this.ecsRole = ecsRole;
    this.assumeRole = assumeRole;
    this.acrEndpoint = acrEndpoint;
    this.stsEndpoint = stsEndpoint;
    this.metadataEndpoint = metadataEndpoint;
    this.io = io;
    this.oidcToken = oidcToken;
  }

  /** Adds the credential and endpoint options to a command's options. */
  public static Options addOptions(Options options, Source defaultSource) {
    return options
        .value(
            "credential-source",
            "SOURCE",
            ENV_SOURCE,
            "default-chain or ecs-ram-role (default: " + defaultSource.word + ")")
        .value(
            "ecs-ram-role",
            "NAME",
            ENV_ECS_ROLE,
            "RAM role name for ecs-ram-role (default: the role attached to the instance)")
        .value(
            "assume-role",
            "ARN",
            ENV_ASSUME_ROLE,
            "assume this RAM role (STS AssumeRole) on top of the source identity")
        .value(
            "acr-endpoint",
            "URL",
            ENV_ACR_ENDPOINT,
            "ACR OpenAPI endpoint (host[:port] = HTTPS; http://host:port = plain HTTP, tests)")
        .value("sts-endpoint", "URL", ENV_STS_ENDPOINT, "STS endpoint, same forms")
        .value(
            "metadata-endpoint",
            "URL",
            ENV_METADATA_ENDPOINT,
            "ECS metadata endpoint (default 100.100.100.200, plain HTTP)");
  }

  public static CredentialConfig from(Options.Parsed p, Invocation io, Source defaultSource) {
    Optional<String> word = p.value("credential-source");
    Source source = word.isPresent() ? Source.parse(word.get()) : defaultSource;
    return new CredentialConfig(
        source,
        p.value("ecs-ram-role"),
        p.value("assume-role"),
        p.value("acr-endpoint"),
        p.value("sts-endpoint"),
        p.value("metadata-endpoint"),
        io,
        Optional.empty());
  }

  /** The same endpoints with a service-account token exchanged for a role instead. */
  public CredentialConfig withOidcToken(OidcToken token) {
    return new CredentialConfig(
        source,
        ecsRole,
        Optional.empty(),
        acrEndpoint,
        stsEndpoint,
        metadataEndpoint,
        io,
        Optional.of(token));
  }

  /**
   * The identity for the SDK.
   *
   * @throws CliException when a value (role ARN, role name) is malformed
   */
  AlibabaCredentials credentials() {
    try {
      AlibabaCredentials base;
      if (oidcToken.isPresent()) {
        OidcToken t = oidcToken.get();
        return AlibabaCredentials.oidcRoleWithToken(
            t.roleArn(), t.providerArn(), t.token(), t.sessionName());
      }
      if (source == Source.ECS_RAM_ROLE
          && "true".equalsIgnoreCase(io.get("ALIBABA_CLOUD_ECS_METADATA_DISABLED"))) {
        throw CliException.usage(
            "--credential-source ecs-ram-role asks the ECS metadata service, which"
                + " ALIBABA_CLOUD_ECS_METADATA_DISABLED=true turns off; use default-chain or"
                + " remove the variable");
      }
      base =
          source == Source.ECS_RAM_ROLE
              ? AlibabaCredentials.ecsRamRole(ecsRole.orElse(null))
              : AlibabaCredentials.defaultChain(io.env());
      return assumeRole.isPresent() ? base.assumeRole(assumeRole.get()) : base;
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
  }

  /**
   * A token provider for this identity and these endpoints.
   *
   * @throws CliException when an endpoint or value is malformed
   */
  public AcrTokenProvider provider() {
    AcrTokenProvider.Builder b = AcrTokenProvider.builder().credentials(credentials());
    try {
      acrEndpoint.ifPresent(b::endpoint);
      stsEndpoint.ifPresent(b::stsEndpoint);
      metadataEndpoint.ifPresent(b::metadataEndpoint);
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
    return b.clock(io.clock()).build();
  }

  /**
   * The cache identity, or empty when it cannot be told without asking the network (the command
   * then works without the disk cache). Contains no secret.
   */
  public Optional<String> identityKey() {
    StringBuilder key = new StringBuilder("v1");
    key.append("|acr=").append(acrEndpoint.orElse("default"));
    if (oidcToken.isPresent()) {
      OidcToken t = oidcToken.get();
      key.append("|sts=").append(stsEndpoint.orElse("default"));
      key.append("|oidc-token|").append(t.roleArn()).append('|').append(t.providerArn());
      key.append('|').append(t.sessionName());
      key.append('|').append(JwtSubject.of(t.token()));
      return Optional.of(key.toString());
    }
    Optional<String> base =
        source == Source.ECS_RAM_ROLE ? Optional.of(ecsKey(ecsRole)) : defaultChainKey();
    if (base.isEmpty()) {
      return Optional.empty();
    }
    key.append('|').append(base.get());
    if (assumeRole.isPresent()) {
      key.append("|sts=").append(stsEndpoint.orElse("default"));
      key.append("|assume|").append(assumeRole.get());
    }
    return Optional.of(key.toString());
  }

  private String ecsKey(Optional<String> role) {
    return "ecs|" + role.orElse("<attached>") + "|metadata=" + metadataEndpoint.orElse("default");
  }

  /** Mirrors the order of the default chain in acr-credential-core. */
  private Optional<String> defaultChainKey() {
    String id = io.get("ALIBABA_CLOUD_ACCESS_KEY_ID");
    if (id != null) {
      boolean sts = io.get("ALIBABA_CLOUD_SECURITY_TOKEN") != null;
      return Optional.of((sts ? "env-sts|" : "env-ak|") + id);
    }
    String role = io.get("ALIBABA_CLOUD_ROLE_ARN");
    String provider = io.get("ALIBABA_CLOUD_OIDC_PROVIDER_ARN");
    String tokenFile = io.get("ALIBABA_CLOUD_OIDC_TOKEN_FILE");
    if (role != null && provider != null && tokenFile != null) {
      String sub;
      try {
        sub = JwtSubject.of(Files.readString(Path.of(tokenFile), StandardCharsets.UTF_8).trim());
      } catch (IOException | RuntimeException e) {
        return Optional.empty();
      }
      return Optional.of(
          "env-oidc|sts="
              + stsEndpoint.orElse("default")
              + "|"
              + role
              + "|"
              + provider
              + "|"
              + sub);
    }
    Path cli = io.home().resolve(".aliyun/config.json");
    if (!"true".equalsIgnoreCase(io.get("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"))
        && Files.exists(cli)) {
      // Whether the CLI configuration names a usable profile is the chain's call; key on the
      // file's identity so that any edit starts a new cache entry.
      return fileKey("cli", cli, "<current>");
    }
    String file = io.get("ALIBABA_CLOUD_CREDENTIALS_FILE");
    Path path = file != null ? Path.of(file) : io.home().resolve(".alibabacloud/credentials");
    if (Files.exists(path)) {
      return fileKey("profile", path, "default");
    }
    if ("true".equalsIgnoreCase(io.get("ALIBABA_CLOUD_ECS_METADATA_DISABLED"))
        || io.get("ALIBABA_CLOUD_CREDENTIALS_URI") != null) {
      // A credentials URI (possibly behind the ECS role) cannot be told apart without asking it.
      return Optional.empty();
    }
    return Optional.of(ecsKey(Optional.ofNullable(io.get(ENV_ECS_ROLE))));
  }

  /** Keys on a credentials file's identity, so that any edit starts a new cache entry. */
  private Optional<String> fileKey(String kind, Path path, String defaultProfile) {
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
      String profile = Optional.ofNullable(io.get("ALIBABA_CLOUD_PROFILE")).orElse(defaultProfile);
      return Optional.of(
          kind
              + "|"
              + path.toAbsolutePath()
              + "|"
              + profile
              + "|"
              + a.lastModifiedTime().toMillis()
              + "|"
              + a.size()
              + "|sts="
              + stsEndpoint.orElse("default")
              + "|"
              + ecsKey(Optional.empty()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether registry hosts of regions outside {@code AcrRegions.known()} get logins: only when the
   * user opts in with {@code ACR_CREDENTIAL_ALLOW_UNKNOWN_REGIONS=true}.
   */
  public boolean allowUnknownRegions() {
    return "true".equalsIgnoreCase(io.get(ENV_ALLOW_UNKNOWN_REGIONS));
  }

  /** Log-safe description of the configured identity. */
  String describe() {
    return oidcToken
        .map(t -> "RAM role " + t.roleArn() + " (service-account token)")
        .orElse(source.word + assumeRole.map(a -> " assuming " + a).orElse(""));
  }
}
