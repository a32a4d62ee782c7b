package io.acrcredential.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.testing.FakeIdentities.Principal;
import io.acrcredential.testing.ServerCore.Reply;
import io.acrcredential.testing.ServerCore.Request;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake of Container Registry's OpenAPI ({@code cr.<region>.aliyuncs.com}) on a 127.0.0.1 port,
 * plain HTTP. It serves Personal Edition {@code GetAuthorizationToken} (2016-06-07, ROA {@code GET
 * /tokens}) and Enterprise Edition {@code GetAuthorizationToken}, {@code ListInstance} and {@code
 * ListInstanceEndpoint} (2018-12-01, RPC), verifying signatures, timestamps, nonces and STS tokens
 * against a {@link FakeIdentities} store, and answering with the real response and error shapes.
 *
 * <pre>{@code
 * FakeIdentities ids = new FakeIdentities().addAccessKey("LTAIexample", "secret");
 * try (FakeAcr acr = FakeAcr.start(ids)) {
 *   acr.addInstance(AcrInstance.of("cri-abc", "myco", "cn-hangzhou"));
 *   request.setSysEndpoint(acr.endpoint()); // then call with the Alibaba SDK
 * }
 * }</pre>
 *
 * <p>Tokens live one hour by default, or until the caller's STS credentials expire if that is
 * sooner. All methods are thread-safe.
 */
public final class FakeAcr extends ServerBackedFake {
  /** The temporary user name the real service puts in tokens. */
  public static final String DEFAULT_TEMP_USERNAME = "cr_temp_user";

  static final String RPC_VERSION = "2018-12-01";
  static final String ROA_VERSION = "2016-06-07";
  private static final DateTimeFormatter CREATE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private final FakeIdentities identities;
  private final Clock clock;
  private final Authenticator authenticator;
  private final ServerCore core;
  private final Map<String, AcrInstance> instances = new LinkedHashMap<>();
  private final Map<String, Instant> createdAt = new LinkedHashMap<>();
  private final List<IssuedToken> issued = new CopyOnWriteArrayList<>();
  private final java.util.Set<String> revoked = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile Duration tokenLifetime = Duration.ofHours(1);
  private volatile String fixedUsername;
  private volatile String fixedPassword;

  private FakeAcr(FakeIdentities identities, Clock clock) {
    this.identities = Objects.requireNonNull(identities, "identities");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.authenticator = new Authenticator(identities, clock);
    this.core = new ServerCore("fake-acr", clock, new Handler());
  }

  /**
   * Starts a fake using the system clock.
   *
   * @param identities the identities it accepts
   * @return the running fake; close it when done
   */
  public static FakeAcr start(FakeIdentities identities) {
    return new FakeAcr(identities, Clock.systemUTC());
  }

  /**
   * Starts a fake using the given clock for timestamps checks, token expiry and STS expiry.
   *
   * @param identities the identities it accepts
   * @param clock the clock, e.g. a {@link FakeClock}
   * @return the running fake; close it when done
   */
  public static FakeAcr start(FakeIdentities identities, Clock clock) {
    return new FakeAcr(identities, clock);
  }

  /**
   * Registers (or replaces) an Enterprise Edition instance.
   *
   * @param instance the instance
   * @return this fake
   */
  public FakeAcr addInstance(AcrInstance instance) {
    Objects.requireNonNull(instance, "instance");
    synchronized (instances) {
      instances.put(instance.instanceId(), instance);
      createdAt.putIfAbsent(instance.instanceId(), clock.instant());
    }
    return this;
  }

  /**
   * Removes an instance; later calls naming it get {@code INSTANCE_NOT_EXIST}.
   *
   * @param instanceId the instance id
   * @return this fake
   */
  public FakeAcr removeInstance(String instanceId) {
    synchronized (instances) {
      instances.remove(instanceId);
      createdAt.remove(instanceId);
    }
    return this;
  }

  /**
   * The registered instances, in registration order.
   *
   * @return an immutable list
   */
  public List<AcrInstance> instances() {
    synchronized (instances) {
      return List.copyOf(instances.values());
    }
  }

  /**
   * Makes every token carry this fixed user name and password (so that a real registry in an
   * end-to-end test can be configured to accept them).
   *
   * @param username the user name
   * @param password the password
   * @return this fake
   */
  public FakeAcr useFixedToken(String username, String password) {
    if (username == null || username.isEmpty() || password == null || password.isEmpty()) {
      throw new IllegalArgumentException("fixed token username and password must be non-empty");
    }
    synchronized (this) {
      this.fixedUsername = username;
      this.fixedPassword = password;
    }
    return this;
  }

