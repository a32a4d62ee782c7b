package io.acrcredential.testing;

import java.util.Map;
import java.util.TreeMap;

/** HTTP status and message of the gateway and service error codes the fakes know. */
final class ErrorCatalog {
  /** One known error. */
  record Entry(int status, String message) {}

  private static final Map<String, Entry> ENTRIES = new TreeMap<>();

  static {
    add("SignatureDoesNotMatch", 400, "Specified signature is not matched with our calculation.");
    add("IncompleteSignature", 400, "The request signature does not conform to Aliyun standards.");
    add("InvalidAccessKeyId.NotFound", 404, "Specified access key is not found.");
    add("InvalidAccessKeyId", 400, "Specified access key is not valid.");
    add("InvalidAccessKeyId.Inactive", 400, "Specified access key is disabled.");
    add("InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired.");
    add(
        "InvalidTimeStamp.Format",
        400,
        "Specified time stamp or date value is not well formatted.");
    add("SignatureNonceUsed", 400, "Specified signature nonce was used already.");
    add("InvalidSignatureMethod", 400, "Specified signature method is not supported.");
    add("MissingSecurityToken", 400, "SecurityToken is mandatory for this action.");
    add("InvalidSecurityToken.Expired", 400, "Specified SecurityToken is expired.");
    add("InvalidSecurityToken.Malformed", 400, "Specified SecurityToken is malformed.");
    add(
        "InvalidSecurityToken.MismatchWithAccessKey",
        400,
        "Specified SecurityToken mismatch with the AccessKey.");
    add(
        "Forbidden.RAM",
        403,
        "User not authorized to operate on the specified resource, or this API doesn't support RAM.");
    add("Throttling.User", 400, "Request was denied due to user flow control.");
    add("Throttling", 400, "Request was denied due to request throttling.");
    add("InvalidVersion", 400, "Specified parameter Version is not valid.");
    add(
        "InvalidAction.NotFound",
        404,
        "Specified api is not found, please check your url and method.");
    add("InternalError", 500, "The request processing has failed due to some unknown error.");
    add(
        "ServiceUnavailable",
        503,
        "The request has failed due to a temporary failure of the server.");
    add("USER_NOT_EXIST", 404, "user is not exist.");
    add("INSTANCE_NOT_EXIST", 404, "instance is not exist.");
    add(
        "NoPermission",
        403,
        "You are not authorized to do this action. You should be authorized by RAM.");
    add("EntityNotExist.Role", 404, "The specified Role not exists.");
    add("EntityNotExist.OIDCProvider", 404, "The specified OIDC provider not exists.");
    add("InvalidParameter.DurationSeconds", 400, "The parameter DurationSeconds is invalid.");
    add(
        "InvalidParameter.RoleSessionName",
        400,
        "The parameter RoleSessionName is wrongly formed.");
    add("AuthenticationFail.OIDCToken.Invalid", 400, "The OIDC token is invalid.");
    add("AuthenticationFail.OIDCToken.Expired", 400, "This JsonWebToken is expired.");
  }

  private ErrorCatalog() {}

  private static void add(String code, int status, String message) {
    ENTRIES.put(code, new Entry(status, message));
  }

  static Entry require(String code) {
    Entry entry = ENTRIES.get(code);
    if (entry == null) {
      throw new IllegalArgumentException(
          "Unknown error code '"
              + code
              + "'; use Failure.error(status, code, message) for it, or one of "
              + ENTRIES.keySet());
    }
    return entry;
  }

  /** Codes whose Personal Edition (ROA business) body uses lower-case keys. */
  static boolean isPersonalBusinessCode(String code) {
    return "USER_NOT_EXIST".equals(code);
  }
}
