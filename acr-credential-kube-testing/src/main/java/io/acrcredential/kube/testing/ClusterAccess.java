package io.acrcredential.kube.testing;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.AuthenticationV1TokenRequest;
import io.kubernetes.client.openapi.models.V1TokenRequestSpec;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.credentials.AccessTokenAuthentication;
import io.kubernetes.client.util.credentials.Authentication;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How tests and child processes reach a {@link LocalKubeApiServer}: API clients, ServiceAccount
 * tokens from the TokenRequest API, and kubeconfig files in the server's private directory.
 */
final class ClusterAccess {

  private static final long TOKEN_SECONDS = 3600;

  private final URI url;
  private final Pki pki;
  private final String adminToken;
  private final Path dir;
  private final AtomicInteger fileCounter = new AtomicInteger();

  ClusterAccess(URI url, Pki pki, String adminToken, Path dir) {
    this.url = url;
    this.pki = pki;
    this.adminToken = adminToken;
    this.dir = dir;
  }

  ApiClient adminClient() {
    return client(new AccessTokenAuthentication(adminToken));
  }

  /** A new client verifying the server with the CA and authenticating with {@code auth}. */
  ApiClient client(Authentication authentication) {
    return new ClientBuilder()
        .setBasePath(url.toString())
        .setVerifyingSsl(true)
        .setCertificateAuthority(pki.caPem().getBytes(StandardCharsets.US_ASCII))
        .setAuthentication(authentication)
        .build();
  }

  /** Writes a kubeconfig with {@code token} as a new file in the private directory. */
  Path writeKubeconfig(String name, String token) {
    Path file = dir.resolve(fileCounter.incrementAndGet() + "-" + name + ".kubeconfig");
    WorkDirs.write(file, Kubeconfig.withToken(url, pki.caPem(), name, token));
    return file;
  }

  /** A one-hour token for an existing ServiceAccount, audience the server's issuer. */
  String serviceAccountToken(String namespace, String serviceAccount) {
    Names.requireDnsLabel("namespace", namespace);
    Names.requireText("serviceAccount", serviceAccount);
    AuthenticationV1TokenRequest request =
        new AuthenticationV1TokenRequest()
            .spec(
                new V1TokenRequestSpec()
                    .audiences(List.of(ControlPlaneFlags.ISSUER))
                    .expirationSeconds(TOKEN_SECONDS));
    try {
      AuthenticationV1TokenRequest response =
          new CoreV1Api(adminClient())
              .createNamespacedServiceAccountToken(serviceAccount, namespace, request)
              .execute();
      return Objects.requireNonNull(response.getStatus(), "TokenRequest status").getToken();
    } catch (ApiException e) {
      String account = "ServiceAccount " + namespace + "/" + serviceAccount;
      if (e.getCode() == 404) {
        throw new IllegalArgumentException(
            account
                + " does not exist: create it (and its RoleBindings) before asking for a client",
            e);
      }
      throw new IllegalStateException(
          "TokenRequest for " + account + " failed with HTTP " + e.getCode(), e);
    }
  }
}