  /**
   * Goes back to the default: user name {@value #DEFAULT_TEMP_USERNAME} and a new random password
   * per call.
   *
   * @return this fake
   */
  public FakeAcr useGeneratedTokens() {
    synchronized (this) {
      this.fixedUsername = null;
      this.fixedPassword = null;
    }
    return this;
  }

  /**
   * Sets how long new tokens live (default 1 hour); STS callers still get at most their
   * credentials' remaining lifetime.
   *
   * @param lifetime a positive duration
   * @return this fake
   */
  public FakeAcr setTokenLifetime(Duration lifetime) {
    if (lifetime == null || lifetime.isNegative() || lifetime.isZero()) {
      throw new IllegalArgumentException("token lifetime must be positive, got " + lifetime);
    }
    this.tokenLifetime = lifetime;
    return this;
  }

  /**
   * Sets how far a request's signed time may be from the fake's clock before it is rejected with
   * {@code InvalidTimeStamp.Expired} (default 15 minutes).
   *
   * @param skew a positive duration
   * @return this fake
   */
  public FakeAcr setMaxClockSkew(Duration skew) {
    authenticator.setMaxSkew(skew);
    return this;
  }

  /**
   * Every token handed out so far, oldest first.
   *
   * @return an immutable list
   */
  public List<IssuedToken> issuedTokens() {
    return List.copyOf(issued);
  }

  /**
   * Whether a registry login with these credentials would be accepted now: they match a token this
   * fake issued that has not expired by its clock. Useful for a fake registry.
   *
   * @param username the user name
   * @param password the password
   * @return true if valid
   */
  public boolean acceptsLogin(String username, String password) {
    return validLogin(username, password).isPresent();
  }

