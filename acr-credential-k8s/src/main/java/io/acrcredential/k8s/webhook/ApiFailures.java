package io.acrcredential.k8s.webhook;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Status;

/** A failed Kubernetes API call as one log line: unreachable, or the HTTP code and its Status. */
final class ApiFailures {

  private ApiFailures() {}

  static String describe(ApiClient api, ApiException e) {
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

  private static String statusMessage(ApiClient api, ApiException e) {
    String body = e.getResponseBody();
    if (body == null || body.isBlank() || body.length() > 64 * 1024) {
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
