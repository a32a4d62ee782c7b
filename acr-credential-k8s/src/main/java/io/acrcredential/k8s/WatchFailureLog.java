package io.acrcredential.k8s;

import io.kubernetes.client.openapi.ApiException;
import org.slf4j.Logger;

/**
 * How one informer's list and watch failures are logged: the first HTTP 403 at warn (it names what
 * RBAC must grant), later ones not again, any other failure at debug (the informer retries).
 */
final class WatchFailureLog {

  private volatile boolean forbiddenReported;

  /**
   * Logs a failure of the informer.
   *
   * @param log the informer owner's logger
   * @param error what the list or watch threw
   * @param forbidden the warning for HTTP 403, with one {@code {}} for {@code subject}
   * @param other the debug line, with {@code {}} for {@code subject} and one for the error
   * @param subject what the informer watches
   */
  void failed(Logger log, Throwable error, String forbidden, String other, Object subject) {
    if (error instanceof ApiException api && api.getCode() == 403) {
      if (!forbiddenReported) {
        forbiddenReported = true;
        log.warn(forbidden, subject);
      }
    } else {
      log.debug(other, subject, error.toString());
    }
  }
}
