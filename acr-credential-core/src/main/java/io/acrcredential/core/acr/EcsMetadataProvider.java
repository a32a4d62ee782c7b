package io.acrcredential.core.acr;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * The RAM role of an ECS instance, read from the metadata service with IMDSv2: a session token from
 * {@code PUT /latest/api/token}, then the role's credentials with that token.
 */
final class EcsMetadataProvider extends RefreshingProvider {

  static final String TOKEN_TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds";
  static final String TOKEN_HEADER = "X-aliyun-ecs-metadata-token";
  private static final String CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/";

  private final Endpoint metadata;
  private final OkHttpClient http;
  private final Optional<String> configuredRole;
  private volatile String roleName;

  EcsMetadataProvider(Optional<String> roleName, Transport transport) {
    super(transport.clock());
    this.metadata = transport.metadataEndpoint();
    // The metadata service is link-local: fail fast when it is not there.
    long connectMillis = Math.min(transport.connectTimeout().toMillis(), 2000);
    this.http =
        transport.http().newBuilder().connectTimeout(connectMillis, TimeUnit.MILLISECONDS).build();
    this.configuredRole = roleName;
    this.roleName = roleName.orElse(null);
  }

  @Override
  Session fetchSession() throws TokenException {
    CallContext ctx =
        new CallContext(Operation.ECS_METADATA, identity(), identity(), metadata.hostPort());
    String token = imdsToken(ctx);
    String role = roleName;
    if (role == null) {
      role = discoverRole(ctx, token);
      roleName = role;
    }
    Request request =
        new Request.Builder()
            .url(metadata.baseUrl() + CREDENTIALS_PATH + role)
            .header(TOKEN_HEADER, token)
            .get()
            .build();
    PlainHttp.Answer answer = PlainHttp.execute(http, request, ctx);
    if (answer.status() == 404) {
      throw new TokenException(
          Reason.NOT_FOUND,
          null,
          "The ECS metadata service knows no RAM role '"
              + role
              + "' on this instance: attach the role to the instance (or node pool), or fix the"
              + " role name (ALIBABA_CLOUD_ECS_METADATA).");
    }
    if (answer.status() != 200) {
      throw metadataStatus(ctx, answer.status());
    }
    JsonNode json = OpenApi.read(ctx, answer.status(), answer.contentType(), answer.body());
    JsonNode code = json.get("Code");
    if (code == null || !code.isTextual() || !"Success".equals(code.asText())) {
      throw new TokenException(
          Reason.SERVICE_UNAVAILABLE,
          code == null || !code.isTextual() ? null : Redaction.scrub(code.asText()),
          "The ECS metadata service did not return credentials for RAM role '"
              + role
              + "' (Code is not Success); retry later.");
    }
    StsSessions.Parsed parsed = StsSessions.read(ctx, json, "");
    return session(parsed.credentials(), parsed.expiration());
  }

  private String imdsToken(CallContext ctx) {
    Request request =
        new Request.Builder()
            .url(metadata.baseUrl() + "/latest/api/token")
            .header(TOKEN_TTL_HEADER, Long.toString(Duration.ofHours(6).toSeconds()))
            .put(RequestBody.create(new byte[0], null))
            .build();
    PlainHttp.Answer answer = PlainHttp.execute(http, request, ctx);
    if (answer.status() != 200) {
      throw metadataStatus(ctx, answer.status());
    }
    String token = new String(answer.body(), StandardCharsets.UTF_8).trim();
    if (token.isEmpty()) {
      throw OpenApi.invalid(ctx, "answered an empty IMDSv2 session token");
    }
    return token;
  }

  private String discoverRole(CallContext ctx, String token) {
    Request request =
        new Request.Builder()
            .url(metadata.baseUrl() + CREDENTIALS_PATH)
            .header(TOKEN_HEADER, token)
            .get()
            .build();
    PlainHttp.Answer answer = PlainHttp.execute(http, request, ctx);
    if (answer.status() == 404) {
      throw new TokenException(
          Reason.NOT_FOUND,
          null,
          "This ECS instance has no RAM role attached: attach one (with the ACR permissions) to the"
              + " instance or node pool, or configure another credential source.");
    }
    if (answer.status() != 200) {
      throw metadataStatus(ctx, answer.status());
    }
    String body = new String(answer.body(), StandardCharsets.UTF_8).trim();
    String first = body.lines().map(String::trim).filter(s -> !s.isEmpty()).findFirst().orElse("");
    if (!first.matches("[A-Za-z0-9._-]{1,64}")) {
      throw OpenApi.invalid(ctx, "answered no usable RAM role name");
    }
    return first;
  }

  private static TokenException metadataStatus(CallContext ctx, int status) {
    Reason reason =
        status >= 500 || status == 429 ? Reason.SERVICE_UNAVAILABLE : Reason.INVALID_RESPONSE;
    if (status == 401 || status == 403) {
      reason = Reason.PERMISSION_DENIED;
    }
    return new TokenException(
        reason,
        null,
        "The ECS metadata service at "
            + ctx.endpoint()
            + " answered HTTP "
            + status
            + (status == 401 || status == 403
                ? ": the IMDSv2 session token was refused (check that IMDS access is allowed for"
                    + " this instance)."
                : "; retry later, or configure another credential source."));
  }

  @Override
  public String identity() {
    String role = configuredRole.orElse(roleName);
    return role == null ? "ECS RAM role of this instance" : "ECS RAM role '" + role + "'";
  }
}
