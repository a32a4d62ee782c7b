package io.acrcredential.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.testing.FakeIdentities.Principal;
import io.acrcredential.testing.FakeIdentities.Role;
import io.acrcredential.testing.ServerCore.Reply;
import io.acrcredential.testing.ServerCore.Request;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A fake of Alibaba Cloud STS (RPC, version 2015-04-01) on a 127.0.0.1 port, plain HTTP. It serves
 * {@code AssumeRole} (signed; the caller must be a trusted principal of the role, see {@link
 * FakeIdentities#addRole(String, String...)}) and {@code AssumeRoleWithOIDC} (unsigned; the
 * provider and token must match {@link FakeIdentities#trustOidc(String, String, String)}). Issued
 * credentials are registered in the shared {@link FakeIdentities}, so {@link FakeAcr} accepts them
 * until they expire. All methods are thread-safe.
 */
public final class FakeSts extends ServerBackedFake {
  static final String VERSION = "2015-04-01";

  /** STS's {@code Expiration} format: ISO-8601 in UTC, whole seconds. */
  static final DateTimeFormatter EXPIRATION =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private static final Pattern SESSION_NAME = Pattern.compile("[\\w.@-]{2,64}");

  private final FakeIdentities identities;
  private final Clock clock;
  private final Authenticator authenticator;
  private final ServerCore core;

  private FakeSts(FakeIdentities identities, Clock clock) {
    this.identities = Objects.requireNonNull(identities, "identities");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.authenticator = new Authenticator(identities, clock);
    this.core = new ServerCore("fake-sts", clock, new Handler());
  }

  /**
   * Starts a fake using the system clock.
   *
   * @param identities the identities and roles it knows
   * @return the running fake; close it when done
   */
  public static FakeSts start(FakeIdentities identities) {
    return new FakeSts(identities, Clock.systemUTC());
  }

  /**
   * Starts a fake using the given clock for timestamp checks and credential expiry.
   *
   * @param identities the identities and roles it knows
   * @param clock the clock
   * @return the running fake; close it when done
   */
  public static FakeSts start(FakeIdentities identities, Clock clock) {
    return new FakeSts(identities, clock);
  }

  /**
   * Sets how far a request's signed time may be from the fake's clock (default 15 minutes).
   *
   * @param skew a positive duration
   * @return this fake
   */
  public FakeSts setMaxClockSkew(Duration skew) {
    authenticator.setMaxSkew(skew);
    return this;
  }

  @Override
  ServerCore core() {
    return core;
  }

  @Override
  public String toString() {
    return "FakeSts[" + endpoint() + "]";
  }

  private final class Handler implements ServerCore.Service {
    @Override
    public FakeApi route(Request request) {
      if (!"/".equals(request.path())) {
        return null;
      }
      String action = request.params().get("Action");
      if ("AssumeRole".equals(action)) {
        return FakeApi.ASSUME_ROLE;
      }
      if ("AssumeRoleWithOIDC".equals(action)) {
        return FakeApi.ASSUME_ROLE_WITH_OIDC;
      }
      return null;
    }

    @Override
    public Reply serve(FakeApi api, Request request) {
      try {
        if (!VERSION.equals(request.params().get("Version"))) {
          throw PopException.of(
              "InvalidVersion",
              "Specified parameter Version is not valid: this API needs " + VERSION + ".");
        }
        return api == FakeApi.ASSUME_ROLE ? assumeRole(request) : assumeRoleWithOidc(request);
      } catch (PopException e) {
        return error(api, request, e.status(), e.code(), e.getMessage());
      }
    }

    private Reply assumeRole(Request request) {
      Principal caller = authenticator.verifyRpc(request);
      String roleArn = required(request, "RoleArn");
      String sessionName = sessionName(request, true);
      Role role = role(roleArn);
      long duration = duration(request, role);
      if (identities.isDenied(caller, FakeApi.ASSUME_ROLE.ramAction())
          || !(role.trustedPrincipals().contains(caller.accessKeyId())
              || role.trustedPrincipals().contains(caller.name()))) {
        throw PopException.of(
            "NoPermission",
            "You are not authorized to do this action. You should be authorized by RAM: the"
                + " caller may not assume "
                + roleArn
                + ".");
      }
      return credentials(request, role, sessionName, duration);
    }

    private Reply assumeRoleWithOidc(Request request) {
      String roleArn = required(request, "RoleArn");
      String providerArn = required(request, "OIDCProviderArn");
      String token = required(request, "OIDCToken");
      String sessionName = sessionName(request, false);
      Role role = role(roleArn);
      long duration = duration(request, role);
      String expected = role.oidcTokensByProvider().get(providerArn);
      java.util.function.Predicate<String> check = identities.oidcCheck(roleArn, providerArn);
      if (expected == null && check == null) {
        throw PopException.of(
            "EntityNotExist.OIDCProvider",
            "The specified OIDC provider not exists or is not trusted by " + roleArn + ".");
      }
      boolean valid =
          (expected != null && Signatures.matches(expected, token))
              || (check != null && check.test(token));
      if (!valid) {
        throw PopException.of("AuthenticationFail.OIDCToken.Invalid");
      }
      Reply reply = credentials(request, role, sessionName, duration);
      ObjectNode info = reply.json().putObject("OIDCTokenInfo");
      info.put("Subject", "system:serviceaccount:fake:fake");
      info.put("Issuer", "https://oidc.fake.invalid");
      info.put("ClientIds", "sts.aliyuncs.com");
      return reply;
    }

    private Reply credentials(Request request, Role role, String sessionName, long seconds) {
      SessionCredentials issued =
          identities.issueSession(role.arn(), Duration.ofSeconds(seconds), clock);
      ObjectNode root = ServerCore.JSON.createObjectNode();
      root.put("RequestId", request.requestId());
      ObjectNode user = root.putObject("AssumedRoleUser");
      user.put("AssumedRoleId", Math.abs(role.arn().hashCode()) + ":" + sessionName);
      user.put("Arn", role.arn() + "/" + sessionName);
      ObjectNode creds = root.putObject("Credentials");
      creds.put("AccessKeyId", issued.accessKeyId());
      creds.put("AccessKeySecret", issued.accessKeySecret());
      creds.put("SecurityToken", issued.securityToken());
      creds.put("Expiration", EXPIRATION.format(issued.expiration()));
      return Reply.json(200, root);
    }

    private Role role(String roleArn) {
      Role role = identities.role(roleArn);
      if (role == null) {
        throw PopException.of(
            "EntityNotExist.Role", "The specified Role not exists: " + roleArn + ".");
      }
      return role;
    }

    private String sessionName(Request request, boolean mandatory) {
      String name = request.params().get("RoleSessionName");
      if (name == null || name.isEmpty()) {
        if (mandatory) {
          throw PopException.missing("RoleSessionName");
        }
        return "fake-session";
      }
      if (!SESSION_NAME.matcher(name).matches()) {
        throw PopException.of(
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrongly formed: use 2-64 letters, digits or .@-_");
      }
      return name;
    }

    private long duration(Request request, Role role) {
      String raw = request.params().get("DurationSeconds");
      if (raw == null || raw.isEmpty()) {
        return Math.min(3600, role.maxSessionSeconds());
      }
      long max = role.maxSessionSeconds();
      try {
        long value = Long.parseLong(raw);
        if (value >= FakeIdentities.MIN_SESSION_SECONDS && value <= max) {
          return value;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw PopException.of(
          "InvalidParameter.DurationSeconds",
          "The parameter DurationSeconds must be between "
              + FakeIdentities.MIN_SESSION_SECONDS
              + " and "
              + max
              + " for this role, got '"
              + raw
              + "'.");
    }

    private String required(Request request, String name) {
      String value = request.params().get(name);
      if (value == null || value.isEmpty()) {
        throw PopException.missing(name);
      }
      return value;
    }

    @Override
    public Reply error(FakeApi api, Request request, int status, String code, String message) {
      return Reply.json(status, ServerCore.popError(request, "sts.aliyuncs.com", code, message));
    }

    @Override
    public Reply notSuccess(FakeApi api, Request request, String code, String message) {
      ObjectNode node = ServerCore.JSON.createObjectNode();
      node.put("RequestId", request.requestId());
      node.put("Code", code);
      node.put("Message", message);
      return Reply.json(200, node);
    }
  }

  static String formatExpiration(Instant instant) {
    return EXPIRATION.format(instant);
  }
}
