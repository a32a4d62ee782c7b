package io.acrcredential.testing;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The identities the fakes accept, shared by {@link FakeAcr}, {@link FakeSts} and {@link
 * FakeEcsMetadata}: long-term AccessKeys, issued STS sessions, RAM roles (who may assume them,
 * through which OIDC provider and token), denied RAM actions and Personal Edition users without a
 * registry account. Thread-safe; may be changed while the fakes run.
 *
 * <p>A <em>principal</em> is an AccessKey id (for long-term keys) or a role ARN (for every session
 * of that role).
 */
public final class FakeIdentities {
  /** Longest session STS grants, in seconds. */
  static final long MAX_SESSION_SECONDS = 43_200;

  /** Shortest session STS grants, in seconds. */
  static final long MIN_SESSION_SECONDS = 900;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, String> accessKeys = new ConcurrentHashMap<>();
  private final Map<String, SessionCredentials> sessions = new ConcurrentHashMap<>();
  private final Map<String, Role> roles = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> denied = new ConcurrentHashMap<>();
  private final Set<String> withoutRegistryAccount = ConcurrentHashMap.newKeySet();
  private final Map<String, Map<String, java.util.function.Predicate<String>>> oidcChecks =
      new ConcurrentHashMap<>();

  /** Who may assume a role and how long its sessions may last. */
  record Role(
      String arn,
      Set<String> trustedPrincipals,
      Map<String, String> oidcTokensByProvider,
      long maxSessionSeconds) {}

  /** A caller as resolved from its AccessKey id. */
  record Principal(
      String accessKeyId, String secret, String securityToken, Instant expiration, String name) {
    boolean isSession() {
      return securityToken != null;
    }

    @Override
    public String toString() {
      return "Principal[" + accessKeyId + ", " + name + "]";
    }
  }

  /** Creates an empty store. */
  public FakeIdentities() {}

  /**
   * Registers a long-term AccessKey (a RAM user's or the account's).
   *
   * @param accessKeyId the AccessKey id
   * @param accessKeySecret the AccessKey secret
   * @return this store
   */
  public FakeIdentities addAccessKey(String accessKeyId, String accessKeySecret) {
    requireText(accessKeyId, "accessKeyId");
    requireText(accessKeySecret, "accessKeySecret");
    accessKeys.put(accessKeyId, accessKeySecret);
    return this;
  }

  /**
   * Removes a long-term AccessKey or an STS session; later calls with it get {@code
   * InvalidAccessKeyId.NotFound}.
   *
   * @param accessKeyId the AccessKey id
   * @return this store
   */
  public FakeIdentities removeAccessKey(String accessKeyId) {
    accessKeys.remove(accessKeyId);
    sessions.remove(accessKeyId);
    return this;
  }

  /**
   * Registers a RAM role that the given principals may assume with {@code AssumeRole}. The role's
   * maximum session duration is 43200 s (12 h) unless changed with {@link
   * #setMaxSessionDuration(String, Duration)}.
   *
   * @param roleArn the role ARN, e.g. {@code acs:ram::123456:role/puller}
   * @param trustedPrincipals AccessKey ids or role ARNs allowed to assume it
   * @return this store
   */
  public FakeIdentities addRole(String roleArn, String... trustedPrincipals) {
    requireText(roleArn, "roleArn");
    Set<String> trusted = ConcurrentHashMap.newKeySet();
    trusted.addAll(List.of(trustedPrincipals));
    roles.merge(
        roleArn,
        new Role(roleArn, trusted, new ConcurrentHashMap<>(), MAX_SESSION_SECONDS),
        (old, fresh) -> {
          old.trustedPrincipals().addAll(trusted);
          return old;
        });
    return this;
  }

  /**
   * Lets {@code AssumeRoleWithOIDC} assume the role with the given OIDC provider and token
   * (registering the role if needed).
   *
   * @param roleArn the role ARN
   * @param oidcProviderArn the OIDC provider ARN, e.g. {@code
   *     acs:ram::123456:oidc-provider/ack-rrsa}
   * @param oidcToken the exact OIDC token the fake accepts
   * @return this store
   */
  public FakeIdentities trustOidc(String roleArn, String oidcProviderArn, String oidcToken) {
    requireText(oidcProviderArn, "oidcProviderArn");
    requireText(oidcToken, "oidcToken");
    addRole(roleArn);
    roles.get(roleArn).oidcTokensByProvider().put(oidcProviderArn, oidcToken);
    return this;
  }

  /**
   * Lets {@code AssumeRoleWithOIDC} assume the role with the given OIDC provider and any token that
   * {@code accepts} approves (registering the role if needed): for tokens a test cannot know in
   * advance, such as the ServiceAccount token a kubelet requests for a Pod, checked by the test for
   * its signature, subject and audience.
   *
   * @param roleArn the role ARN
   * @param oidcProviderArn the OIDC provider ARN
   * @param accepts decides whether an OIDC token is valid for this role; it must not throw
   * @return this store
   */
  public FakeIdentities trustOidcTokens(
      String roleArn, String oidcProviderArn, java.util.function.Predicate<String> accepts) {
    requireText(oidcProviderArn, "oidcProviderArn");
    Objects.requireNonNull(accepts, "accepts");
    addRole(roleArn);
    oidcChecks
        .computeIfAbsent(roleArn, k -> new ConcurrentHashMap<>())
        .put(oidcProviderArn, accepts);
    return this;
  }

