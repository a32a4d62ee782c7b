package io.acrcredential.examples;

import com.google.gson.reflect.TypeToken;
import io.acrcredential.k8s.config.WebhookSettings;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfigurationList;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.Watch;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code failurePolicy} and {@code timeoutSeconds} of one entry of one
 * MutatingWebhookConfiguration equal to the ConfigMap's {@code webhook-configuration}, while this
 * replica leads and the webhook is enabled. Only those two fields of the entry with the given name
 * are written (a strategic-merge patch keyed by the entry's name, carrying the resourceVersion that
 * was read, so a concurrent change gives 409 and a fresh read); the object is never created or
 * deleted, and nothing is written when the values already match. The object is watched by name
 * ({@code fieldSelector metadata.name}), so a manual change is repaired at once.
 */
final class WebhookRegistration implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookRegistration.class);
  static final String DEFAULT_CONFIGURATION = "acr-credential";
  static final String DEFAULT_WEBHOOK = "pods.acr-credential.io";
  private static final int WATCH_SECONDS = 300;
  private static final long RETRY_MILLIS = 30_000;
  private static final int CONFLICT_RETRIES = 5;

  /**
   * What to manage.
   *
   * @param configurationName the MutatingWebhookConfiguration's name
   * @param webhookName the name of its entry under {@code webhooks}
   */
  record Target(String configurationName, String webhookName) {
    String describe() {
      return "MutatingWebhookConfiguration " + configurationName + " (webhook " + webhookName + ")";
    }
  }

  /** What to do with one version of the object. */
  sealed interface Plan {}

  /** The entry already has the wanted values: no write. */
  record Unchanged() implements Plan {}

  /**
   * The entry differs: this strategic-merge patch sets the two fields.
   *
   * @param json the patch body
   * @param from the values found, for the log
   */
  record Patch(String json, String from) implements Plan {}

  /**
   * Nothing can be done with this version.
   *
   * @param problem why, naming what to fix
   */
  record Impossible(String problem) implements Plan {}

  /**
   * The patch that gives the named entry the wanted failure policy and timeout, or why there is
   * none. Other entries and fields are not part of the patch.
   */
  static Plan plan(V1MutatingWebhookConfiguration current, Target target, WebhookSettings wanted) {
    List<V1MutatingWebhook> hooks =
        current.getWebhooks() == null ? List.of() : current.getWebhooks();
    V1MutatingWebhook entry =
        hooks.stream()
            .filter(h -> target.webhookName().equals(h.getName()))
            .findFirst()
            .orElse(null);
    if (entry == null) {
      return new Impossible(
          target.describe()
              + " has no webhook entry named "
              + target.webhookName()
              + " (it has "
              + hooks.stream().map(V1MutatingWebhook::getName).toList()
              + "); give its name with --webhook-name");
    }
    String policy = policy(wanted.failurePolicy());
    int timeout = wanted.timeoutSeconds();
    if (policy.equals(entry.getFailurePolicy())
        && Objects.equals(timeout, entry.getTimeoutSeconds())) {
      return new Unchanged();
    }
    Map<String, Object> hook = new LinkedHashMap<>();
    hook.put("name", target.webhookName());
    hook.put("failurePolicy", policy);
    hook.put("timeoutSeconds", timeout);
    Map<String, Object> patch = new LinkedHashMap<>();
    patch.put("metadata", Map.of("resourceVersion", current.getMetadata().getResourceVersion()));
    patch.put("webhooks", List.of(hook));
    String json;
    try {
      json = Json.MAPPER.writeValueAsString(patch);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return new Patch(
        json,
        "failurePolicy "
            + entry.getFailurePolicy()
            + ", timeoutSeconds "
            + entry.getTimeoutSeconds());
  }

  /** {@code Ignore} or {@code Fail}, as the API spells them. */
  static String policy(WebhookSettings.FailurePolicy p) {
    String n = p.name().toLowerCase(Locale.ROOT);
    return Character.toUpperCase(n.charAt(0)) + n.substring(1);
  }

  private final ApiClient api;
  private final ApiClient watchClient;
  private final Target target;
  private final Consumer<String> reportProblem;
  private WebhookSettings wanted; // guarded by this; null = not managing
  private Thread watcher; // guarded by this
  private Watch<V1MutatingWebhookConfiguration> watch; // guarded by this
  private String lastProblem = ""; // guarded by this
  private volatile boolean closed;

  /**
   * @param api client for reads and patches
   * @param watchClient client without a read timeout, for the watch
   * @param target what to manage
   * @param reportProblem told once per distinct problem (missing object or entry, denied); logs and
   *     records the Event
   */
  WebhookRegistration(
      ApiClient api, ApiClient watchClient, Target target, Consumer<String> reportProblem) {
    this.api = api;
    this.watchClient = watchClient;
    this.target = target;
    this.reportProblem = reportProblem;
  }

  Target target() {
    return target;
  }

  /**
   * Manages the object with these values while {@code desired} is present (leading and the webhook
   * enabled), stops otherwise. New values are applied at once.
   */
  void manage(Optional<WebhookSettings> desired) {
    boolean start;
    synchronized (this) {
      WebhookSettings next = closed ? null : desired.orElse(null);
      boolean changed = !Objects.equals(next, wanted);
      wanted = next;
      if (next == null) {
        stopWatcher();
        return;
      }
      start = watcher == null;
      if (start) {
        watcher = new Thread(this::watchLoop, "acr-webhook-registration");
        watcher.setDaemon(true);
        watcher.start();
        return; // the watcher reads and reconciles first
      }
      if (!changed) {
        return;
      }
    }
    reconcileFresh();
  }

  /** Reads the object now and reconciles it. */
  private void reconcileFresh() {
    try {
      V1MutatingWebhookConfiguration current =
          new AdmissionregistrationV1Api(api)
              .readMutatingWebhookConfiguration(target.configurationName())
              .execute();
      reconcile(current);
    } catch (ApiException e) {
      failed(e);
    }
  }

  /** Writes the two fields if they differ; on 409 reads again (a bounded number of times). */
  private void reconcile(V1MutatingWebhookConfiguration current) throws ApiException {
    for (int attempt = 0; ; attempt++) {
      WebhookSettings w;
      synchronized (this) {
        w = wanted;
      }
      if (w == null || closed) {
        return;
      }
      synchronized (this) {
        Plan plan = plan(current, target, w);
        if (plan instanceof Unchanged) {
          resolved();
          return;
        }
        if (plan instanceof Impossible i) {
          problem(i.problem());
          return;
        }
        Patch p = (Patch) plan;
        try {
          PatchUtils.patch(
              V1MutatingWebhookConfiguration.class,
              () ->
                  new AdmissionregistrationV1Api(api)
                      .patchMutatingWebhookConfiguration(
                          target.configurationName(), new V1Patch(p.json()))
                      .fieldManager(Refresher.COMPONENT)
                      .buildCall(null),
              V1Patch.PATCH_FORMAT_STRATEGIC_MERGE_PATCH,
              api);
          LOG.info(
              "{}: set failurePolicy {}, timeoutSeconds {} from the configuration (was {})",
              target.describe(),
              policy(w.failurePolicy()),
              w.timeoutSeconds(),
              p.from());
          resolved();
          return;
        } catch (ApiException e) {
          if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) {
            throw e;
          }
        }
      }
      current =
          new AdmissionregistrationV1Api(api)
              .readMutatingWebhookConfiguration(target.configurationName())
              .execute();
    }
  }

  private void watchLoop() {
    AdmissionregistrationV1Api read = new AdmissionregistrationV1Api(api);
    AdmissionregistrationV1Api watching = new AdmissionregistrationV1Api(watchClient);
    String selector = "metadata.name=" + target.configurationName();
    while (active()) {
      try {
        V1MutatingWebhookConfigurationList list =
            read.listMutatingWebhookConfiguration().fieldSelector(selector).execute();
        if (list.getItems().isEmpty()) {
          missing();
        } else {
          reconcile(list.getItems().get(0));
        }
        String rv = list.getMetadata().getResourceVersion();
        Watch<V1MutatingWebhookConfiguration> w =
            Watch.createWatch(
                watchClient,
                watching
                    .listMutatingWebhookConfiguration()
                    .fieldSelector(selector)
                    .resourceVersion(rv)
                    .allowWatchBookmarks(false)
                    .timeoutSeconds(WATCH_SECONDS)
                    .watch(true)
                    .buildCall(null),
                new TypeToken<Watch.Response<V1MutatingWebhookConfiguration>>() {}.getType());
        synchronized (this) {
          if (!active()) {
            w.close();
            return;
          }
          watch = w;
        }
        try (w) {
          for (Watch.Response<V1MutatingWebhookConfiguration> event : w) {
            if (!active()) {
              return;
            }
            switch (event.type) {
              case "ADDED", "MODIFIED" -> reconcile(event.object);
              case "DELETED" -> missing();
              default -> {
                // ERROR (e.g. 410 Gone): list again
              }
            }
            if ("ERROR".equals(event.type)) {
              break;
            }
          }
        }
      } catch (ApiException e) {
        if (!active()) {
          return;
        }
        failed(e);
        pause();
      } catch (IOException | RuntimeException e) {
        if (!active()) {
          return;
        }
        LOG.debug("watch of {} ended: {}", target.describe(), e.toString());
        pause();
      }
    }
  }

  private synchronized boolean active() {
    return !closed && wanted != null && watcher == Thread.currentThread();
  }

  private void pause() {
    try {
      Thread.sleep(RETRY_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void missing() {
    problem(
        target.describe()
            + " does not exist, so failure-policy and timeout-seconds of webhook-configuration"
            + " are not applied; create it (kubectl apply -k acr-credential-examples/deploy/webhook)"
            + " or name it with --webhook-configuration-name");
  }

  private void failed(ApiException e) {
    if (e.getCode() == 404) {
      missing();
    } else if (e.getCode() == 403) {
      problem(
          "cannot manage "
              + target.describe()
              + ": forbidden; grant get, list, watch and patch on"
              + " mutatingwebhookconfigurations (admissionregistration.k8s.io) with resourceNames ["
              + target.configurationName()
              + "] (see acr-credential-examples/deploy/webhook/rbac.yaml)");
    } else {
      LOG.warn("cannot manage {}: {}", target.describe(), KubeErrors.describe(api, e));
    }
  }

  private synchronized void problem(String text) {
    if (!text.equals(lastProblem)) {
      lastProblem = text;
      reportProblem.accept(text);
    }
  }

  private synchronized void resolved() {
    if (!lastProblem.isEmpty()) {
      LOG.info("{} is managed again", target.describe());
      lastProblem = "";
    }
  }

  private synchronized void stopWatcher() {
    if (watcher != null) {
      Thread t = watcher;
      watcher = null;
      t.interrupt();
    }
    if (watch != null) {
      try {
        watch.close();
      } catch (IOException e) {
        // closing
      }
      watch = null;
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      wanted = null;
      stopWatcher();
    }
  }
}
