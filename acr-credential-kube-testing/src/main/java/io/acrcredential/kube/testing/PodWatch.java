package io.acrcredential.kube.testing;

import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1Pod;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Waits for a Pod on a {@link LocalNode} to run or to fail its image pull; a failed wait describes
 * the Pod's containers, its events and the end of the kubelet's log.
 */
final class PodWatch {

  private static final Duration POLL = Duration.ofMillis(200);

  private final LocalKubeApiServer server;
  private final Supplier<String> kubeletLogTail;

  PodWatch(LocalKubeApiServer server, Supplier<String> kubeletLogTail) {
    this.server = server;
    this.kubeletLogTail = kubeletLogTail;
  }

  V1Pod awaitRunning(String namespace, String pod, Duration timeout) {
    CoreV1Api api = new CoreV1Api(server.adminClient());
    long deadline = System.nanoTime() + timeout.toNanos();
    V1Pod last = null;
    while (System.nanoTime() < deadline) {
      V1Pod read = read(api, namespace, pod, true);
      last = read != null ? read : last;
      String phase = last == null || last.getStatus() == null ? null : last.getStatus().getPhase();
      if ("Running".equals(phase)) {
        return last;
      }
      if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
        break;
      }
      HostChanges.sleep(POLL);
    }
    throw new AssertionError(
        "Pod "
            + namespace
            + "/"
            + pod
            + " is not Running after "
            + timeout.toSeconds()
            + " s: "
            + describe(last));
  }

  String awaitPullFailure(String namespace, String pod, Duration timeout) {
    CoreV1Api api = new CoreV1Api(server.adminClient());
    long deadline = System.nanoTime() + timeout.toNanos();
    V1Pod last = null;
    while (System.nanoTime() < deadline) {
      last = read(api, namespace, pod, false);
      if (last.getStatus() != null && "Running".equals(last.getStatus().getPhase())) {
        throw new AssertionError(
            "Pod " + namespace + "/" + pod + " runs, but its pull was expected to fail");
      }
      for (CoreV1Event event : events(api, last)) {
        if ("Failed".equals(event.getReason())
            && event.getMessage() != null
            && event.getMessage().contains("ailed to pull image")) {
          return event.getMessage();
        }
      }
      HostChanges.sleep(POLL);
    }
    throw new AssertionError(
        "no image pull failure for Pod "
            + namespace
            + "/"
            + pod
            + " within "
            + timeout.toSeconds()
            + " s: "
            + describe(last));
  }

  /** The Pod, or null when it does not exist and {@code mayBeAbsent}. */
  private static V1Pod read(CoreV1Api api, String namespace, String pod, boolean mayBeAbsent) {
    try {
      return api.readNamespacedPod(pod, namespace).execute();
    } catch (ApiException e) {
      if (mayBeAbsent && e.getCode() == 404) {
        return null;
      }
      throw new IllegalStateException("reading Pod " + namespace + "/" + pod, e);
    }
  }

  private String describe(V1Pod pod) {
    if (pod == null) {
      return "the Pod does not exist";
    }
    StringBuilder text = new StringBuilder();
    text.append("phase ").append(pod.getStatus() == null ? null : pod.getStatus().getPhase());
    if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
      for (V1ContainerStatus status : pod.getStatus().getContainerStatuses()) {
        text.append("; container ").append(status.getName()).append(": ");
        if (status.getState() != null && status.getState().getWaiting() != null) {
          text.append(status.getState().getWaiting().getReason())
              .append(" ")
              .append(status.getState().getWaiting().getMessage());
        } else {
          text.append(status.getState());
        }
      }
    }
    CoreV1Api api = new CoreV1Api(server.adminClient());
    for (CoreV1Event event : events(api, pod)) {
      text.append("\n  event ").append(event.getReason()).append(": ").append(event.getMessage());
    }
    text.append("\n--- kubelet log ---\n").append(kubeletLogTail.get());
    return text.toString();
  }

  /** Events of exactly this Pod (by UID: earlier Pods of the same name leave events). */
  private static List<CoreV1Event> events(CoreV1Api api, V1Pod pod) {
    String uid = pod.getMetadata().getUid();
    try {
      return api.listNamespacedEvent(pod.getMetadata().getNamespace())
          .fieldSelector("involvedObject.uid=" + uid)
          .execute()
          .getItems();
    } catch (ApiException e) {
      return List.of();
    }
  }
}
