package io.acrcredential.core.acr;

import com.aliyuncs.auth.AlibabaCloudCredentials;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alibaba's default credential chain, read from injected system properties and environment: system
 * properties ({@code alibabacloud.accessKeyId} ...), environment AccessKey, RRSA/OIDC, the Alibaba
 * Cloud CLI profile ({@code ~/.aliyun/config.json}), the profile file, the ECS RAM role, then the
 * credentials URI. The first source that is configured is chosen once and kept.
 *
 * <p>Only the tail differs from "first configured": the ECS RAM role is assumed wherever the
 * metadata service is not disabled, so when a credentials URI is also set, the metadata service is
 * asked first and the URI is used when it is unreachable or has no role for this instance (as the
 * SDK's chain falls through).
 */
final class DefaultChainProvider implements IdentityProvider {

  private static final Logger LOG = LoggerFactory.getLogger(DefaultChainProvider.class);

  static final String PROP_ACCESS_KEY_ID = "alibabacloud.accessKeyId";
  static final String PROP_ACCESS_KEY_ID_SECRET = "alibabacloud.accessKeyIdSecret";
  static final String PROP_ACCESS_KEY_SECRET = "alibabacloud.accessKeySecret";
  static final String PROP_SESSION_TOKEN = "alibabacloud.sessionToken";
  static final List<String> SYSTEM_PROPERTIES =
      List.of(
          PROP_ACCESS_KEY_ID,
          PROP_ACCESS_KEY_ID_SECRET,
          PROP_ACCESS_KEY_SECRET,
          PROP_SESSION_TOKEN);

  static final String ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID";
  static final String ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
  static final String SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN";
  static final String ROLE_ARN = "ALIBABA_CLOUD_ROLE_ARN";
  static final String OIDC_PROVIDER_ARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
  static final String OIDC_TOKEN_FILE = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
  static final String ROLE_SESSION_NAME = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
  static final String CLI_PROFILE_DISABLED = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
  static final String CREDENTIALS_FILE = "ALIBABA_CLOUD_CREDENTIALS_FILE";
  static final String PROFILE = "ALIBABA_CLOUD_PROFILE";
  static final String ECS_METADATA = "ALIBABA_CLOUD_ECS_METADATA";
  static final String ECS_METADATA_DISABLED = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
  static final String CREDENTIALS_URI = "ALIBABA_CLOUD_CREDENTIALS_URI";

  private final Map<String, String> env;
  private final Map<String, String> properties;
  private final Transport transport;
  private final Optional<String> home;
  private IdentityProvider chosen;
  private String source;

  DefaultChainProvider(
      Map<String, String> env,
      Map<String, String> properties,
      Optional<String> home,
      Transport transport) {
    this.env = env;
    this.properties = properties;
    this.home = home;
    this.transport = transport;
  }

  @Override
  public AlibabaCloudCredentials getCredentials() {
    return resolve().getCredentials();
  }

  private synchronized IdentityProvider resolve() {
    if (chosen == null) {
      chosen = choose();
      LOG.info("Alibaba Cloud credentials: using the {} from {}", chosen.identity(), source);
    }
    return chosen;
  }

  private IdentityProvider choose() {
    Optional<IdentityProvider> fromProperties = systemProperties();
    if (fromProperties.isPresent()) {
      return fromProperties.get();
    }
    String id = get(ACCESS_KEY_ID);
    String secret = get(ACCESS_KEY_SECRET);
    if (id != null || secret != null) {
      if (id == null || secret == null) {
        throw new TokenException(
            Reason.INVALID_CONFIGURATION,
            null,
            "Only one of "
                + ACCESS_KEY_ID
                + " and "
                + ACCESS_KEY_SECRET
                + " is set; set both (and "
                + SECURITY_TOKEN
                + " for STS keys) or neither.");
      }
      String token = get(SECURITY_TOKEN);
      source = "environment variables";
      return CredentialProviders.create(
          token == null
              ? new CredentialSpec.AccessKey(id, secret)
              : new CredentialSpec.StsToken(id, secret, token),
          transport);
    }
    String roleArn = get(ROLE_ARN);
    String providerArn = get(OIDC_PROVIDER_ARN);
    String tokenFile = get(OIDC_TOKEN_FILE);
    if (roleArn != null && providerArn != null && tokenFile != null) {
      source = "RRSA environment variables";
      try {
        return CredentialProviders.create(
            AlibabaCredentials.oidcRole(
                    roleArn, providerArn, Path.of(tokenFile), get(ROLE_SESSION_NAME))
                .spec(),
            transport);
      } catch (IllegalArgumentException e) {
        throw new TokenException(Reason.INVALID_CONFIGURATION, null, e.getMessage());
      }
    }
    if (!"true".equalsIgnoreCase(get(CLI_PROFILE_DISABLED)) && home.isPresent()) {
      Path config = Path.of(home.get(), ".aliyun", "config.json");
      Optional<CliProfile.Loaded> cli = CliProfile.load(config, get(PROFILE));
      if (cli.isPresent()) {
        source = "the Alibaba Cloud CLI " + cli.get().source();
        checkMetadataAllowed(cli.get().spec(), source);
        return CredentialProviders.create(cli.get().spec(), transport);
      }
    }
    String file = get(CREDENTIALS_FILE);
    Optional<Path> path =
        file != null
            ? Optional.of(Path.of(file))
            : home.map(h -> Path.of(h, ".alibabacloud", "credentials"));
    if (path.isPresent()) {
      String profile = Optional.ofNullable(get(PROFILE)).orElse("default");
      Optional<CredentialSpec> spec = ProfileFile.load(path.get(), file != null, profile);
      if (spec.isPresent()) {
        source = "profile [" + profile + "] of " + path.get();
        checkMetadataAllowed(spec.get(), source);
        return CredentialProviders.create(spec.get(), transport);
      }
    }
    String uri = get(CREDENTIALS_URI);
    Optional<IdentityProvider> fromUri =
        Optional.ofNullable(uri)
            .map(
                u ->
                    new CredentialsUriProvider(
                        new CredentialSpec.CredentialsUri(u, CREDENTIALS_URI), transport));
    if ("true".equalsIgnoreCase(get(ECS_METADATA_DISABLED))) {
      if (fromUri.isPresent()) {
        source = CREDENTIALS_URI;
        return fromUri.get();
      }
      throw new TokenException(Reason.INVALID_CONFIGURATION, null, nothingFound());
    }
    EcsMetadataProvider ecs =
        new EcsMetadataProvider(Optional.ofNullable(get(ECS_METADATA)), transport);
    if (fromUri.isPresent()) {
      try {
        ecs.getCredentials();
      } catch (TokenException e) {
        if (e.reason() != Reason.NETWORK
            && e.reason() != Reason.NOT_FOUND
            && e.reason() != Reason.INVALID_RESPONSE) {
          throw e;
        }
        LOG.info(
            "No ECS RAM role here ({}); trying {} next in the default chain",
            e.getMessage(),
            CREDENTIALS_URI);
        source = CREDENTIALS_URI;
        return fromUri.get();
      }
    }
    source = "the ECS metadata service";
    return ecs;
  }

  /** A profile using the ECS RAM role is refused when the metadata service is disabled. */
  private void checkMetadataAllowed(CredentialSpec spec, String where) {
    CredentialSpec base = spec;
    while (base instanceof CredentialSpec.AssumeRole a) {
      base = a.base();
    }
    if (base instanceof CredentialSpec.EcsRamRole
        && "true".equalsIgnoreCase(get(ECS_METADATA_DISABLED))) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The "
              + where
              + " uses the ECS RAM role, but "
              + ECS_METADATA_DISABLED
              + "=true forbids the metadata service; unset it or choose another profile.");
    }
  }

  /** The AccessKey in Java system properties, named as in Alibaba's SDK. */
  private Optional<IdentityProvider> systemProperties() {
    String id = property(PROP_ACCESS_KEY_ID);
    // Like the SDK: alibabacloud.accessKeyIdSecret, when set, wins over accessKeySecret.
    String secret =
        Optional.ofNullable(property(PROP_ACCESS_KEY_ID_SECRET))
            .orElse(property(PROP_ACCESS_KEY_SECRET));
    if (id == null && secret == null) {
      return Optional.empty();
    }
    if (id == null || secret == null) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "Only half of an AccessKey is set in Java system properties: set both "
              + PROP_ACCESS_KEY_ID
              + " and "
              + PROP_ACCESS_KEY_SECRET
              + " (or its alias "
              + PROP_ACCESS_KEY_ID_SECRET
              + "), plus "
              + PROP_SESSION_TOKEN
              + " for STS keys, or neither.");
    }
    String token = property(PROP_SESSION_TOKEN);
    source = "Java system properties";
    return Optional.of(
        CredentialProviders.create(
            token == null
                ? new CredentialSpec.AccessKey(id, secret)
                : new CredentialSpec.StsToken(id, secret, token),
            transport));
  }

  private static String nothingFound() {
    return "No Alibaba Cloud credentials found. Configure one of, in this order: the Java system"
        + " properties "
        + PROP_ACCESS_KEY_ID
        + " and "
        + PROP_ACCESS_KEY_SECRET
        + "; the environment variables "
        + ACCESS_KEY_ID
        + " and "
        + ACCESS_KEY_SECRET
        + "; the RRSA variables "
        + ROLE_ARN
        + ", "
        + OIDC_PROVIDER_ARN
        + " and "
        + OIDC_TOKEN_FILE
        + "; an Alibaba Cloud CLI profile in ~/.aliyun/config.json (unless "
        + CLI_PROFILE_DISABLED
        + "=true); a credentials file ("
        + CREDENTIALS_FILE
        + " or ~/.alibabacloud/credentials, profile "
        + PROFILE
        + " or default); the ECS RAM role, which is disabled by "
        + ECS_METADATA_DISABLED
        + "; or a credential server URL in "
        + CREDENTIALS_URI
        + ".";
  }

  private String property(String name) {
    String v = properties.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  private String get(String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  @Override
  public synchronized String identity() {
    return chosen == null ? "identity from the default credential chain" : chosen.identity();
  }
}
