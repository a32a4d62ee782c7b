package io.acrcredential.examples.sync;

import com.google.gson.reflect.TypeToken;
import io.acrcredential.k8s.config.WebhookSettings;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfigurationList;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.Watch;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one MutatingWebhookConfiguration in line with the ConfigMap's {@code webhook-configuration}
 * while this replica leads and the webhook is enabled. A user's object (the refresher serves
 * certificate files) only gets {@code failurePolicy} and {@code timeoutSeconds} of one entry
 * ({@link RegistrationFields}) and is never created or deleted; the refresher's own ({@link Owned},
 * its own certificate) is created, kept whole ({@link OwnedRegistration}) and removed on {@link
 * #remove()}. Nothing is written when the object already matches. The object is watched by name
 * ({@code fieldSelector metadata.name}), so a manual change is repaired at once.
 */
public final class WebhookRegistration implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookRegistration.class);
  public static final String DEFAULT_CONFIGURATION = "acr-credential";
  public static final String DEFAULT_WEBHOOK = "pods.acr-credential.io";
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

  /**
   * The registration the refresher keeps itself (with its own certificate): the whole object is
   * created, kept equal to {@link OwnedRegistration#desired} and, on {@link #remove()}, deleted.
   *
   * @param ownNamespace the refresher's namespace: its Pods are never sent to the webhook
   * @param url where the API server calls ({@code https://HOST:PORT} + {@link
   *     PodPullSecretWebhook#PATH}), or empty for the Service
   * @param serviceName the Service in {@code ownNamespace} in front of the replicas
   * @param servicePort the Service's port
   */
  record Owned(String ownNamespace, Optional<String> url, String serviceName, int servicePort) {}

  private final ApiClient api;
  private final ApiClient watchClient;
  private final Target target;
  private final Consumer<String> reportProblem;
  private final Optional<Owned> owned;
  private byte[] caBundle; // guarded by this; owned mode: null until a certificate is issued
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
    this(api, watchClient, target, Optional.empty(), reportProblem);
  }

  /**
   * @param owned the refresher's own registration (created, kept whole and removed), or empty to
   *     patch only the two fields of a hand-made one
   */
  WebhookRegistration(
      ApiClient api,
      ApiClient watchClient,
      Target target,
      Optional<Owned> owned,
      Consumer<String> reportProblem) {
    this.api = api;
    this.watchClient = watchClient;
    this.target = target;
    this.owned = owned;
    this.reportProblem = reportProblem;
  }

  /** Owned mode: the CA bundle (PEM) to register; applied at once while managing. */
  void caBundle(byte[] pem) {
    boolean managing;
    synchronized (this) {
      if (java.util.Arrays.equals(pem, caBundle)) {
        return;
      }
      caBundle = pem.clone();
      managing = wanted != null && watcher != null;
    }
    if (managing) {
      reconcileFresh();
    }
  }

  /**
   * Owned mode: stops managing and deletes the object ({@code enable: false} on the leader).
   * Nothing happens when it is already gone.
   */
  void remove() {
    if (owned.isEmpty()) {
      return;
    }
    manage(Optional.empty());
    try {
      AdmissionregistrationV1Api admission = new AdmissionregistrationV1Api(api);
      V1MutatingWebhookConfiguration current =
          admission.readMutatingWebhookConfiguration(target.configurationName()).execute();
      if (!OwnedRegistration.isOurs(current)) {
        LOG.info("{} was not created by acr-credential: left in place", target.describe());
        return;
      }
      admission
          .deleteMutatingWebhookConfiguration(target.configurationName())
          .body(
              new io.kubernetes.client.openapi.models.V1DeleteOptions()
                  .preconditions(
                      new io.kubernetes.client.openapi.models.V1Preconditions()
                          .uid(current.getMetadata().getUid())
                          .resourceVersion(current.getMetadata().getResourceVersion())))
          .execute();
      LOG.info("{} removed (webhook-configuration enable: false)", target.describe());
    } catch (ApiException e) {
      if (e.getCode() == 403) {
        // without the permission to read it the refresher cannot have created it either (a
        // refresher deployed without the webhook's RBAC): nothing to remove
        LOG.debug("{} not readable (403): not removed", target.describe());
      } else if (e.getCode() != 404) {
        LOG.warn("cannot remove {}: {}", target.describe(), KubeErrors.describe(api, e));
      }
    }
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
      if (owned.isPresent()) {
        if (reconcileOwned(current, w)) {
          return;
        }
        current =
            new AdmissionregistrationV1Api(api)
                .readMutatingWebhookConfiguration(target.configurationName())
                .execute();
        if (attempt >= CONFLICT_RETRIES) {
          return;
        }
        continue;
      }
      synchronized (this) {
        RegistrationFields.Plan plan = RegistrationFields.plan(current, target, w);
        if (plan instanceof RegistrationFields.Unchanged) {
          resolved();
          return;
        }
        if (plan instanceof RegistrationFields.Impossible i) {
          problem(i.problem());
          return;
        }
        RegistrationFields.Patch p = (RegistrationFields.Patch) plan;
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
              RegistrationFields.policy(w.failurePolicy()),
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

  /**
   * Owned mode: replaces the object when it differs from {@link OwnedRegistration#desired} (with
   * the resourceVersion read). Returns false on a conflict (read again).
   */
  private boolean reconcileOwned(V1MutatingWebhookConfiguration current, WebhookSettings w)
      throws ApiException {
    V1MutatingWebhookConfiguration want;
    synchronized (this) {
      if (caBundle == null) {
        return true; // no certificate yet: registered once there is one
      }
      want = OwnedRegistration.desired(target, owned.get(), w, caBundle);
    }
    if (!OwnedRegistration.isOurs(current)) {
      problem(OwnedRegistration.notOurs(target));
      return true;
    }
    if (OwnedRegistration.matches(current, want)) {
      resolved();
      return true;
    }
    want.getMetadata().resourceVersion(current.getMetadata().getResourceVersion());
    try {
      new AdmissionregistrationV1Api(api)
          .replaceMutatingWebhookConfiguration(target.configurationName(), want)
          .fieldManager(Refresher.COMPONENT)
          .execute();
      LOG.info(
          "{}: updated (failurePolicy {}, timeoutSeconds {}, caBundle of {} byte(s))",
          target.describe(),
          RegistrationFields.policy(w.failurePolicy()),
          w.timeoutSeconds(),
          want.getWebhooks().get(0).getClientConfig().getCaBundle().length);
      resolved();
      return true;
    } catch (ApiException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw e;
    }
  }

  /** Owned mode: creates the object; 409 means another replica did (the watch sees it). */
  private void createOwned() {
    V1MutatingWebhookConfiguration want;
    synchronized (this) {
      if (caBundle == null || wanted == null) {
        return;
      }
      want = OwnedRegistration.desired(target, owned.get(), wanted, caBundle);
    }
    try {
      new AdmissionregistrationV1Api(api)
          .createMutatingWebhookConfiguration(want)
          .fieldManager(Refresher.COMPONENT)
          .execute();
      LOG.info(
          "{} created: Pods in every namespace but {} go to {}",
          target.describe(),
          owned.get().ownNamespace(),
          owned
              .get()
              .url()
              .orElse(
                  "Service "
                      + owned.get().ownNamespace()
                      + "/"
                      + owned.get().serviceName()
                      + ":"
                      + owned.get().servicePort()));
      resolved();
    } catch (ApiException e) {
      if (e.getCode() == 409) {
        return;
      }
      if (e.getCode() == 403) {
        problem(
            "cannot create "
                + target.describe()
                + ": forbidden; grant create on mutatingwebhookconfigurations"
                + " (admissionregistration.k8s.io) and get, list, watch, update, delete with"
                + " resourceNames ["
                + target.configurationName()
                + "] (see acr-credential-examples/deploy/webhook/rbac.yaml)");
      } else {
        LOG.warn("cannot create {}: {}", target.describe(), KubeErrors.describe(api, e));
      }
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
    if (owned.isPresent()) {
      createOwned();
      return;
    }
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
