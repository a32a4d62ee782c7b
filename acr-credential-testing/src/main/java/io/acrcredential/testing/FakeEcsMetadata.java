package io.acrcredential.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.testing.ServerCore.Reply;
import io.acrcredential.testing.ServerCore.Request;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fake of the ECS instance metadata service's RAM-role endpoints ({@code 100.100.100.200}) on a
 * 127.0.0.1 port, plain HTTP:
 *
 * <ul>
 *   <li>{@code PUT /latest/api/token} with header {@code X-aliyun-ecs-metadata-token-ttl-seconds}
 *       (1..21600) answers an IMDSv2 session token;
 *   <li>{@code GET /latest/meta-data/ram/security-credentials/} answers the attached role's name;
 *   <li>{@code GET /latest/meta-data/ram/security-credentials/<role>} answers {@code {"Code":
 *       "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration",
 *       "LastUpdated"}}.
 * </ul>
 *
 * <p>A GET carrying header {@code X-aliyun-ecs-metadata-token} must carry a valid, unexpired token
 * (401 otherwise); with {@link #requireImdsV2(boolean)} a GET without it gets 403. The credentials
 * are issued in the shared {@link FakeIdentities} (so {@link FakeAcr} accepts them), live 6 hours
 * by default and are replaced once less than 15 minutes remain. All methods are thread-safe.
 */
public final class FakeEcsMetadata extends ServerBackedFake {
  static final String TOKEN_PATH = "/latest/api/token";
  static final String CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/";
  static final String TTL_HEADER = "x-aliyun-ecs-metadata-token-ttl-seconds";
  static final String TOKEN_HEADER = "x-aliyun-ecs-metadata-token";
  private static final Duration REFRESH_BEFORE = Duration.ofMinutes(15);

  private final FakeIdentities identities;
  private final Clock clock;
  private final ServerCore core;
  private final Map<String, Instant> sessionTokens = new ConcurrentHashMap<>();
  private volatile boolean imdsV2Required;
  private volatile Duration credentialLifetime = Duration.ofHours(6);
  private String roleName;
  private String roleArn;
  private SessionCredentials current;
  private Instant lastUpdated;

  private FakeEcsMetadata(FakeIdentities identities, Clock clock) {
    this.identities = Objects.requireNonNull(identities, "identities");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.core = new ServerCore("fake-ecs-metadata", clock, new Handler());
  }

  /**
   * Starts a fake using the system clock, with no role attached.
   *
   * @param identities where the served credentials are registered
   * @return the running fake; close it when done
   */
  public static FakeEcsMetadata start(FakeIdentities identities) {
    return new FakeEcsMetadata(identities, Clock.systemUTC());
  }

  /**
   * Starts a fake using the given clock, with no role attached.
   *
   * @param identities where the served credentials are registered
   * @param clock the clock for token and credential expiry
   * @return the running fake; close it when done
   */
  public static FakeEcsMetadata start(FakeIdentities identities, Clock clock) {
    return new FakeEcsMetadata(identities, clock);
  }

  /**
   * Attaches a RAM role to the fake instance.
   *
   * @param roleName the name the metadata service lists, e.g. {@code KubernetesWorkerRole}
   * @param roleArn the role's ARN; its sessions act as this principal in {@link FakeIdentities}
   * @return this fake
   */
  public synchronized FakeEcsMetadata attachRole(String roleName, String roleArn) {
    if (roleName == null || roleName.isBlank() || roleName.contains("/")) {
      throw new IllegalArgumentException(
          "roleName must be a non-blank name without '/', got '" + roleName + "'");
    }
    if (roleArn == null || roleArn.isBlank()) {
      throw new IllegalArgumentException("roleArn must not be blank");
    }
    this.roleName = roleName;
    this.roleArn = roleArn;
    this.current = null;
    return this;
  }

  /**
   * Detaches the role: the credential paths answer 404.
   *
   * @return this fake
   */
  public synchronized FakeEcsMetadata detachRole() {
    this.roleName = null;
    this.roleArn = null;
    this.current = null;
    return this;
  }

  /**
   * Enforces IMDSv2 (GETs without a session token get 403) or allows IMDSv1 (the default).
   *
   * @param required whether a session token is required
   * @return this fake
   */
  public FakeEcsMetadata requireImdsV2(boolean required) {
    this.imdsV2Required = required;
    return this;
  }

  /**
   * Sets the lifetime of newly issued role credentials (default 6 hours).
   *
   * @param lifetime more than 15 minutes
   * @return this fake
   */
  public FakeEcsMetadata setCredentialLifetime(Duration lifetime) {
    if (lifetime == null || lifetime.compareTo(REFRESH_BEFORE) <= 0) {
      throw new IllegalArgumentException(
          "credential lifetime must be longer than 15 minutes, got " + lifetime);
    }
    this.credentialLifetime = lifetime;
    return this;
  }

  /**
   * Replaces the role credentials now (the next fetch gets new ones).
   *
   * @return this fake
   */
  public synchronized FakeEcsMetadata rotateCredentials() {
    this.current = null;
    return this;
  }

  /**
   * The credentials currently served, if a role is attached and they were fetched.
   *
   * @return the credentials, or empty
   */
  public synchronized Optional<SessionCredentials> currentCredentials() {
    return Optional.ofNullable(current);
  }

  private synchronized SessionCredentials credentialsFor(String name) {
    if (roleName == null || !roleName.equals(name)) {
      return null;
    }
    Instant now = clock.instant();
    if (current == null || !now.isBefore(current.expiration().minus(REFRESH_BEFORE))) {
      current = identities.issueSession(roleArn, credentialLifetime, clock);
      lastUpdated = now;
    }
    return current;
  }

  private synchronized String roleName() {
    return roleName;
  }

  @Override
  ServerCore core() {
    return core;
  }

  @Override
  public String toString() {
    return "FakeEcsMetadata[" + endpoint() + ", role=" + roleName() + "]";
  }

  private final class Handler implements ServerCore.Service {
    @Override
    public FakeApi route(Request request) {
      String path = request.path();
      if (TOKEN_PATH.equals(path)) {
        return "PUT".equals(request.method()) ? FakeApi.METADATA_TOKEN : null;
      }
      if (!"GET".equals(request.method()) || !path.startsWith(CREDENTIALS_PATH)) {
        return null;
      }
      return path.length() == CREDENTIALS_PATH.length()
          ? FakeApi.METADATA_ROLE_NAME
          : FakeApi.METADATA_CREDENTIALS;
    }

    @Override
    public Reply serve(FakeApi api, Request request) {
      if (api == FakeApi.METADATA_TOKEN) {
        return issueToken(request);
      }
      Reply denied = checkToken(request);
      if (denied != null) {
        return denied;
      }
      if (api == FakeApi.METADATA_ROLE_NAME) {
        String name = roleName();
        return name == null ? notFound() : Reply.text(200, "text/plain", name);
      }
      String name = request.path().substring(CREDENTIALS_PATH.length());
      SessionCredentials creds = credentialsFor(name);
      if (creds == null) {
        return notFound();
      }
      ObjectNode node = ServerCore.JSON.createObjectNode();
      node.put("AccessKeyId", creds.accessKeyId());
      node.put("AccessKeySecret", creds.accessKeySecret());
      node.put("Expiration", FakeSts.formatExpiration(creds.expiration()));
      node.put("SecurityToken", creds.securityToken());
      Instant updated;
      synchronized (FakeEcsMetadata.this) {
        updated = lastUpdated;
      }
      node.put("LastUpdated", FakeSts.formatExpiration(updated));
      node.put("Code", "Success");
      return Reply.json(200, node);
    }

    private Reply issueToken(Request request) {
      String raw = request.header(TTL_HEADER);
      long ttl;
      try {
        ttl = raw == null ? -1 : Long.parseLong(raw.trim());
      } catch (NumberFormatException e) {
        ttl = -1;
      }
      if (ttl < 1 || ttl > 21_600) {
        return Reply.text(
            400,
            "text/plain",
            "Header X-aliyun-ecs-metadata-token-ttl-seconds must be 1..21600 seconds");
      }
      String token = "imds-" + FakeIdentities.randomToken(32);
      Instant now = clock.instant();
      sessionTokens.values().removeIf(expiry -> !now.isBefore(expiry));
      sessionTokens.put(token, now.plusSeconds(ttl));
      return Reply.text(200, "text/plain", token);
    }

    private Reply checkToken(Request request) {
      String token = request.header(TOKEN_HEADER);
      if (token == null) {
        return imdsV2Required ? Reply.text(403, "text/plain", "403 Forbidden") : null;
      }
      Instant expiry = sessionTokens.get(token);
      if (expiry == null || !clock.instant().isBefore(expiry)) {
        return Reply.text(401, "text/plain", "401 Unauthorized");
      }
      return null;
    }

    private Reply notFound() {
      return Reply.text(
          404,
          "text/html",
          "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><html><head><title>404 - Not Found"
              + "</title></head><body><h1>404 - Not Found</h1></body></html>");
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
