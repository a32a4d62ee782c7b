package io.acrcredential.testing;

import java.time.Instant;
import java.util.Objects;

/**
 * A registry login that {@link FakeAcr} handed out. {@link #toString()} hides the password.
 *
 * @param username the temporary user name
 * @param password the temporary password (the authorization token)
 * @param expiresAt when it expires
 * @param instanceId the Enterprise Edition instance, or null for Personal Edition
 * @param principal who asked for it (AccessKey id, or the role ARN of STS credentials)
 */
public record IssuedToken(
    String username, String password, Instant expiresAt, String instanceId, String principal) {

  /**
   * Validates that the required components are present.
   *
   * @param username the temporary user name
   * @param password the temporary password (the authorization token)
   * @param expiresAt when it expires
   * @param instanceId the Enterprise Edition instance, or null for Personal Edition
   * @param principal who asked for it (AccessKey id, or the role ARN of STS credentials)
   */
  public IssuedToken {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(principal, "principal");
  }

  @Override
  public String toString() {
    return "IssuedToken[username="
        + username
        + ", password=***, expiresAt="
        + expiresAt
        + ", instanceId="
        + instanceId
        + ", principal="
        + principal
        + "]";
  }
}
