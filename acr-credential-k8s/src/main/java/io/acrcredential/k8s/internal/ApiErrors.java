package io.acrcredential.k8s.internal;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Status;

/**
 * A failed Kubernetes API call as one line: the server unreachable, or the HTTP code and the
 * message of the Status the server answered with. Never the client's own exception text, which
 * spans lines and carries the whole response body and headers.
 */
public final class ApiErrors {

  /** Longest response body read for its Status; a longer one is not parsed. */
  static final int MAX_BODY = 64 * 1024;

  private ApiErrors() {}

  /**
   * Describes a failure in one line.
   *
   * @param api the client that made the call (its base path names the server)
   * @param e the failure
   * @return e.g. {@code HTTP 403: secrets is forbidden: ...} or {@code cannot reach the Kubernetes
   *     API server at https://... (ConnectException: ...)}
   */
  public static String describe(ApiClient api, ApiException e) {
    if (e.getCode() == 0) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return "cannot reach the Kubernetes API server at "
          + api.getBasePath()
          + " ("
          + cause.getClass().getSimpleName()
          + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
          + ")";
    }
    String status = statusMessage(api, e);
    return "HTTP " + e.getCode() + (status.isEmpty() ? "" : ": " + status);
  }

  /**
   * The message of the Status object the server answered with.
   *
   * @param api the client that made the call (its JSON reads the body)
   * @param e the failure
   * @return the message, or empty when the body is none, too long or not a Status
   */
  public static String statusMessage(ApiClient api, ApiException e) {
    String body = e.getResponseBody();
    if (body == null || body.isBlank() || body.length() > MAX_BODY) {
      return "";
    }
    try {
      V1Status s = api.getJSON().deserialize(body, V1Status.class);
      return s == null || s.getMessage() == null ? "" : s.getMessage();
    } catch (RuntimeException notAStatus) {
      return "";
    }
  }
}
