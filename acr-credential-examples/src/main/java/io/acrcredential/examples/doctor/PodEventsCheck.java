package io.acrcredential.examples.doctor;

import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** What the kubelet reported about the Pod's pulls. */
final class PodEventsCheck implements Step {

  @Override
  public void run(Findings f) {
    events(f);
  }

  private static void events(Findings f) {
    if (f.pod == null) {
      f.na("events", "no Pod");
      return;
    }
    String name = f.pod.getMetadata().getName();
    String ref = f.ns + "/" + name;
    List<CoreV1Event> events;
    try {
      events =
          f.core
              .listNamespacedEvent(f.ns)
              .fieldSelector("involvedObject.kind=Pod,involvedObject.name=" + name)
              .execute()
              .getItems();
    } catch (ApiException e) {
      f.unknown("events", Doctor.apiProblem(e, "list", "events", f.ns));
      return;
    }
    boolean failing = false;
    if (f.pod.getStatus() != null && f.pod.getStatus().getContainerStatuses() != null) {
      for (V1ContainerStatus cs : f.pod.getStatus().getContainerStatuses()) {
        if (cs.getState() != null
            && cs.getState().getWaiting() != null
            && TargetCheck.pullFailure(cs.getState().getWaiting().getReason())) {
          failing = true;
        }
      }
    }
    CoreV1Event last =
        events.stream()
            .filter(
                e ->
                    "Failed".equals(e.getReason())
                        && e.getMessage() != null
                        && e.getMessage().toLowerCase(Locale.ROOT).contains("pull"))
            .max(Comparator.comparing(PodEventsCheck::eventTime))
            .orElse(null);
    if (last == null) {
      f.pass(
          "events",
          failing
              ? "Pod " + ref + " waits in image pull back-off, no event says why"
              : "no image pull failure reported for Pod " + ref);
      return;
    }
    String msg = last.getMessage().toLowerCase(Locale.ROOT);
    String kind =
        msg.contains("401")
                || msg.contains("unauthorized")
                || msg.contains("authorization failed")
                || msg.contains("authentication required")
            ? "401 unauthorized"
            : msg.contains("not found") || msg.contains("manifest unknown")
                ? "not found"
                : msg.contains("403") || msg.contains("denied") ? "denied" : "failed";
    String detail =
        "kubelet: pull "
            + kind
            + " at "
            + eventTime(last)
            + ": "
            + Text.bounded(last.getMessage(), 240);
    if (!failing
        && !events.isEmpty()
        && f.pod.getStatus() != null
        && "Running".equals(f.pod.getStatus().getPhase())) {
      f.pass("events", "earlier " + detail);
      return;
    }
    f.add(
        "events",
        Outcome.FAILED,
        detail,
        Doctor.RANK_EVENTS,
        "the kubelet could not pull " + f.image + " (" + kind + ");",
        "no cause found above: if they all pass now, the next retry should succeed",
        "(or delete Pod " + ref + " to retry at once)");
  }

  static Instant eventTime(CoreV1Event e) {
    if (e.getLastTimestamp() != null) {
      return e.getLastTimestamp().toInstant();
    }
    if (e.getEventTime() != null) {
      return e.getEventTime().toInstant();
    }
    return e.getMetadata().getCreationTimestamp() == null
        ? Instant.EPOCH
        : e.getMetadata().getCreationTimestamp().toInstant();
  }
}
