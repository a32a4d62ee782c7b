package io.acrcredential.core.acr;

import com.aliyuncs.auth.AlibabaCloudCredentials;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alibaba's default credential chain, read from an injected environment map: environment AccessKey,
 * then RRSA/OIDC, then the profile file, then the ECS RAM role. The first source that is configured
 * is chosen once and kept.
 */
final class DefaultChainProvider implements IdentityProvider {

  private static final Logger LOG = LoggerFactory.getLogger(DefaultChainProvider.class);

  static final String ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID";
  static final String ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
  static final String SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN";
  static final String ROLE_ARN = "ALIBABA_CLOUD_ROLE_ARN";
  static final String OIDC_PROVIDER_ARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
  static final String OIDC_TOKEN_FILE = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
  static final String ROLE_SESSION_NAME = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
  static final String CREDENTIALS_FILE = "ALIBABA_CLOUD_CREDENTIALS_FILE";
  static final String PROFILE = "ALIBABA_CLOUD_PROFILE";
  static final String ECS_METADATA = "ALIBABA_CLOUD_ECS_METADATA";
  static final String ECS_METADATA_DISABLED = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";

  private final Map<String, String> env;
  private final Transport transport;
  private final Optional<String> home;
  private IdentityProvider chosen;
  private String source;

  DefaultChainProvider(Map<String, String> env, Optional<String> home, Transport transport) {
    this.env = env;
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
        return CredentialProviders.create(spec.get(), transport);
      }
    }
    if ("true".equalsIgnoreCase(get(ECS_METADATA_DISABLED))) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "No Alibaba Cloud credentials found: set "
              + ACCESS_KEY_ID
              + " and "
              + ACCESS_KEY_SECRET
              + ", or the RRSA variables "
              + ROLE_ARN
              + ", "
              + OIDC_PROVIDER_ARN
              + " and "
              + OIDC_TOKEN_FILE
              + ", or a credentials file ("
              + CREDENTIALS_FILE
              + " or ~/.alibabacloud/credentials); the ECS RAM role is disabled by "
              + ECS_METADATA_DISABLED
              + ".");
    }
    source = "the ECS metadata service";
    return new EcsMetadataProvider(Optional.ofNullable(get(ECS_METADATA)), transport);
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
