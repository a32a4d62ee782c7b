package io.acrcredential.testing;

import java.time.Instant;
import java.util.Objects;

/**
 * Temporary (STS) credentials issued by {@link FakeIdentities}, {@link FakeSts} or {@link
 * FakeEcsMetadata}. {@link #toString()} hides the secret and the security token.
 *
 * @param accessKeyId the temporary AccessKey id (starts with {@code STS.})
 * @param accessKeySecret the temporary AccessKey secret
 * @param securityToken the security token that must accompany every call
 * @param expiration when the credentials stop being accepted
 * @param roleArn the RAM role the session belongs to
 */
public record SessionCredentials(
    String accessKeyId,
    String accessKeySecret,
    String securityToken,
    Instant expiration,
    String roleArn) {

  /**
   * Validates that no component is null.
   *
   * @param accessKeyId the temporary AccessKey id (starts with {@code STS.})
   * @param accessKeySecret the temporary AccessKey secret
   * @param securityToken the security token that must accompany every call
   * @param expiration when the credentials stop being accepted
   * @param roleArn the RAM role the session belongs to
   */
  public SessionCredentials {
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    Objects.requireNonNull(accessKeySecret, "accessKeySecret");
    Objects.requireNonNull(securityToken, "securityToken");
    Objects.requireNonNull(expiration, "expiration");
    Objects.requireNonNull(roleArn, "roleArn");
  }

  @Override
  public String toString() {
    return "SessionCredentials[accessKeyId="
        + accessKeyId
        + ", accessKeySecret=***, securityToken=***, expiration="
        + expiration
        + ", roleArn="
        + roleArn
        + "]";
  }
}
