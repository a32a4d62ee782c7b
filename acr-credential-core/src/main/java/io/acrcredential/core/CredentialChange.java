package io.acrcredential.core;

import java.util.Objects;
import java.util.Optional;

/**
 * A cached credential was replaced by a different one, reported to {@link
 * CacheListener#credentialChanged(CredentialChange)}.
 *
 * <p>Only reported when the new credential is not {@linkplain RegistryCredential#equals equal} to
 * the one held before, so a provider that hands out the same credential again causes no event.
 * {@link #toString()} never shows a password.
 *
 * @param target the key whose credential changed
 * @param previous the credential held before, empty for the first credential of the key
 * @param current the credential the cache now serves
 */
public record CredentialChange(
    RegistryTarget target, Optional<RegistryCredential> previous, RegistryCredential current) {

  /**
   * Validates the values.
   *
   * @throws NullPointerException naming the missing value
   */
  public CredentialChange {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(current, "current");
  }
}
