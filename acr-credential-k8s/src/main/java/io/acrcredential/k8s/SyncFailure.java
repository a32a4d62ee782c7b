package io.acrcredential.k8s;

import java.time.Duration;
import java.util.Objects;

/**
 * Reconciling a namespace failed.
 *
 * @param namespace the namespace
 * @param message what failed, naming the object and the permission or status; never a credential
 * @param httpStatus the API server's HTTP status, or 0 when the failure was not an HTTP answer
 * @param attempt how many times in a row this namespace failed, at least 1
 * @param retryIn when it is tried again
 */
public record SyncFailure(
    String namespace, String message, int httpStatus, int attempt, Duration retryIn) {

  /**
   * Checks the values.
   *
   * @param namespace the namespace
   * @param message what failed
   * @param httpStatus the HTTP status, or 0
   * @param attempt failures in a row, at least 1
   * @param retryIn when it is tried again
   * @throws NullPointerException naming a missing component
   */
  public SyncFailure {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(retryIn, "retryIn");
  }

  /**
   * Whether RBAC denied the request, i.e. a user must grant a permission.
   *
   * @return true for HTTP 403
   */
  public boolean forbidden() {
    return httpStatus == 403;
  }
}
