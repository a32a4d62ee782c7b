package io.acrcredential.core.acr;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * Session credentials from a credentials URI ({@code ALIBABA_CLOUD_CREDENTIALS_URI}, or a CLI
 * profile in {@code CredentialsURI} mode): a plain {@code GET} answering {@code {"Code": "Success",
 * "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}}, fetched again before {@code
 * Expiration} like the ECS RAM role. Messages name the URL without its query string (which may
 * carry a token), never a credential.
 */
final class CredentialsUriProvider extends RefreshingProvider {

  private final HttpUrl url;
  private final String safeUrl;
  private final String origin;
  private final OkHttpClient http;

  CredentialsUriProvider(CredentialSpec.CredentialsUri spec, Transport transport) {
    super(transport.clock());
    this.url = parse(spec.uri(), spec.origin());
    this.safeUrl = safe(spec.uri());
    this.origin = spec.origin();
    this.http = transport.http();
  }

  /**
   * Checks that the value is an http(s) URL.
   *
   * @throws TokenException INVALID_CONFIGURATION naming where it was configured
   */
  static HttpUrl parse(String uri, String origin) {
    HttpUrl parsed = uri == null ? null : HttpUrl.parse(uri.trim());
    if (parsed == null) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The credentials URI from "
              + origin
              + " is not an http:// or https:// URL; fix it or remove it.");
    }
    return parsed;
  }

  /** The URL without user info, query or fragment, for messages; a placeholder when unusable. */
  static String safe(String uri) {
    HttpUrl parsed = uri == null ? null : HttpUrl.parse(uri.trim());
    if (parsed == null) {
      return "<not an http(s) URL>";
    }
    return parsed.scheme() + "://" + parsed.host() + ":" + parsed.port() + parsed.encodedPath();
  }

  @Override
  Session fetchSession() throws TokenException {
    CallContext ctx =
        new CallContext(Operation.CREDENTIALS_URI, identity(), "credentials URI", safeUrl);
    Request request = new Request.Builder().url(url).header("Accept", "application/json").build();
    PlainHttp.Answer answer = PlainHttp.execute(http, request, ctx);
    int status = answer.status();
    if (status != 200) {
      Reason reason =
          status >= 500 || status == 429
              ? Reason.SERVICE_UNAVAILABLE
              : status == 401 || status == 403
                  ? Reason.PERMISSION_DENIED
                  : status == 404 ? Reason.NOT_FOUND : Reason.INVALID_RESPONSE;
      throw new TokenException(
          reason,
          null,
          "The credentials URI "
              + safeUrl
              + " (from "
              + origin
              + ") answered HTTP "
              + status
              + (reason.isRetryable()
                  ? "; retry later, or check the credential server."
                  : "; check the URL and that this client may fetch credentials from it."));
    }
    JsonNode json = OpenApi.parseObject(answer.body());
    if (json == null) {
      throw new TokenException(
          Reason.INVALID_RESPONSE,
          null,
          "The credentials URI "
              + safeUrl
              + " (from "
              + origin
              + ") answered a body that is not a JSON object (content type "
              + (answer.contentType() == null ? "none" : Redaction.scrub(answer.contentType()))
              + "); it must answer {\"Code\":\"Success\",\"AccessKeyId\",\"AccessKeySecret\","
              + "\"SecurityToken\",\"Expiration\"}.");
    }
    JsonNode code = json.get("Code");
    if (code == null || !code.isTextual() || !"Success".equals(code.asText())) {
      String shown =
          code == null ? "no Code" : code.isTextual() ? "Code '" + code.asText() + "'" : "a Code";
      throw new TokenException(
          Reason.SERVICE_UNAVAILABLE,
          code == null || !code.isTextual() ? null : Redaction.scrub(code.asText()),
          "The credentials URI "
              + safeUrl
              + " (from "
              + origin
              + ") answered "
              + Redaction.scrub(shown)
              + " instead of Code 'Success'; check the credential server.");
    }
    StsSessions.Parsed parsed = StsSessions.read(ctx, json, "");
    return session(parsed.credentials(), parsed.expiration());
  }

  @Override
  public String identity() {
    return "session credentials from the credentials URI " + safeUrl;
  }

  @Override
  public String toString() {
    return "CredentialsUriProvider[" + safeUrl + ", origin=" + origin + "]";
  }
}
