package io.acrcredential.examples;

import com.google.gson.reflect.TypeToken;
import io.acrcredential.k8s.config.WebhookSettings;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1ServiceReference;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1WebhookClientConfig;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1LabelSelectorRequirement;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfigurationList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1RuleWithOperations;
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

  /**
   * The registration the refresher keeps itself (with its own certificate): the whole object is
   * created, kept equal to {@link #desired} and, on {@link #remove()}, deleted.
   *
   * @param ownNamespace the refresher's namespace: its Pods are never sent to the webhook
   * @param url where the API server calls ({@code https://HOST:PORT} + {@link
   *     PodPullSecretWebhook#PATH}), or empty for the Service
   * @param serviceName the Service in {@code ownNamespace} in front of the replicas
   * @param servicePort the Service's port
   */
  record Owned(String ownNamespace, Optional<String> url, String serviceName, int servicePort) {}

  /**
   * The object the refresher keeps: one entry for Pod CREATE with the configuration's failure
   * policy and timeout, the CA bundle, and neither the refresher's namespace nor its own Pods.
   */
  static V1MutatingWebhookConfiguration desired(
      Target target, Owned owned, WebhookSettings wanted, byte[] caBundle) {
    AdmissionregistrationV1WebhookClientConfig client =
        new AdmissionregistrationV1WebhookClientConfig().caBundle(caBundle);
    if (owned.url().isPresent()) {
      client.url(owned.url().get());
    } else {
      client.service(
          new AdmissionregistrationV1ServiceReference()
              .namespace(owned.ownNamespace())
              .name(owned.serviceName())
              .path(PodPullSecretWebhook.PATH)
              .port(owned.servicePort()));
    }
    V1MutatingWebhook hook =
        new V1MutatingWebhook()
            .name(target.webhookName())
            .admissionReviewVersions(List.of("v1"))
            .sideEffects("None")
            .failurePolicy(policy(wanted.failurePolicy()))
            .timeoutSeconds(wanted.timeoutSeconds())
            .reinvocationPolicy("IfNeeded")
            .matchPolicy("Equivalent")
            .clientConfig(client)
            .rules(
                List.of(
                    new V1RuleWithOperations()
                        .apiGroups(List.of(""))
                        .apiVersions(List.of("v1"))
                        .resources(List.of("pods"))
                        .operations(List.of("CREATE"))
                        .scope("Namespaced")))
            .namespaceSelector(
                new V1LabelSelector()
                    .matchExpressions(
                        List.of(
                            new V1LabelSelectorRequirement()
                                .key("kubernetes.io/metadata.name")
                                .operator("NotIn")
                                .values(List.of(owned.ownNamespace())))))
            .objectSelector(
                new V1LabelSelector()
                    .matchExpressions(
                        List.of(
                            new V1LabelSelectorRequirement()
                                .key("app.kubernetes.io/name")
                                .operator("NotIn")
                                .values(List.of(Refresher.COMPONENT)))));
    return new V1MutatingWebhookConfiguration()
        .apiVersion("admissionregistration.k8s.io/v1")
        .kind("MutatingWebhookConfiguration")
        .metadata(
            new V1ObjectMeta()
                .name(target.configurationName())
                .labels(
                    Map.of(
                        "app.kubernetes.io/name",
                        Refresher.COMPONENT,
                        "app.kubernetes.io/managed-by",
                        Refresher.COMPONENT)))
        .webhooks(List.of(hook));
  }

  /** Whether the object holds exactly the wanted entry (fields the API server defaults aside). */
  static boolean matches(
      V1MutatingWebhookConfiguration current, V1MutatingWebhookConfiguration want) {
    List<V1MutatingWebhook> hooks = current.getWebhooks();
    if (hooks == null || hooks.size() != 1) {
      return false;
    }
    Map<String, String> labels = current.getMetadata().getLabels();
    if (labels == null
        || !labels.entrySet().containsAll(want.getMetadata().getLabels().entrySet())) {
      return false;
    }
    V1MutatingWebhook h = hooks.get(0);
    V1MutatingWebhook w = want.getWebhooks().get(0);
    AdmissionregistrationV1WebhookClientConfig hc = h.getClientConfig();
    AdmissionregistrationV1WebhookClientConfig wc = w.getClientConfig();
    return Objects.equals(h.getName(), w.getName())
        && Objects.equals(h.getAdmissionReviewVersions(), w.getAdmissionReviewVersions())
        && Objects.equals(h.getSideEffects(), w.getSideEffects())
        && Objects.equals(h.getFailurePolicy(), w.getFailurePolicy())
        && Objects.equals(h.getTimeoutSeconds(), w.getTimeoutSeconds())
        && Objects.equals(h.getReinvocationPolicy(), w.getReinvocationPolicy())
        && Objects.equals(h.getMatchPolicy(), w.getMatchPolicy())
        && Objects.equals(h.getRules(), w.getRules())
        && Objects.equals(h.getNamespaceSelector(), w.getNamespaceSelector())
        && Objects.equals(h.getObjectSelector(), w.getObjectSelector())
        && (h.getMatchConditions() == null || h.getMatchConditions().isEmpty())
        && hc != null
        && java.util.Arrays.equals(hc.getCaBundle(), wc.getCaBundle())
        && Objects.equals(hc.getUrl(), wc.getUrl())
        && Objects.equals(hc.getService(), wc.getService());
  }

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
      if (!isOurs(current)) {
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

  /**
   * Owned mode: replaces the object when it differs from {@link #desired} (with the resourceVersion
   * read). Returns false on a conflict (read again).
   */
  private boolean reconcileOwned(V1MutatingWebhookConfiguration current, WebhookSettings w)
      throws ApiException {
    V1MutatingWebhookConfiguration want;
    synchronized (this) {
      if (caBundle == null) {
        return true; // no certificate yet: registered once there is one
      }
      want = desired(target, owned.get(), w, caBundle);
    }
    if (!isOurs(current)) {
      problem(notOurs());
      return true;
    }
    if (matches(current, want)) {
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
          policy(w.failurePolicy()),
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

  /** Whether the refresher created this object (label app.kubernetes.io/managed-by). */
  static boolean isOurs(V1MutatingWebhookConfiguration current) {
    Map<String, String> labels =
        current.getMetadata() == null ? null : current.getMetadata().getLabels();
    return labels != null && Refresher.COMPONENT.equals(labels.get("app.kubernetes.io/managed-by"));
  }

  private String notOurs() {
    return target.describe()
        + " exists but was not created by acr-credential (no label app.kubernetes.io/managed-by:"
        + " acr-credential), so it is left alone: delete it to let the refresher register its own"
        + " webhook with its own certificate, or give --webhook-cert-file and --webhook-key-file to"
        + " keep it";
  }

  /** Owned mode: creates the object; 409 means another replica did (the watch sees it). */
  private void createOwned() {
    V1MutatingWebhookConfiguration want;
    synchronized (this) {
      if (caBundle == null || wanted == null) {
        return;
      }
      want = desired(target, owned.get(), wanted, caBundle);
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
