package io.acrcredential.core.acr;

import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;

/**
 * Turns Alibaba Cloud OpenAPI error codes into {@link TokenException}s whose messages say what to
 * fix. Messages name the operation, the identity kind, the code and the request id; they quote the
 * server's own message only after {@link Redaction#scrub scrubbing}, and never a response body.
 */
final class AcrErrors {

  static final String ACR_RAM_ACTIONS =
      "cr:GetAuthorizationToken, cr:ListInstanceEndpoint, cr:ListInstance and cr:PullRepository";

  private AcrErrors() {}

  /**
   * Maps an error answer.
   *
   * @param ctx the failed call
   * @param status HTTP status (200 for a business failure inside a 200 answer)
   * @param code the service's error code, or null when the body had none
   * @param serverMessage the service's message, or null; scrubbed before use
   * @param requestId the request id, or null
   * @return the exception to throw
   */
  static TokenException fromError(
      CallContext ctx, int status, String code, String serverMessage, String requestId) {
    String where = ctx.operation().service() + " " + ctx.operation().callName();
    String tail = tail(code, status, requestId);
    if (code != null) {
      TokenException known = known(ctx, where, code, tail);
      if (known != null) {
        return known;
      }
    }
    String server = Redaction.scrub(serverMessage);
    String said = server.isEmpty() ? "" : " The service said: \"" + server + "\".";
    if (status >= 500) {
      return new TokenException(
          Reason.SERVICE_UNAVAILABLE,
          code,
          where
              + " failed on the server side (HTTP "
              + status
              + "); this is usually transient,"
              + " retry with backoff."
              + said
              + tail);
    }
    if (status == 429) {
      return new TokenException(
          Reason.THROTTLED,
          code,
          where + " was throttled (HTTP 429); back off and retry later." + said + tail);
    }
    if (status == 403) {
      return permissionDenied(ctx, where, code, tail);
    }
    if (status == 404) {
      return new TokenException(
          Reason.NOT_FOUND,
          code,
          where
              + " found nothing for "
              + ctx.subject()
              + "; check the region and ids."
              + said
              + tail);
    }
    if (status >= 400) {
      return new TokenException(
          Reason.INVALID_CONFIGURATION,
          code,
          where
              + " rejected the request for "
              + ctx.subject()
              + " (HTTP "
              + status
              + "); check the configuration."
              + said
              + tail);
    }
    return new TokenException(
        Reason.INVALID_RESPONSE,
        code,
        where + " answered that the call did not succeed, with an unexpected code." + said + tail);
  }

