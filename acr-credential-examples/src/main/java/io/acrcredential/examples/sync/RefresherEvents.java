package io.acrcredential.examples.sync;

import io.acrcredential.core.RefreshFailure;
import io.acrcredential.core.TokenException;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1EventSource;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The refresher's Warning Events on its configuration object (the ConfigMap): configuration
 * problems, registration problems and ACR refresh failures. A configuration read from a file has no
 * object, so nothing is recorded then. Messages are cut to 1,000 characters and never hold a
 * secret.
 */
final class RefresherEvents {

  // under the refresher's name, as before the split: log filters keep working
  private static final Logger LOG = LoggerFactory.getLogger(Refresher.class);

  private final ApiClient api;
  private final String reportingInstance;

  RefresherEvents(ApiClient api, String reportingInstance) {
    this.api = api;
    this.reportingInstance = reportingInstance;
  }

  /** A Warning Event on the snapshot's object, if it has one ({@code snapshot} may be null). */
  void warn(ConfigSource.Snapshot snapshot, String reason, String text, String what) {
    if (snapshot != null && snapshot.involvedObject().isPresent()) {
      record(snapshot.involvedObject().get(), reason, text, what);
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
    record(snapshot.involvedObject().get(), "TokenRefreshFailed", message, "the ACR failure");
  }

  private void record(V1ObjectReference ref, String reason, String text, String what) {
    String message = text.length() > 1000 ? text.substring(0, 997) + "..." : text;
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    CoreV1Event event =
        new CoreV1Event()
            .metadata(
                new V1ObjectMeta().namespace(ref.getNamespace()).generateName(ref.getName() + "."))
            .involvedObject(ref)
            .reason(reason)
            .message(message)
            .type("Warning")
            .source(new V1EventSource().component(Refresher.COMPONENT))
            .reportingComponent(Refresher.COMPONENT)
            .reportingInstance(reportingInstance)
            .firstTimestamp(now)
            .lastTimestamp(now)
            .count(1);
    try {
      new CoreV1Api(api).createNamespacedEvent(ref.getNamespace(), event).execute();
    } catch (ApiException e) {
      LOG.warn("could not record {} as an Event: {}", what, KubeErrors.describe(api, e));
    }
  }
}
