package io.acrcredential.core;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A temporary registry login: the user name and password a registry client sends, when they stop
 * working, and the registry hosts they are valid for.
 *
 * <p>Immutable. {@link #toString()} never shows the password; equality includes it, so two
 * credentials are equal only when a registry client would send the same bytes.
 *
 * @param username registry user name (for ACR usually {@code cr_temp_user})
 * @param password the temporary password; never logged
 * @param expiresAt the instant the registry stops accepting the password
 * @param domains registry hosts the credential is valid for, in a stable order; never empty
 */
public record RegistryCredential(
    String username, String password, Instant expiresAt, List<String> domains) {

  /**
   * Validates the values.
   *
   * @throws IllegalArgumentException when a value is missing or empty (the message never contains
   *     the password)
   * @param username registry user name
   * @param password the temporary password
   * @param expiresAt when the password stops working
   * @param domains registry hosts the credential is valid for
   */
  public RegistryCredential {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(domains, "domains");
    if (username.isEmpty()) {
      throw new IllegalArgumentException("registry credential has an empty username");
    }
    if (password.isEmpty()) {
      throw new IllegalArgumentException("registry credential has an empty password");
    }
    domains = List.copyOf(domains);
    if (domains.isEmpty()) {
      throw new IllegalArgumentException("registry credential names no registry domain");
    }
  }

  /**
   * The same login valid for other domains.
   *
   * @param otherDomains the registry hosts
   * @return a new credential
   */
  public RegistryCredential withDomains(List<String> otherDomains) {
    return new RegistryCredential(username, password, expiresAt, otherDomains);
  }

  /** Describes the credential without its password. */
  @Override
  public String toString() {
    return "RegistryCredential[username="
        + username
        + ", password=<redacted>, expiresAt="
        + expiresAt
        + ", domains="
        + domains
        + "]";
  }
}
