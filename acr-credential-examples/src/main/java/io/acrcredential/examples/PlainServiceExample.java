package io.acrcredential.examples;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenProvider;
import java.time.Duration;
import java.util.Objects;

/**
 * How a plain service (a CI runner, a deployment tool) uses only {@code acr-credential-core}: a
 * cached ACR token turned into a Docker {@code config.json} body for a registry client. No
 * Kubernetes involved.
 *
 * <pre>{@code
 * try (AcrTokenProvider acr = AcrTokenProvider.builder()
 *         .credentials(AlibabaCredentials.defaultChain()).build();
 *     PlainServiceExample logins = new PlainServiceExample(acr)) {
 *   byte[] config = logins.dockerConfig(RegistryTarget.enterprise("cn-hangzhou", "cri-abc123"));
 *   Files.write(dockerConfigDir.resolve("config.json"), config); // then: docker pull ...
 * }
 * }</pre>
 */
public final class PlainServiceExample implements AutoCloseable {

  private final CachingTokenProvider cache;

  /**
   * A cache in front of the provider, refreshing tokens ten minutes before they expire.
   *
   * @param acr the provider that asks ACR, usually an {@code AcrTokenProvider}
   * @throws NullPointerException when {@code acr} is null
   */
  public PlainServiceExample(TokenProvider acr) {
    Objects.requireNonNull(acr, "acr");
    this.cache =
        CachingTokenProvider.builder(acr).refreshBeforeExpiry(Duration.ofMinutes(10)).build();
  }

  /**
   * The Docker config ({@code {"auths":{...}}}) with a current login for the registry's domains.
   * Repeated calls within a token's lifetime reuse the cached token.
   *
   * @param target the registry
   * @return the JSON bytes; they contain the password, so write them with care (mode 0600)
   * @throws io.acrcredential.core.TokenException when no token can be had
   */
  public byte[] dockerConfig(RegistryTarget target) {
    RegistryCredential credential = cache.fetch(target);
    return DockerConfig.encode(credential);
  }

  /** Stops the cache's background refresher. */
  @Override
  public void close() {
    cache.close();
  }
}
