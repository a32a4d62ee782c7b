package io.acrcredential.k8s;

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
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@code core/v1} Warning Events on the object a user must fix. Each (object version,
 * reason, message) is reported once, so a persisting problem does not turn into a write per
 * reconcile. Like every other write, an Event is sent only while the {@link WriteFence} is open: a
 * duplicate from a deposed leader would be harmless, but skipping it keeps the rule simple (no
 * write but the Lease once leadership is lost).
 */
final class EventReporter {

  private static final Logger LOG = LoggerFactory.getLogger(EventReporter.class);
  private static final int REMEMBERED = 4096;

  private final CoreV1Api api;
  private final String component;
  private final String instance;
  private final WriteLimiter limiter;
  private final WriteFence fence;
  private final Set<String> reported =
      Collections.newSetFromMap(
          Collections.synchronizedMap(
              new LinkedHashMap<>() {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                  return size() > REMEMBERED;
                }
              }));

  EventReporter(
      CoreV1Api api, String component, String instance, WriteLimiter limiter, WriteFence fence) {
    this.api = api;
    this.component = component;
    this.instance = instance;
    this.limiter = limiter;
    this.fence = fence;
  }

  /**
   * Reports a warning once per distinct key.
   *
   * @param eventNamespace where the Event object is created
   * @param involved the object the event is about
   * @param reason a CamelCase reason such as {@code NameClash}
   * @param message what to fix; never a credential
   */
  void warn(String eventNamespace, V1ObjectReference involved, String reason, String message)
      throws InterruptedException {
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
    if (!reported.add(key)) {
      return;
    }
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    CoreV1Event event =
        new CoreV1Event()
            .metadata(
                new V1ObjectMeta()
                    .namespace(eventNamespace)
                    .generateName(shorten(involved.getName()) + "."))
            .involvedObject(involved)
            .reason(reason)
            .message(message)
            .type("Warning")
            .source(new V1EventSource().component(component))
            .reportingComponent(component)
            .reportingInstance(instance)
            .firstTimestamp(now)
            .lastTimestamp(now)
            .count(1);
    limiter.acquire();
    if (!fence.mayWrite()) {
      // Not an error: an Event is only a hint, and the new leader reports what still holds.
      reported.remove(key);
      return;
    }
    try {
      api.createNamespacedEvent(eventNamespace, event).execute();
    } catch (ApiException e) {
      reported.remove(key);
      LOG.warn(
          "could not record event {} on {} {}/{}: HTTP {}",
          reason,
          involved.getKind(),
          eventNamespace,
          involved.getName(),
          e.getCode());
    }
  }

  private static String shorten(String name) {
    return name.length() > 200 ? name.substring(0, 200) : name;
  }
}
