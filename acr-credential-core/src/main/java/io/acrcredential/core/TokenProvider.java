package io.acrcredential.core;

import java.util.Objects;

/**
 * The pluggable seam: anything that can produce a registry credential for a {@link RegistryTarget}.
 *
 * <p>The ACR implementation calls Alibaba Cloud's OpenAPI; a cache wraps any provider; another
 * cloud or a static secret implements this interface too. Implementations must be thread-safe.
 *
 * <p>Change notification is the one optional capability: a provider that knows when the credentials
 * it hands out change (a {@link CachingTokenProvider}, a router over several caches) overrides
 * {@link #addListener} and {@link #removeListener}, so that a consumer such as a pull-Secret sync
 * rewrites at once instead of waiting for the approach of the expiry. The defaults hear nothing.
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

  /**
   * Subscribes a listener to the changes of the credentials this provider hands out. The default
   * never calls it: this provider cannot tell, and consumers refetch on their own schedule.
   *
   * @param listener the listener
   * @throws NullPointerException when {@code listener} is null
   */
  default void addListener(CacheListener listener) {
    Objects.requireNonNull(listener, "listener");
  }

  /**
   * Removes one registration of a listener given to {@link #addListener}.
   *
   * @param listener the listener to remove
   * @return whether it was registered (the default: never)
   */
  default boolean removeListener(CacheListener listener) {
    return false;
  }
}