  /** The check {@link #trustOidcTokens} registered for this role and provider, or null. */
  java.util.function.Predicate<String> oidcCheck(String roleArn, String oidcProviderArn) {
    Map<String, java.util.function.Predicate<String>> byProvider = oidcChecks.get(roleArn);
    return byProvider == null ? null : byProvider.get(oidcProviderArn);
  }

  /**
   * Sets how long sessions of a registered role may last ({@code AssumeRole} with a longer {@code
   * DurationSeconds} fails with {@code InvalidParameter.DurationSeconds}).
   *
   * @param roleArn a registered role ARN
   * @param max between 900 s and 12 h
   * @return this store
   */
  public FakeIdentities setMaxSessionDuration(String roleArn, Duration max) {
    Role role = roles.get(roleArn);
    if (role == null) {
      throw new IllegalArgumentException("Unknown role '" + roleArn + "': addRole it first");
    }
    long seconds = max.getSeconds();
    if (seconds < MIN_SESSION_SECONDS || seconds > MAX_SESSION_SECONDS) {
      throw new IllegalArgumentException(
          "max session duration must be 900..43200 seconds, got " + seconds);
    }
    roles.put(
        roleArn,
        new Role(role.arn(), role.trustedPrincipals(), role.oidcTokensByProvider(), seconds));
    return this;
  }

  /**
   * Denies a RAM action to a principal: calls guarded by it fail with {@code Forbidden.RAM} (ACR)
   * or {@code NoPermission} (STS).
   *
   * @param principal an AccessKey id or a role ARN
   * @param ramAction e.g. {@code cr:GetAuthorizationToken}; see {@link FakeApi#ramAction()}
   * @return this store
   */
  public FakeIdentities deny(String principal, String ramAction) {
    requireText(principal, "principal");
    requireText(ramAction, "ramAction");
    denied.computeIfAbsent(principal, k -> ConcurrentHashMap.newKeySet()).add(ramAction);
    return this;
  }

  /**
   * Grants back a RAM action taken away with {@link #deny(String, String)}.
   *
   * @param principal an AccessKey id or a role ARN
   * @param ramAction the RAM action
   * @return this store
   */
  public FakeIdentities allow(String principal, String ramAction) {
    Set<String> actions = denied.get(principal);
    if (actions != null) {
      actions.remove(ramAction);
    }
    return this;
  }

  /**
   * Marks a principal as a user who never set a registry login password: Personal Edition {@code
   * GetAuthorizationToken} then fails with HTTP 404 {@code USER_NOT_EXIST}.
   *
   * @param principal an AccessKey id or a role ARN
   * @return this store
   */
  public FakeIdentities withoutRegistryAccount(String principal) {
    requireText(principal, "principal");
    withoutRegistryAccount.add(principal);
    return this;
  }

  /**
   * Issues STS credentials for a role directly (without a call to {@link FakeSts}), valid from the
   * clock's current time for the given lifetime. The role need not be registered.
   *
   * @param roleArn the role the session belongs to
   * @param lifetime how long the credentials stay valid
   * @param clock the clock that defines "now"
   * @return the new credentials
   */
  public SessionCredentials issueSession(String roleArn, Duration lifetime, Clock clock) {
    requireText(roleArn, "roleArn");
    Objects.requireNonNull(lifetime, "lifetime");
    Objects.requireNonNull(clock, "clock");
    Instant expiration = Instant.ofEpochSecond(clock.instant().plus(lifetime).getEpochSecond());
    SessionCredentials credentials =
        new SessionCredentials(
            "STS." + randomToken(18).replace('-', 'x').replace('_', 'y'),
            randomToken(30),
            "CAIS" + randomToken(120),
            expiration,
            roleArn);
    sessions.put(credentials.accessKeyId(), credentials);
    return credentials;
  }

  Principal lookup(String accessKeyId) {
    if (accessKeyId == null) {
      return null;
    }
    String secret = accessKeys.get(accessKeyId);
    if (secret != null) {
      return new Principal(accessKeyId, secret, null, null, accessKeyId);
    }
    SessionCredentials session = sessions.get(accessKeyId);
    if (session != null) {
      return new Principal(
          accessKeyId,
          session.accessKeySecret(),
          session.securityToken(),
          session.expiration(),
          session.roleArn());
    }
    return null;
  }

  boolean isDenied(Principal principal, String ramAction) {
    Set<String> names = new HashSet<>();
    names.add(principal.accessKeyId());
    names.add(principal.name());
    for (String name : names) {
      Set<String> actions = denied.get(name);
      if (actions != null && actions.contains(ramAction)) {
        return true;
      }
    }
    return false;
  }

  boolean hasRegistryAccount(Principal principal) {
    return !withoutRegistryAccount.contains(principal.accessKeyId())
        && !withoutRegistryAccount.contains(principal.name());
  }

  Role role(String roleArn) {
    return roleArn == null ? null : roles.get(roleArn);
  }

  static String randomToken(int bytes) {
    byte[] raw = new byte[bytes];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be null or blank");
    }
  }

  @Override
  public String toString() {
    return "FakeIdentities[accessKeys="
        + accessKeys.keySet()
        + ", sessions="
        + sessions.size()
        + ", roles="
        + roles.keySet()
        + "]";
  }
}
