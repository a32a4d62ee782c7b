package io.acrcredential.core.acr;

import com.aliyuncs.DefaultAcsClient;
import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.TokenException;
import java.time.Duration;

/** STS {@code AssumeRole} on top of a base identity, over the same signed SDK client stack. */
final class AssumeRoleProvider extends RefreshingProvider {

  private final IdentityProvider base;
  private final String roleArn;
  private final String sessionName;
  private final Duration duration;
  private final Endpoint sts;
  private final DefaultAcsClient client;

  AssumeRoleProvider(
      IdentityProvider base,
      String roleArn,
      String sessionName,
      Duration duration,
      Transport transport) {
    super(transport.clock());
    this.base = base;
    this.roleArn = roleArn;
    this.sessionName = sessionName;
    this.duration = duration;
    this.sts = transport.stsEndpoint();
    this.client = transport.sdkClient(base, "cn-hangzhou");
  }

  @Override
  Session fetchSession() throws TokenException {
    CallContext ctx =
        new CallContext(
            Operation.ASSUME_ROLE, base.identity(), "RAM role " + roleArn, sts.hostPort());
    RpcCall request =
        new RpcCall("Sts", "2015-04-01", "AssumeRole", sts)
            .param("RoleArn", roleArn)
            .param("RoleSessionName", sessionName)
            .param("DurationSeconds", Long.toString(duration.toSeconds()));
    JsonNode answer = OpenApi.call(client, request, ctx);
    StsSessions.Parsed parsed = StsSessions.read(ctx, answer, "Credentials.");
    return session(parsed.credentials(), parsed.expiration());
  }

  @Override
  public String identity() {
    return "RAM role " + roleArn + " assumed by the " + base.identity();
  }
}
