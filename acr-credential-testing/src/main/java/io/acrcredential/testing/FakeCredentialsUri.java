package io.acrcredential.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.testing.ServerCore.Reply;
import io.acrcredential.testing.ServerCore.Request;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A fake credentials URI (what {@code ALIBABA_CLOUD_CREDENTIALS_URI} points to: a sidecar or
 * credential broker) on a 127.0.0.1 port, plain HTTP. {@code GET} on {@link #path()} answers {@code
 * {"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}}, the shape
 * Alibaba's SDKs read; any other path or method gets 404.
 *
 * <p>The credentials are sessions of a role issued in the shared {@link FakeIdentities} (so {@link
 * FakeAcr} accepts them). They live one hour by default and are replaced once less than 15 minutes
 * remain. All methods are thread-safe.
 */
public final class FakeCredentialsUri extends ServerBackedFake {
  /** The path served. */
  static final String PATH = "/v1/credentials";

  private static final Duration REFRESH_BEFORE = Duration.ofMinutes(15);

  private final FakeIdentities identities;
  private final Clock clock;
  private final ServerCore core;
  private volatile Duration credentialLifetime = Duration.ofHours(1);
  private String roleArn;
  private SessionCredentials current;

  private FakeCredentialsUri(FakeIdentities identities, Clock clock) {
    this.identities = Objects.requireNonNull(identities, "identities");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.core = new ServerCore("fake-credentials-uri", clock, new Handler());
  }

  /**
   * Starts a fake using the given clock, serving no credentials until {@link #serveRole(String)}.
   *
   * @param identities where the served credentials are registered
   * @param clock the clock for credential expiry
   * @return the running fake; close it when done
   */
  public static FakeCredentialsUri start(FakeIdentities identities, Clock clock) {
    return new FakeCredentialsUri(identities, clock);
  }

  /**
   * Serves sessions of this role.
   *
   * @param roleArn the role's ARN; its sessions act as this principal in {@link FakeIdentities}
   * @return this fake
   */
  public synchronized FakeCredentialsUri serveRole(String roleArn) {
    if (roleArn == null || roleArn.isBlank()) {
      throw new IllegalArgumentException("roleArn must not be blank");
    }
    this.roleArn = roleArn;
    this.current = null;
    return this;
  }

  /**
   * Sets the lifetime of newly issued credentials (default 1 hour).
   *
   * @param lifetime more than 15 minutes
   * @return this fake
   */
  public FakeCredentialsUri setCredentialLifetime(Duration lifetime) {
    if (lifetime == null || lifetime.compareTo(REFRESH_BEFORE) <= 0) {
      throw new IllegalArgumentException(
          "credential lifetime must be longer than 15 minutes, got " + lifetime);
    }
    this.credentialLifetime = lifetime;
    return this;
  }

  /**
   * The URL to configure, e.g. {@code http://127.0.0.1:41234/v1/credentials}.
   *
   * @return the URL
   */
  public String url() {
    return "http://" + endpoint() + PATH;
  }

  /**
   * The path served.
   *
   * @return {@code /v1/credentials}
   */
  public String path() {
    return PATH;
  }

  /**
   * The credentials currently served, if any were fetched.
   *
   * @return the credentials, or empty
   */
  public synchronized Optional<SessionCredentials> currentCredentials() {
    return Optional.ofNullable(current);
  }

  private synchronized SessionCredentials credentials() {
    if (roleArn == null) {
      return null;
    }
    Instant now = clock.instant();
    if (current == null || !now.isBefore(current.expiration().minus(REFRESH_BEFORE))) {
      current = identities.issueSession(roleArn, credentialLifetime, clock);
    }
    return current;
  }

  @Override
  ServerCore core() {
    return core;
  }

  @Override
  public String toString() {
    synchronized (this) {
      return "FakeCredentialsUri[" + url() + ", role=" + roleArn + "]";
    }
  }

  private final class Handler implements ServerCore.Service {
    @Override
    public FakeApi route(Request request) {
      return "GET".equals(request.method()) && PATH.equals(request.path())
          ? FakeApi.CREDENTIALS_URI
          : null;
    }

    @Override
    public Reply serve(FakeApi api, Request request) {
      SessionCredentials creds = credentials();
      if (creds == null) {
        return error(api, request, 500, "NoCredentials", "no role is configured");
      }
      ObjectNode node = ServerCore.JSON.createObjectNode();
      node.put("Code", "Success");
      node.put("AccessKeyId", creds.accessKeyId());
      node.put("AccessKeySecret", creds.accessKeySecret());
      node.put("SecurityToken", creds.securityToken());
      node.put("Expiration", FakeSts.formatExpiration(creds.expiration()));
      return Reply.json(200, node);
    }

    @Override
    public Reply error(FakeApi api, Request request, int status, String code, String message) {
      ObjectNode node = ServerCore.JSON.createObjectNode();
      node.put("Code", code);
      node.put("Message", message);
      return Reply.json(status, node);
    }

    @Override
    public Reply notSuccess(FakeApi api, Request request, String code, String message) {
      return error(api, request, 200, code, message);
    }
  }
}
