package io.acrcredential.core.acr;

import com.aliyuncs.auth.BasicSessionCredentials;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Reads the {@code Credentials} object that STS and the ECS metadata service answer. */
final class StsSessions {

  private StsSessions() {}

  /**
   * Reads session credentials.
   *
   * @param ctx the call, for error messages
   * @param root the answer
   * @param prefix the path of the object holding the fields ("Credentials." or "")
   */
  static Parsed read(CallContext ctx, JsonNode root, String prefix) {
    JsonNode code = root.get("Code");
    if (!prefix.isEmpty()
        && root.get(prefix.substring(0, prefix.length() - 1)) == null
        && code != null
        && code.isTextual()) {
      JsonNode message = root.get("Message");
      throw AcrErrors.fromError(
          ctx, 200, code.asText(), message == null ? null : message.asText(), null);
    }
    String id = OpenApi.requireText(ctx, root, prefix + "AccessKeyId");
    String secret = OpenApi.requireText(ctx, root, prefix + "AccessKeySecret");
    String token = OpenApi.requireText(ctx, root, prefix + "SecurityToken");
    String expiration = OpenApi.requireText(ctx, root, prefix + "Expiration");
    Instant expires;
    try {
      expires = Instant.parse(expiration);
    } catch (DateTimeParseException e) {
      throw OpenApi.invalid(
          ctx, "answered a " + prefix + "Expiration that is not an ISO-8601 UTC time");
    }
    return new Parsed(new BasicSessionCredentials(id, secret, token), expires);
  }

  /** Parsed session credentials. */
  record Parsed(BasicSessionCredentials credentials, Instant expiration) {
    @Override
    public String toString() {
      return "Parsed[expiration=" + expiration + "]";
    }
  }
}