  private static TokenException known(CallContext ctx, String where, String code, String tail) {
    String identity = ctx.identity();
    switch (code) {
      case "Forbidden.RAM", "Forbidden", "NoPermission", "Forbidden.NoPermission":
        return permissionDenied(ctx, where, code, tail);
      case "USER_NOT_EXIST":
        return new TokenException(
            Reason.NOT_FOUND,
            code,
            "The "
                + identity
                + " has no Container Registry login yet: sign in to the ACR console as this user,"
                + " open the Personal Edition instance's Access Credential page and set a registry"
                + " login password, then retry."
                + tail);
      case "INSTANCE_NOT_EXIST", "InstanceNotExist", "INSTANCE_NOT_EXISTS":
        return new TokenException(
            Reason.NOT_FOUND,
            code,
            "No ACR Enterprise Edition instance matches "
                + ctx.subject()
                + ": check the instance id (cri-…) and the region it lives in."
                + tail);
      case "InvalidAccessKeyId", "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive":
        return new TokenException(
            Reason.INVALID_CREDENTIALS,
            code,
            where
                + " does not know the AccessKey ID of the "
                + identity
                + " (deleted, disabled or mistyped): check the configured AccessKey ID (for example"
                + " ALIBABA_CLOUD_ACCESS_KEY_ID) and that the key is active in the RAM console."
                + tail);
      case "SignatureDoesNotMatch",
      "IncompleteSignature",
      "SDK.InvalidAccessKeySecret",
      "InvalidSignature":
        return new TokenException(
            Reason.INVALID_CREDENTIALS,
            code,
            where
                + " rejected the request signature of the "
                + identity
                + ": the AccessKey secret does not match the AccessKey ID (check the configured"
                + " secret, for example ALIBABA_CLOUD_ACCESS_KEY_SECRET), or this machine's clock"
                + " is off (check NTP)."
                + tail);
      case "MissingSecurityToken", "InvalidSecurityToken.Missing":
        return new TokenException(
            Reason.INVALID_CREDENTIALS,
            code,
            where
                + " needs an STS security token with this AccessKey: the "
                + identity
                + " uses a temporary (STS) AccessKey, so also configure its security token (for"
                + " example ALIBABA_CLOUD_SECURITY_TOKEN)."
                + tail);
      case "InvalidSecurityToken.Expired":
        return new TokenException(
            Reason.INVALID_CREDENTIALS,
            code,
            "The STS security token of the "
                + identity
                + " has expired: get fresh STS credentials, or use a source that renews them (RAM"
                + " role, assumed role, RRSA)."
                + tail);
      case "InvalidSecurityToken.Malformed", "InvalidSecurityToken.MismatchWithAccessKey":
        return new TokenException(
            Reason.INVALID_CREDENTIALS,
            code,
            "The STS security token of the "
                + identity
                + " is malformed or belongs to another AccessKey: configure the token that was"
                + " issued together with this AccessKey ID and secret."
                + tail);
      case "InvalidTimeStamp.Expired", "InvalidTimeStamp.Format":
        return new TokenException(
            Reason.INVALID_CONFIGURATION,
            code,
            where
                + " rejected the request time: this machine's clock is off by more than 15"
                + " minutes; synchronise it (NTP)."
                + tail);
      case "SignatureNonceUsed":
        return new TokenException(
            Reason.SERVICE_UNAVAILABLE,
            code,
            where + " saw a repeated request nonce; retry." + tail);
      case "Throttling", "Throttling.User", "Throttling.Api", "Throttling.Resource":
        return new TokenException(
            Reason.THROTTLED,
            code,
            where
                + " was throttled: back off and retry later (a still-valid token can be kept"
                + " meanwhile)."
                + tail);
      case "InternalError", "ServiceUnavailable", "UnknownError":
        return new TokenException(
            Reason.SERVICE_UNAVAILABLE,
            code,
            where
                + " failed on the server side; this is usually transient, retry with backoff."
                + tail);
      case "InvalidVersion", "InvalidAction.NotFound", "InvalidApi.NotFound":
        return new TokenException(
            Reason.INVALID_CONFIGURATION,
            code,
            "The endpoint does not serve "
                + where
                + ": check the configured "
                + ctx.operation().service()
                + " endpoint."
                + tail);
      case "EntityNotExist.Role":
        return new TokenException(
            Reason.NOT_FOUND,
            code,
            "The RAM role "
                + ctx.subject()
                + " does not exist: check the role ARN (assumeRoleARN or ALIBABA_CLOUD_ROLE_ARN)."
                + tail);
      case "EntityNotExist.OIDCProvider":
        return new TokenException(
            Reason.NOT_FOUND,
            code,
            "The OIDC provider given for "
                + ctx.subject()
                + " does not exist: check the OIDC provider ARN"
                + " (ALIBABA_CLOUD_OIDC_PROVIDER_ARN)."
                + tail);
      case "InvalidParameter.DurationSeconds":
        return new TokenException(
            Reason.INVALID_CONFIGURATION,
            code,
            "STS rejected the session duration for "
                + ctx.subject()
                + ": expireDuration must be 900 to 43200 seconds and at most the role's maximum"
                + " session duration."
                + tail);
      case "InvalidParameter.RoleSessionName":
        return new TokenException(
            Reason.INVALID_CONFIGURATION,
            code,
            "STS rejected the role session name for "
                + ctx.subject()
                + ": use 2 to 64 letters, digits and the characters . @ - _."
                + tail);
      case "AuthenticationFail.OIDCToken.Invalid", "AuthenticationFail.OIDCToken.Expired":
        return new TokenException(
            Reason.INVALID_CREDENTIALS,
            code,
            "STS rejected the OIDC token for "
                + ctx.subject()
                + " (invalid or expired): check that the RRSA token file is mounted and kept fresh"
                + " (ALIBABA_CLOUD_OIDC_TOKEN_FILE) and that the provider ARN matches its issuer."
                + tail);
      default:
        return null;
    }
  }

  private static TokenException permissionDenied(
      CallContext ctx, String where, String code, String tail) {
    Operation op = ctx.operation();
    String what;
    if (op == Operation.ASSUME_ROLE) {
      what =
          "The "
              + ctx.identity()
              + " may not assume "
              + ctx.subject()
              + ": grant it sts:AssumeRole (for example the AliyunSTSAssumeRoleAccess policy) and"
              + " make sure the role's trust policy lets this account assume it.";
    } else if (op == Operation.ASSUME_ROLE_WITH_OIDC) {
      what =
          "STS refused AssumeRoleWithOIDC for "
              + ctx.subject()
              + ": make sure the role's trust policy trusts the OIDC provider and the service"
              + " account's subject.";
    } else if (op.isAcr()) {
      what =
          where
              + " was denied for "
              + ctx.subject()
              + ": the "
              + ctx.identity()
              + " lacks a RAM permission. Grant it the RAM actions "
              + ACR_RAM_ACTIONS
              + " (this call needs "
              + op.ramAction()
              + "), for example in a custom policy on resource acs:cr:*:*:*.";
    } else {
      what = where + " was denied for the " + ctx.identity() + ".";
    }
    return new TokenException(Reason.PERMISSION_DENIED, code, what + tail);
  }

  private static String tail(String code, int status, String requestId) {
    StringBuilder s = new StringBuilder(" [");
    s.append(code == null ? "no error code" : "code " + code);
    s.append(", HTTP ").append(status);
    if (requestId != null && requestId.matches("[A-Za-z0-9-]{1,64}")) {
      s.append(", request id ").append(requestId);
    }
    return s.append(']').toString();
  }
}
