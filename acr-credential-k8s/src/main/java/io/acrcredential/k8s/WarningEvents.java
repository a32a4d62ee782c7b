package io.acrcredential.k8s;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1EventSource;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@code core/v1} Warning Events on the object a user must fix; messages are cut to 1,000
 * characters and must never hold a secret. A write that fails is logged, never thrown: an Event is
 * only a hint.
 *
 * <p>The sync's own recorder reports each (object version, reason, message) once, waits for the
 * client-side write limit, and writes only while its leadership fence is open (no write but the
 * Lease once leadership is lost; the new leader reports what still holds). The recorder an embedder
 * gets from {@link #unfenced} writes every call at once, leading or not: for problems every replica
 * sees (an invalid configuration, a registry it cannot reach), where the caller decides what is
 * news. Thread-safe.
 */
public final class WarningEvents {

  private static final Logger LOG = LoggerFactory.getLogger(WarningEvents.class);
  private static final int REMEMBERED = 4096;
  private static final int MAX_MESSAGE = 1000;

  private final CoreV1Api api;
  private final String component;
  private final String instance;
  private final WriteLimiter limiter; // null: no limit
  private final BooleanSupplier mayWrite;
  private final Set<String> reported; // null: every call is written

  private WarningEvents(
      CoreV1Api api,
      String component,
      String instance,
      WriteLimiter limiter,
      BooleanSupplier mayWrite,
      boolean once) {
    this.api = api;
    this.component = Objects.requireNonNull(component, "component");
    this.instance = Objects.requireNonNull(instance, "instance");
    this.limiter = limiter;
    this.mayWrite = mayWrite;
    this.reported =
        once
            ? Collections.newSetFromMap(
                Collections.synchronizedMap(
                    new LinkedHashMap<>() {
                      private static final long serialVersionUID = 1L;

                      @Override
                      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                        return size() > REMEMBERED;
                      }
                    }))
            : null;
  }

  /**
   * A recorder that writes every call at once, without deduplication, rate limit or leadership
   * fence.
   *
   * @param api the client the Events are created with
   * @param component the Events' {@code source.component} and {@code reportingComponent}
   * @param instance their {@code reportingInstance} (a Pod or Lease identity)
   * @return the recorder
   * @throws NullPointerException naming a missing value
   */
  public static WarningEvents unfenced(ApiClient api, String component, String instance) {
    return new WarningEvents(
        new CoreV1Api(Objects.requireNonNull(api, "api")),
        component,
        instance,
        null,
        () -> true,
        false);
  }

  /** The sync's recorder: once per key, through the write limit, while the fence is open. */
  static WarningEvents fenced(
      CoreV1Api api, String component, String instance, WriteLimiter limiter, WriteFence fence) {
    return new WarningEvents(api, component, instance, limiter, fence::mayWrite, true);
  }

  /**
   * Records a Warning Event (the unfenced recorder: always; the sync's: as described above).
   *
   * @param eventNamespace where the Event object is created (a cluster-scoped object's in {@code
   *     default})
   * @param involved the object the Event is about
   * @param reason a CamelCase reason such as {@code InvalidConfiguration}
   * @param message what to fix; never a credential
   * @throws NullPointerException naming a missing value
   */
  public void warn(
      String eventNamespace, V1ObjectReference involved, String reason, String message) {
    try {
      report(eventNamespace, involved, reason, message);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** As {@link #warn}, for the sync's workers: an interruption while waiting is passed on. */
  void report(String eventNamespace, V1ObjectReference involved, String reason, String message)
      throws InterruptedException {
    Objects.requireNonNull(eventNamespace, "eventNamespace");
    Objects.requireNonNull(involved, "involved");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    String key =
        eventNamespace
            + "|"
            + involved.getKind()
            + "|"
            + involved.getName()
            + "|"
            + involved.getResourceVersion()
            + "|"
            + reason
            + "|"
            + message;
    if (reported != null && !reported.add(key)) {
      return;
    }
    String text =
        message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    CoreV1Event event =
        new CoreV1Event()
            .metadata(
                new V1ObjectMeta()
                    .namespace(eventNamespace)
                    .generateName(shorten(involved.getName()) + "."))
            .involvedObject(involved)
            .reason(reason)
            .message(text)
            .type("Warning")
            .source(new V1EventSource().component(component))
            .reportingComponent(component)
            .reportingInstance(instance)
            .firstTimestamp(now)
            .lastTimestamp(now)
            .count(1);
    if (limiter != null) {
      limiter.acquire();
    }
    if (!mayWrite.getAsBoolean()) {
      // Not an error: an Event is only a hint, and the new leader reports what still holds.
      forget(key);
      return;
    }
    try {
      api.createNamespacedEvent(eventNamespace, event).execute();
    } catch (ApiException e) {
      forget(key);
      LOG.warn(
          "could not record event {} on {} {}/{}: {}",
          reason,
          involved.getKind(),
          eventNamespace,
          involved.getName(),
          e.getCode() == 0
              ? "cannot reach the API server at " + api.getApiClient().getBasePath()
              : "HTTP " + e.getCode());
    }
  }

  private void forget(String key) {
    if (reported != null) {
      reported.remove(key);
    }
  }

  private static String shorten(String name) {
    return name == null ? "event" : name.length() > 200 ? name.substring(0, 200) : name;
  }
}
