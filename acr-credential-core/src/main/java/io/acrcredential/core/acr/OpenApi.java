package io.acrcredential.core.acr;

import com.aliyuncs.AcsRequest;
import com.aliyuncs.IAcsClient;
import com.aliyuncs.exceptions.ClientException;
import com.aliyuncs.exceptions.ServerException;
import com.aliyuncs.http.HttpResponse;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs one signed OpenAPI call through Alibaba's SDK and reads its JSON answer strictly: every
 * failure, transport or HTTP or body shape, becomes a {@link TokenException}. Bodies are never
 * quoted in messages (a malformed answer may still carry a token).
 */
final class OpenApi {

  static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private OpenApi() {}

  /** Sends the request and returns the JSON object of a successful answer. */
  static JsonNode call(IAcsClient client, AcsRequest<?> request, CallContext ctx) {
    HttpResponse response;
    try {
      response = client.doAction(request);
    } catch (ServerException e) {
      throw AcrErrors.fromError(ctx, 500, e.getErrCode(), e.getErrMsg(), e.getRequestId());
    } catch (ClientException e) {
      throw fromClientException(ctx, e);
    } catch (TokenException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new TokenException(
          Reason.INVALID_RESPONSE,
          null,
          "Unexpected failure in Alibaba's SDK during "
              + ctx.where()
              + " at "
              + ctx.endpoint()
              + ": "
              + e.getClass().getSimpleName()
              + " "
              + Redaction.scrub(e.getMessage()));
    }
    if (Responses.isRedirect(response.getStatus())) {
      okhttp3.HttpUrl from = okhttp3.HttpUrl.parse(response.getUrl());
      throw invalid(
          ctx,
          Responses.describeRedirect(
              response.getStatus(),
              from == null ? okhttp3.HttpUrl.get("http://unknown/") : from,
              header(response, "Location")));
    }
    byte[] body = response.getHttpContent();
    return read(ctx, response.getStatus(), header(response, "Content-Type"), body);
  }

  /**
   * Reads an answer: error statuses and business failures become exceptions, a good answer its JSON
   * object.
   */
  static JsonNode read(CallContext ctx, int status, String contentType, byte[] body) {
    JsonNode json = parseObject(body);
    if (status < 200 || status > 299) {
      throw AcrErrors.fromError(
          ctx,
          status,
          text(json, "Code", "code"),
          text(json, "Message", "message"),
          text(json, "RequestId", "requestId"));
    }
    if (body == null || body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
      throw invalid(ctx, "answered HTTP " + status + " with an empty body");
    }
    if (json == null) {
      throw invalid(
          ctx,
          "answered HTTP "
              + status
              + " with a body that is not a JSON object (content type "
              + (contentType == null ? "none" : Redaction.scrub(contentType))
              + "), so the endpoint may be a proxy or error page");
    }
    JsonNode success = json.get("IsSuccess");
    if (success != null && !(success.isBoolean() && success.booleanValue())) {
      String code = text(json, "Code", "code");
      if (code == null) {
        throw invalid(
            ctx, "answered IsSuccess=" + success.getNodeType() + " without an error code");
      }
      throw AcrErrors.fromError(
          ctx, status, code, text(json, "Message", "message"), text(json, "RequestId"));
    }
    return json;
  }

  static TokenException fromClientException(CallContext ctx, ClientException e) {
    String code = e.getErrCode();
    if ("SDK.ServerUnreachable".equals(code) || "SDK.ReadTimeout".equals(code)) {
      Throwable cause = e.getCause();
      String detail = cause == null ? "" : ": " + Redaction.scrub(cause.getMessage());
      boolean timeout = "SDK.ReadTimeout".equals(code);
      return new TokenException(
          Reason.NETWORK,
          code,
          (timeout ? "Timed out waiting for " : "Could not reach ")
              + ctx.where()
              + " at "
              + ctx.endpoint()
              + detail
              + "; check the network, proxy and endpoint settings (retryable).",
          cause);
    }
    if ("SDK.InterruptedException".equals(code)) {
      Thread.currentThread().interrupt();
      return new TokenException(Reason.NETWORK, code, ctx.where() + " was interrupted.");
    }
    if ("SDK.InvalidAccessSecret".equals(code)) {
      return new TokenException(
          Reason.INVALID_CREDENTIALS,
          code,
          "The AccessKey secret of the " + ctx.identity() + " cannot be used to sign requests.");
    }
    if (code != null && !code.startsWith("SDK.")) {
      return AcrErrors.fromError(ctx, 400, code, e.getErrMsg(), e.getRequestId());
    }
    return new TokenException(
        Reason.NETWORK,
        code,
        ctx.where()
            + " at "
            + ctx.endpoint()
            + " failed in the client: "
            + Redaction.scrub(e.getErrMsg()));
  }

  static TokenException invalid(CallContext ctx, String what) {
    return new TokenException(
        Reason.INVALID_RESPONSE, null, ctx.where() + " at " + ctx.endpoint() + " " + what + ".");
  }

  /** The body as a JSON object, or null when it is empty or not a JSON object. */
  static JsonNode parseObject(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      JsonNode node = MAPPER.readTree(body);
      return node != null && node.isObject() ? node : null;
    } catch (JsonProcessingException e) {
      return null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private static String text(JsonNode json, String... names) {
    if (json == null) {
      return null;
    }
    for (String name : names) {
      JsonNode n = json.get(name);
      if (n != null && n.isValueNode() && !n.isNull()) {
        return n.asText();
      }
    }
    return null;
  }

  private static String header(HttpResponse response, String name) {
    Map<String, String> headers = response.getSysHeaders();
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (name.equalsIgnoreCase(e.getKey())) {
        return e.getValue();
      }
    }
    return null;
  }

  /** Strict field access for successful answers. */
  static String requireText(CallContext ctx, JsonNode root, String path) {
    JsonNode node = at(root, path);
    if (node == null || node.isNull()) {
      throw invalid(ctx, "answered without the field " + path);
    }
    if (!node.isTextual()) {
      throw invalid(ctx, "answered a " + node.getNodeType() + " for " + path + ", not a string");
    }
    if (node.asText().isEmpty()) {
      throw invalid(ctx, "answered an empty " + path);
    }
    return node.asText();
  }

  static long requireEpochMillis(CallContext ctx, JsonNode root, String path) {
    JsonNode node = at(root, path);
    if (node == null || node.isNull()) {
      throw invalid(ctx, "answered without the field " + path);
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() <= 0) {
      throw invalid(
          ctx,
          "answered a "
              + node.getNodeType()
              + " for "
              + path
              + ", not a positive number of milliseconds since the epoch");
    }
    return node.asLong();
  }

  static JsonNode at(JsonNode root, String path) {
    JsonNode node = root;
    for (String part : path.split("\\.")) {
      if (node == null || !node.isObject()) {
        return null;
      }
      node = node.get(part);
    }
    return node;
  }
}
