package io.acrcredential.k8s.webhook;

import com.google.gson.reflect.TypeToken;
import io.acrcredential.k8s.config.WebhookSettings;
import io.acrcredential.k8s.internal.ApiErrors;
import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.models.V1DeleteOptions;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfigurationList;
import io.kubernetes.client.openapi.models.V1Preconditions;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.Watch;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one MutatingWebhookConfiguration in line with the ConfigMap's {@code webhook-configuration}
 * ({@link WebhookSettings}) while the caller {@link #manage manages} it, normally while its replica
 * leads and the webhook is enabled. A user's object (the embedder serves certificate files) only
 * gets {@code failurePolicy} and {@code timeoutSeconds} of one entry and is never created or
 * deleted; an {@link Owned} one (the embedder's own certificate, {@link #caBundle}) is created,
 * kept whole ({@link #ownedConfiguration}) and deleted by {@link #remove()}. Nothing is written
 * when the object already matches; it is watched by name, so a manual change is repaired at once.
 *
 * <p>Thread-safe. Problems that need a person (object or entry missing, permission denied) go once
 * each to the {@link WebhookRegistrationBuilder#onProblem} callback as a {@link
 * RegistrationProblem}.
 */
public final class WebhookRegistration implements AutoCloseable {

  static final Logger LOG = LoggerFactory.getLogger(WebhookRegistration.class);

  /** The MutatingWebhookConfiguration's name the shipped manifests use. */
  public static final String DEFAULT_CONFIGURATION = "acr-credential";

  /** The name of its entry under {@code webhooks} in the shipped manifests. */
  public static final String DEFAULT_WEBHOOK = "pods.acr-credential.io";

  /** Field manager of every write and value of the labels on an owned object. */
  static final String MANAGER = "acr-credential";

  private static final int WATCH_SECONDS = 300;
  private static final long RETRY_MILLIS = 30_000;
  private static final int CONFLICT_RETRIES = 5;

  /**
   * What to keep.
   *
   * @param configurationName the MutatingWebhookConfiguration's name
   * @param webhookName the name of its entry under {@code webhooks}
   */
  public record Target(String configurationName, String webhookName) {

    /**
     * Checks the values.
     *
     * @param configurationName the MutatingWebhookConfiguration's name
     * @param webhookName the name of its entry under {@code webhooks}
     * @throws NullPointerException naming a missing value
     * @throws IllegalArgumentException when a name is not a DNS-1123 subdomain (the API server's
     *     rule for both; the configuration name also goes into the watch's field selector)
     */
    public Target {
      check("configurationName", Objects.requireNonNull(configurationName, "configurationName"));
      check("webhookName", Objects.requireNonNull(webhookName, "webhookName"));
    }

    private static void check(String what, String name) {
      String problem = Names.checkDnsSubdomain(name);
      if (problem != null) {
        throw new IllegalArgumentException(
            "invalid " + what + " " + Echo.quote(name) + ": " + problem);
      }
    }

    /**
     * For log lines and problems.
     *
     * @return {@code MutatingWebhookConfiguration NAME (webhook ENTRY)}
     */
    public String describe() {
      return "MutatingWebhookConfiguration " + configurationName + " (webhook " + webhookName + ")";
    }
  }

  /**
   * A registration the embedder keeps whole (it serves with its own certificate): created, kept
   * equal to {@link #ownedConfiguration} and deleted on {@link #remove()}.
   *
   * @param ownNamespace the embedder's namespace: its Pods are never sent to the webhook
   * @param url where the API server calls ({@code https://HOST:PORT} + {@link
   *     PodPullSecretWebhook#PATH}), or empty for the Service
   * @param serviceName the Service in {@code ownNamespace} in front of the replicas
   * @param servicePort the Service's port
   */
  public record Owned(
      String ownNamespace, Optional<String> url, String serviceName, int servicePort) {

    /**
     * Checks the values.
     *
     * @param ownNamespace the embedder's namespace
     * @param url the webhook's URL, or empty for the Service
     * @param serviceName the Service's name
     * @param servicePort the Service's port
     * @throws NullPointerException naming a missing value
     * @throws IllegalArgumentException when the namespace or the Service's name is not a DNS-1123
     *     label, the port is not 1 to 65535 or the URL does not start with {@code https://} (a
     *     namespace the API server never has would exclude nothing: the embedder's own Pods would
     *     then wait for its webhook)
     */
    public Owned {
      check("ownNamespace", Objects.requireNonNull(ownNamespace, "ownNamespace"));
      Objects.requireNonNull(url, "url");
      check("serviceName", Objects.requireNonNull(serviceName, "serviceName"));
      if (servicePort < 1 || servicePort > 65535) {
        throw new IllegalArgumentException(
            "invalid servicePort " + servicePort + ": expected 1 to 65535");
      }
      if (url.isPresent() && !url.get().startsWith("https://")) {
        throw new IllegalArgumentException(
            "invalid url "
                + Echo.quote(url.get())
                + ": the API server calls https://HOST:PORT/...");
      }
    }

    private static void check(String what, String name) {
      String problem = Names.checkDnsLabel(name);
      if (problem != null) {
        throw new IllegalArgumentException(
            "invalid " + what + " " + Echo.quote(name) + ": " + problem);
      }
    }
  }

  private final ApiClient api;
  private final ApiClient watchClient;
  private final Target target;
  private final Consumer<RegistrationProblem> reportProblem;
  private final Optional<Owned> owned;
  private byte[] caBundle; // guarded by this; owned mode: null until a certificate is issued
  private WebhookSettings wanted; // guarded by this; null = not managing
  private Thread watcher; // guarded by this
  private Watch<V1MutatingWebhookConfiguration> watch; // guarded by this
  private RegistrationProblem lastProblem; // guarded by this; null = none
  private volatile boolean closed;

  WebhookRegistration(WebhookRegistrationBuilder b) {
    this.api = b.api;
    this.watchClient = b.watchClient;
    this.target = b.target;
    this.owned = b.owned;
    this.reportProblem = b.onProblem;
  }

  /**
   * Starts a builder.
   *
   * @param api client for reads and writes
   * @param watchClient client without a read timeout, for the watch
   * @param target the object and entry to keep
   * @return a new builder
   * @throws NullPointerException naming a missing value
   */
  public static WebhookRegistrationBuilder builder(
      ApiClient api, ApiClient watchClient, Target target) {
    return new WebhookRegistrationBuilder(api, watchClient, target);
  }

  /**
   * The object an {@link Owned} registration is kept equal to: one entry for Pod CREATE with the
   * configuration's failure policy and timeout, the CA bundle, and neither {@code ownNamespace} nor
   * Pods labelled {@code app.kubernetes.io/name: acr-credential}.
   *
   * @param target the object's and the entry's names
   * @param owned where the API server calls
   * @param settings the failure policy and timeout
   * @param caBundle the CA certificates (PEM) the API server trusts for the call
   * @return a new object, the caller's to change
   */
  public static V1MutatingWebhookConfiguration ownedConfiguration(
      Target target, Owned owned, WebhookSettings settings, byte[] caBundle) {
    return OwnedRegistration.desired(
        Objects.requireNonNull(target, "target"),
        Objects.requireNonNull(owned, "owned"),
        Objects.requireNonNull(settings, "settings"),
        Objects.requireNonNull(caBundle, "caBundle").clone());
  }

  /**
   * Owned mode: the CA bundle to register, applied at once while managing; until the first one the
   * object is not created.
   *
   * @param pem the CA certificates (PEM) the API server trusts for the call
   * @throws NullPointerException when {@code pem} is null
   */
  public void caBundle(byte[] pem) {
    Objects.requireNonNull(pem, "pem");
    boolean managing;
    synchronized (this) {
      if (Arrays.equals(pem, caBundle)) {
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
   * Owned mode: stops managing and deletes the object if it carries the keeper's label ({@code
   * enable: false} on the leader). Nothing happens when it is gone or was made by someone else; a
   * user's registration is never deleted. A denied delete goes to {@link
   * WebhookRegistrationBuilder#onProblem}: the object then stays registered while its embedder
   * stops serving.
   */
  public void remove() {
    if (owned.isEmpty()) {
      return;
    }
    manage(Optional.empty());
    boolean read = false;
    try {
      V1MutatingWebhookConfiguration current = read();
      read = true;
      if (!OwnedRegistration.isOurs(current)) {
        LOG.info("{} was not created by acr-credential: left in place", target.describe());
        return;
      }
      new AdmissionregistrationV1Api(api)
          .deleteMutatingWebhookConfiguration(target.configurationName())
          .body(
              new V1DeleteOptions()
                  .preconditions(
                      new V1Preconditions()
                          .uid(current.getMetadata().getUid())
                          .resourceVersion(current.getMetadata().getResourceVersion())))
          .execute();
      LOG.info("{} removed (webhook-configuration enable: false)", target.describe());
    } catch (ApiException e) {
      if (e.getCode() == 403 && read) {
        // ours and still registered while its embedder stops serving: with failurePolicy Fail
        // every Pod creation it selects now fails, so a person must know
        problem(RegistrationProblem.cannotRemove(target));
      } else if (e.getCode() == 403) {
        // without the permission to read it the keeper cannot have created it either (deployed
        // without the webhook's RBAC): nothing to remove
        LOG.debug("{} not readable (403): not removed", target.describe());
      } else if (e.getCode() != 404) {
        LOG.warn("cannot remove {}: {}", target.describe(), ApiErrors.describe(api, e));
      }
    }
  }

  /**
   * Keeps the object in line with these values while {@code desired} is present (the caller leads
   * and the webhook is enabled), stops watching and writing otherwise. New values are applied at
   * once; the first call starts a daemon thread that watches the object.
   *
   * @param desired the failure policy and timeout to keep, or empty to stop
   * @throws NullPointerException when {@code desired} is null
   */
  public void manage(Optional<WebhookSettings> desired) {
    Objects.requireNonNull(desired, "desired");
    synchronized (this) {
      WebhookSettings next = closed ? null : desired.orElse(null);
      boolean changed = !Objects.equals(next, wanted);
      wanted = next;
      if (next == null) {
        stopWatcher();
        return;
      }
      if (watcher == null) {
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
      reconcile(read());
    } catch (ApiException e) {
      failed(e);
    }
  }

  private V1MutatingWebhookConfiguration read() throws ApiException {
    return new AdmissionregistrationV1Api(api)
        .readMutatingWebhookConfiguration(target.configurationName())
        .execute();
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
        current = read();
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
                      .fieldManager(MANAGER)
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
      current = read();
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
      problem(RegistrationProblem.notOurs(target));
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
          .fieldManager(MANAGER)
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
          .fieldManager(MANAGER)
          .execute();
      LOG.info(
          "{} created: Pods in every namespace but {} go to {}",
          target.describe(),
          owned.get().ownNamespace(),
          OwnedRegistration.endpoint(owned.get()));
      resolved();
    } catch (ApiException e) {
      if (e.getCode() == 409) {
        return;
      }
      if (e.getCode() == 403) {
        problem(RegistrationProblem.cannotCreate(target));
      } else {
        LOG.warn("cannot create {}: {}", target.describe(), ApiErrors.describe(api, e));
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
    problem(RegistrationProblem.missing(target));
  }

  private void failed(ApiException e) {
    if (e.getCode() == 404) {
      missing();
    } else if (e.getCode() == 403) {
      problem(RegistrationProblem.cannotManage(target, owned.isPresent()));
    } else {
      LOG.warn("cannot manage {}: {}", target.describe(), ApiErrors.describe(api, e));
    }
  }

  private synchronized void problem(RegistrationProblem p) {
    if (!p.equals(lastProblem)) {
      lastProblem = p;
      reportProblem.accept(p);
    }
  }

  private synchronized void resolved() {
    if (lastProblem != null) {
      LOG.info("{} is managed again", target.describe());
      lastProblem = null;
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

  /** Stops watching and writing for good; the object is left as it is. */
  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      wanted = null;
      stopWatcher();
    }
  }
}
