package io.acrcredential.examples.sync;

import io.acrcredential.core.RefreshFailure;
import io.acrcredential.core.TokenException;
import io.acrcredential.k8s.WarningEvents;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1ObjectReference;

/**
 * The refresher's Warning Events on its configuration object (the ConfigMap): configuration
 * problems, registration problems and ACR refresh failures, written by the library's unfenced
 * {@link WarningEvents}, leading or not: a configuration problem is found by every replica, before
 * and without leadership, and was always recorded so (a fenced recorder would drop it). The callers
 * decide what repeats: the applier reports a changed list of problems, the registration keeper each
 * new problem, the refresh failures the 1st, 2nd, 4th... in a row. A configuration read from a file
 * has no object, so nothing is recorded then.
 */
final class RefresherEvents {

  private final WarningEvents events;

  RefresherEvents(ApiClient api, String reportingInstance) {
    this.events = WarningEvents.unfenced(api, Refresher.COMPONENT, reportingInstance);
  }

  /** A Warning Event on the snapshot's object, if it has one ({@code snapshot} may be null). */
  void warn(ConfigSource.Snapshot snapshot, String reason, String text) {
    if (snapshot != null && snapshot.involvedObject().isPresent()) {
      record(snapshot.involvedObject().get(), reason, text);
    }
  }

  /**
   * A Warning Event when ACR tokens cannot be refreshed, saying whether Secrets still hold a valid
   * token and until when. The exception's message names what to fix and never contains a secret.
   */
  void refreshFailed(ConfigSource.Snapshot snapshot, RefreshFailure failure) {
    if (snapshot == null || snapshot.involvedObject().isEmpty()) {
      return;
    }
    TokenException e = failure.exception();
    String message =
        "cannot refresh the ACR token for "
            + failure.target().describe()
            + " ("
            + failure.consecutiveFailures()
            + " failure(s) in a row"
            + e.errorCode().map(c -> ", code " + c).orElse("")
            + "): "
            + e.getMessage()
            + "; "
            + failure
                .servedUntil()
                .map(t -> "pull Secrets keep the current token, valid until " + t)
                .orElse("no valid token is held: pull Secrets are not updated")
            + "; next attempt at "
            + failure.nextAttempt();
    record(snapshot.involvedObject().get(), "TokenRefreshFailed", message);
  }

  private void record(V1ObjectReference ref, String reason, String text) {
    events.warn(ref.getNamespace(), ref, reason, text);
  }
}
