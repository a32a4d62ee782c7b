package io.acrcredential.core.acr;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The configured choice of Alibaba identity, before it is bound to endpoints and a clock. */
sealed interface CredentialSpec {

  /** A log-safe description of the identity kind, used in error messages. */
  String describe();

  /**
   * Alibaba's default chain over the given environment and Java system properties (only the {@code
   * alibabacloud.*} ones are kept).
   */
  record DefaultChain(
      Map<String, String> environment,
      Map<String, String> systemProperties,
      boolean systemEnvironment)
      implements CredentialSpec {
    @Override
    public String describe() {
      return "identity from the default credential chain";
    }

    @Override
    public String toString() {
      return "DefaultChain["
          + (systemEnvironment ? "process environment" : "given environment")
          + "]";
    }
  }

  /** A long-lived RAM user AccessKey. */
  record AccessKey(String accessKeyId, String accessKeySecret) implements CredentialSpec {
    @Override
    public String describe() {
      return "RAM user (AccessKey)";
    }

    @Override
    public String toString() {
      return "AccessKey[accessKeyId=" + accessKeyId + ", accessKeySecret=<redacted>]";
    }
  }

  /** Temporary STS credentials that someone else renews. */
  record StsToken(String accessKeyId, String accessKeySecret, String securityToken)
      implements CredentialSpec {
    @Override
    public String describe() {
      return "STS session (temporary AccessKey)";
    }

    @Override
    public String toString() {
      return "StsToken[accessKeyId="
          + accessKeyId
          + ", accessKeySecret=<redacted>, securityToken=<redacted>]";
    }
  }

  /** The RAM role attached to this ECS instance (or worker node). */
  record EcsRamRole(Optional<String> roleName) implements CredentialSpec {
    @Override
    public String describe() {
      return roleName.map(r -> "ECS RAM role '" + r + "'").orElse("ECS RAM role of this instance");
    }
  }

  /** A RAM role assumed with an OIDC token (RRSA on ACK). */
  record Oidc(String roleArn, String oidcProviderArn, Path tokenFile, String sessionName)
      implements CredentialSpec {
    @Override
    public String describe() {
      return "RAM role " + roleArn + " (RRSA/OIDC)";
    }
  }

  /**
   * A RAM role assumed with an OIDC token held in memory (for example a pod's service-account token
   * handed to a kubelet credential provider).
   */
  record OidcToken(String roleArn, String oidcProviderArn, String token, String sessionName)
      implements CredentialSpec {
    @Override
    public String describe() {
      return "RAM role " + roleArn + " (OIDC token)";
    }

    @Override
    public String toString() {
      return "OidcToken[roleArn="
          + roleArn
          + ", oidcProviderArn="
          + oidcProviderArn
          + ", token=<redacted>, sessionName="
          + sessionName
          + "]";
    }
  }

  /**
   * Session credentials fetched from an HTTP endpoint (a credential broker or sidecar).
   *
   * @param uri the http(s) URL
   * @param origin where the URL was configured, for messages (an environment variable or a profile)
   */
  record CredentialsUri(String uri, String origin) implements CredentialSpec {
    @Override
    public String describe() {
      return "session credentials from the credentials URI " + CredentialsUriProvider.safe(uri);
    }

    @Override
    public String toString() {
      return "CredentialsUri[uri=" + CredentialsUriProvider.safe(uri) + ", origin=" + origin + "]";
    }
  }

  /** A RAM role (often in another account) assumed on top of a base identity. */
  record AssumeRole(CredentialSpec base, String roleArn, String sessionName, Duration duration)
      implements CredentialSpec {
    @Override
    public String describe() {
      return "RAM role " + roleArn + " assumed by the " + base.describe();
    }
  }
}
