package io.acrcredential.core;

/**
 * The pluggable seam: anything that can produce a registry credential for a {@link RegistryTarget}.
 *
 * <p>The ACR implementation calls Alibaba Cloud's OpenAPI; a cache wraps any provider; another
 * cloud or a static secret implements this interface too. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface TokenProvider {

  /**
   * Gets a credential for the target. May block on the network.
   *
   * @param target what to get a credential for
   * @return a credential whose {@link RegistryCredential#domains()} are the target's explicit
   *     domains when it has some, or the resolved ones otherwise
   * @throws TokenException when no credential can be had; {@link TokenException#isRetryable()}
   *     tells whether trying again later may help
   */
  RegistryCredential fetch(RegistryTarget target) throws TokenException;
}
