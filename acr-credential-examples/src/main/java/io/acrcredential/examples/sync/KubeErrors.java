package io.acrcredential.examples.sync;

import io.acrcredential.examples.cli.CliException;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Status;

/** Kubernetes API failures as one line saying what is wrong and what to do. */
final class KubeErrors {

  private KubeErrors() {}

  static CliException failure(String what, ApiClient api, ApiException e) {
    return CliException.failure(what + ": " + describe(api, e), e);
  }

  static String describe(ApiClient api, ApiException e) {
    String server = api.getBasePath();
    if (e.getCode() == 0) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return "cannot reach the Kubernetes API server at "
          + server
          + " ("
          + cause.getClass().getSimpleName()
          + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
          + "); check KUBECONFIG / --kubeconfig, ~/.kube/config or the in-cluster service account";
    }
    String status = statusMessage(api, e);
    return switch (e.getCode()) {
      case 401 ->
          "the API server at "
              + server
              + " rejected the credentials (HTTP 401); refresh the kubeconfig's token or certificate";
      case 403 ->
          "forbidden (HTTP 403)"
              + (status.isEmpty() ? "" : ": " + status)
              + "; grant the permission (see acr-credential-examples/deploy/base/rbac.yaml)";
      default -> "HTTP " + e.getCode() + (status.isEmpty() ? "" : ": " + status);
    };
  }

  private static String statusMessage(ApiClient api, ApiException e) {
    String body = e.getResponseBody();
    if (body != null && !body.isBlank()) {
      try {
        V1Status s = api.getJSON().deserialize(body, V1Status.class);
        if (s != null && s.getMessage() != null) {
          return s.getMessage();
        }
      } catch (RuntimeException ignored) {
        // not a Status object
      }
    }
    return "";
  }
}