  /**
   * The token a registry login matches if it is valid now: issued by this fake to these exact
   * credentials, not expired by the fake's clock and not {@linkplain #revokeIssuedTokens()
   * revoked}. A registry checks {@link IssuedToken#instanceId()} against its own instance (null for
   * Personal Edition), as ACR's token services are per registry.
   *
   * @param username the user name
   * @param password the password
   * @return the matching token, or empty when the login must be refused
   */
  public java.util.Optional<IssuedToken> validLogin(String username, String password) {
    if (username == null || password == null) {
      return java.util.Optional.empty();
    }
    Instant now = clock.instant();
    for (IssuedToken t : issued) {
      if (t.username().equals(username)
          && Signatures.matches(t.password(), password)
          && now.isBefore(t.expiresAt())
          && !revoked.contains(t.password())) {
        return java.util.Optional.of(t);
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * Issues a registry login directly, as if {@code principal} had called GetAuthorizationToken
   * (Personal Edition when {@code instanceId} is null, else GetInstanceAuthorizationToken), for
   * test setup such as pushing an image. It obeys {@link #setTokenLifetime} and {@link
   * #useFixedToken} and counts as issued; it is not recorded as an API call.
   *
   * @param principal who the login is for (shown in {@link IssuedToken#principal()})
   * @param instanceId an Enterprise Edition instance, or null
   * @return the issued login
   */
  public IssuedToken issueLogin(String principal, String instanceId) {
    Instant now = clock.instant();
    Instant expiry = now.plus(tokenLifetime);
    String username;
    String password;
    synchronized (this) {
      username = fixedUsername;
      password = fixedPassword;
    }
    if (username == null) {
      username = DEFAULT_TEMP_USERNAME;
      password = "fake-" + FakeIdentities.randomToken(48);
    }
    IssuedToken token =
        new IssuedToken(
            username,
            password,
            Instant.ofEpochMilli(expiry.toEpochMilli()),
            instanceId,
            Objects.requireNonNull(principal, "principal"));
    issued.add(token);
    return token;
  }

  /**
   * Revokes every token issued so far (as resetting an instance's credentials does): {@link
   * #validLogin} refuses them from now on (by password: a fixed token issued again stays revoked).
   *
   * @return this fake
   */
  public FakeAcr revokeIssuedTokens() {
    for (IssuedToken t : issued) {
      revoked.add(t.password());
    }
    return this;
  }

  @Override
  ServerCore core() {
    return core;
  }

  @Override
  public String toString() {
    return "FakeAcr[" + endpoint() + ", instances=" + instances().size() + "]";
  }

  private IssuedToken issue(Principal principal, String instanceId) {
    Instant now = clock.instant();
    Instant expiry = now.plus(tokenLifetime);
    if (principal.isSession() && principal.expiration().isBefore(expiry)) {
      expiry = principal.expiration();
    }
    String username;
    String password;
    synchronized (this) {
      username = fixedUsername;
      password = fixedPassword;
    }
    if (username == null) {
      username = DEFAULT_TEMP_USERNAME;
      password = "fake-" + FakeIdentities.randomToken(48);
    }
    IssuedToken token =
        new IssuedToken(
            username,
            password,
            Instant.ofEpochMilli(expiry.toEpochMilli()),
            instanceId,
            principal.name());
    issued.add(token);
    return token;
  }

  private AcrInstance instance(Request request) {
    String id = request.params().get("InstanceId");
    if (id == null || id.isBlank()) {
      throw PopException.missing("InstanceId");
    }
    AcrInstance instance;
    synchronized (instances) {
      instance = instances.get(id);
    }
    String region = request.params().get("RegionId");
    if (instance == null || (region != null && !region.equals(instance.regionId()))) {
      throw PopException.of(
          "INSTANCE_NOT_EXIST",
          "instance is not exist: no instance '" + id + "' in region " + region + ".");
    }
    return instance;
  }

  private static String hostId(Request request) {
    String region = request.params().get("RegionId");
    return region == null ? "cr.aliyuncs.com" : "cr." + region + ".aliyuncs.com";
  }

  private static ObjectNode rpcSuccess(Request request) {
    ObjectNode node = ServerCore.JSON.createObjectNode();
    node.put("RequestId", request.requestId());
    node.put("IsSuccess", true);
    node.put("Code", "success");
    return node;
  }

  private final class Handler implements ServerCore.Service {
    @Override
    public FakeApi route(Request request) {
      if ("/tokens".equals(request.path())) {
        return "GET".equals(request.method()) ? FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN : null;
      }
      if (!"/".equals(request.path())) {
        return null;
      }
      String action = request.params().get("Action");
      if (action == null) {
        return null;
      }
      return switch (action) {
        case "GetAuthorizationToken" -> FakeApi.GET_AUTHORIZATION_TOKEN;
        case "ListInstance" -> FakeApi.LIST_INSTANCE;
        case "ListInstanceEndpoint" -> FakeApi.LIST_INSTANCE_ENDPOINT;
        default -> null;
      };
    }

    @Override
    public Reply serve(FakeApi api, Request request) {
      try {
        if (api == FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN) {
          return personalToken(request);
        }
        if (!RPC_VERSION.equals(request.params().get("Version"))) {
          throw PopException.of(
              "InvalidVersion",
              "Specified parameter Version is not valid: this API needs " + RPC_VERSION + ".");
        }
        Principal principal = authenticator.verifyRpc(request);
        if (identities.isDenied(principal, api.ramAction())) {
          throw forbidden(api);
        }
        return switch (api) {
          case GET_AUTHORIZATION_TOKEN -> enterpriseToken(request, principal);
          case LIST_INSTANCE -> listInstance(request);
          case LIST_INSTANCE_ENDPOINT -> listInstanceEndpoint(request);
          default -> throw new IllegalStateException("not an ACR operation: " + api);
        };
      } catch (PopException e) {
        return error(api, request, e.status(), e.code(), e.getMessage());
      }
    }

    private PopException forbidden(FakeApi api) {
      return PopException.of(
          "Forbidden.RAM",
          "User not authorized to operate on the specified resource, or this API doesn't support"
              + " RAM: the caller lacks "
              + api.ramAction()
              + ".");
    }

    private Reply personalToken(Request request) {
      String version = request.header("x-acs-version");
      if (version != null && !ROA_VERSION.equals(version)) {
        throw PopException.of(
            "InvalidVersion",
            "Specified parameter Version is not valid: this API needs " + ROA_VERSION + ".");
      }
      Principal principal = authenticator.verifyRoa(request);
      if (identities.isDenied(principal, FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN.ramAction())) {
        throw forbidden(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN);
      }
      if (!identities.hasRegistryAccount(principal)) {
        throw PopException.of("USER_NOT_EXIST");
      }
      IssuedToken token = issue(principal, null);
      ObjectNode root = ServerCore.JSON.createObjectNode();
      ObjectNode data = root.putObject("data");
      data.put("authorizationToken", token.password());
      data.put("tempUserName", token.username());
      data.put("expireDate", token.expiresAt().toEpochMilli());
      root.put("requestId", request.requestId());
      return Reply.json(200, root);
    }

    private Reply enterpriseToken(Request request, Principal principal) {
      AcrInstance instance = instance(request);
      IssuedToken token = issue(principal, instance.instanceId());
      ObjectNode node = rpcSuccess(request);
      node.put("TempUsername", token.username());
      node.put("AuthorizationToken", token.password());
      node.put("ExpireTime", token.expiresAt().toEpochMilli());
      return Reply.json(200, node);
    }

    private Reply listInstance(Request request) {
      int pageNo = intParam(request, "PageNo", 1, 1, Integer.MAX_VALUE);
      int pageSize = intParam(request, "PageSize", 20, 1, 100);
      String name = request.params().get("InstanceName");
      String status = request.params().get("InstanceStatus");
      String region = request.params().get("RegionId");
      List<AcrInstance> matching = new ArrayList<>();
      Map<String, Instant> created;
      synchronized (instances) {
        for (AcrInstance i : instances.values()) {
          if ((name == null || name.equals(i.instanceName()))
              && (status == null || status.equals(i.status()))
              && (region == null || region.equals(i.regionId()))) {
            matching.add(i);
          }
        }
        created = new LinkedHashMap<>(createdAt);
      }
      ObjectNode node = rpcSuccess(request);
      node.put("PageNo", pageNo);
      node.put("PageSize", pageSize);
      node.put("TotalCount", matching.size());
      ArrayNode array = node.putArray("Instances");
      long from = (long) (pageNo - 1) * pageSize;
      for (long k = from; k < Math.min(matching.size(), from + pageSize); k++) {
        AcrInstance i = matching.get((int) k);
        String time = CREATE_TIME.format(created.getOrDefault(i.instanceId(), Instant.EPOCH));
        ObjectNode item = array.addObject();
        item.put("InstanceId", i.instanceId());
        item.put("InstanceName", i.instanceName());
        item.put("RegionId", i.regionId());
        item.put("InstanceStatus", i.status());
        item.put("InstanceSpecification", "Enterprise_Basic");
        item.put("CreateTime", time);
        item.put("ModifiedTime", time);
      }
      return Reply.json(200, node);
    }

    private Reply listInstanceEndpoint(Request request) {
      AcrInstance instance = instance(request);
      String module = request.params().getOrDefault("ModuleName", "Registry");
      ObjectNode node = rpcSuccess(request);
      ArrayNode endpoints = node.putArray("Endpoints");
      if (!"Registry".equals(module)) {
        return Reply.json(200, node);
      }
      ObjectNode internet = endpoints.addObject();
      internet.put("EndpointType", "internet");
      internet.put("Enable", instance.internetEndpointEnabled());
      internet.put("Status", instance.internetEndpointEnabled() ? "RUNNING" : "STOPPED");
      internet.put("AclEnable", false);
      ArrayNode internetDomains = internet.putArray("Domains");
      instance.internetDomains().forEach(d -> domain(internetDomains, d, "SYSTEM"));
      instance.customDomains().forEach(d -> domain(internetDomains, d, "USER"));
      internet.putArray("AclEntries");
      internet.putArray("LinkedVpcs");
      ObjectNode vpc = endpoints.addObject();
      vpc.put("EndpointType", "vpc");
      vpc.put("Enable", true);
      vpc.put("Status", "RUNNING");
      vpc.put("AclEnable", false);
      ArrayNode vpcDomains = vpc.putArray("Domains");
      instance.vpcDomains().forEach(d -> domain(vpcDomains, d, "SYSTEM"));
      vpc.putArray("AclEntries");
      vpc.putArray("LinkedVpcs");
      return Reply.json(200, node);
    }

    private void domain(ArrayNode array, String domain, String type) {
      ObjectNode d = array.addObject();
      d.put("Domain", domain);
      d.put("Type", type);
    }

    private int intParam(Request request, String name, int dflt, int min, int max) {
      String raw = request.params().get(name);
      if (raw == null || raw.isEmpty()) {
        return dflt;
      }
      try {
        int value = Integer.parseInt(raw);
        if (value >= min && value <= max) {
          return value;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new PopException(
          400,
          "InvalidParameter",
          "The parameter " + name + " must be an integer in " + min + ".." + max + ".");
    }

    @Override
    public Reply error(FakeApi api, Request request, int status, String code, String message) {
      if (api == FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN
          && ErrorCatalog.isPersonalBusinessCode(code)) {
        ObjectNode node = ServerCore.JSON.createObjectNode();
        node.put("code", code);
        node.put("message", message);
        node.put("requestId", request.requestId());
        return Reply.json(status, node);
      }
      return Reply.json(status, ServerCore.popError(request, hostId(request), code, message));
    }

    @Override
    public Reply notSuccess(FakeApi api, Request request, String code, String message) {
      ObjectNode node = ServerCore.JSON.createObjectNode();
      if (api == FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN) {
        node.put("code", code);
        node.put("message", message);
        node.put("requestId", request.requestId());
      } else {
        node.put("RequestId", request.requestId());
        node.put("IsSuccess", false);
        node.put("Code", code);
      }
      return Reply.json(200, node);
    }
  }
}
