package io.acrcredential.core.acr;

import com.aliyuncs.auth.AlibabaCloudCredentials;
import com.aliyuncs.auth.BasicCredentials;
import com.aliyuncs.auth.BasicSessionCredentials;
import java.util.Optional;

/** Binds a {@link CredentialSpec} to a {@link Transport}, giving an SDK credentials provider. */
final class CredentialProviders {

  private CredentialProviders() {}

  static IdentityProvider create(CredentialSpec spec, Transport transport) {
    if (spec instanceof CredentialSpec.AccessKey k) {
      return fixed(new BasicCredentials(k.accessKeyId(), k.accessKeySecret()), k.describe());
    }
    if (spec instanceof CredentialSpec.StsToken t) {
      return fixed(
          new BasicSessionCredentials(t.accessKeyId(), t.accessKeySecret(), t.securityToken()),
          t.describe());
    }
    if (spec instanceof CredentialSpec.EcsRamRole r) {
      return new EcsMetadataProvider(r.roleName(), transport);
    }
    if (spec instanceof CredentialSpec.Oidc o) {
      return new OidcRoleProvider(o, AlibabaCredentials.DEFAULT_SESSION, transport);
    }
    if (spec instanceof CredentialSpec.OidcToken t) {
      return new OidcRoleProvider(t, AlibabaCredentials.DEFAULT_SESSION, transport);
    }
    if (spec instanceof CredentialSpec.CredentialsUri u) {
      return new CredentialsUriProvider(u, transport);
    }
    if (spec instanceof CredentialSpec.AssumeRole a) {
      return new AssumeRoleProvider(
          create(a.base(), transport), a.roleArn(), a.sessionName(), a.duration(), transport);
    }
    CredentialSpec.DefaultChain d = (CredentialSpec.DefaultChain) spec;
    Optional<String> home = Optional.ofNullable(d.environment().get("HOME"));
    if (home.isEmpty() && d.systemEnvironment()) {
      home = Optional.ofNullable(System.getProperty("user.home"));
    }
    return new DefaultChainProvider(d.environment(), d.systemProperties(), home, transport);
  }

  private static IdentityProvider fixed(AlibabaCloudCredentials credentials, String identity) {
    return new IdentityProvider() {
      @Override
      public AlibabaCloudCredentials getCredentials() {
        return credentials;
      }

      @Override
      public String identity() {
        return identity;
      }

      @Override
      public String toString() {
        return "FixedCredentials[" + identity + "]";
      }
    };
  }
}
