package io.acrcredential.k8s.webhook;

import com.google.gson.Gson;
import io.acrcredential.k8s.config.WebhookSettings;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A registration the user made (certificate files given): what to write so that its entry's {@code
 * failurePolicy} and {@code timeoutSeconds} equal the ConfigMap's {@code webhook-configuration}. A
 * strategic-merge patch keyed by the entry's name and carrying the resourceVersion that was read,
 * so a concurrent change gives 409; nothing else of the object is ever written.
 */
final class RegistrationFields {

  private static final Gson GSON = new Gson();

  private RegistrationFields() {}

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
  record Impossible(RegistrationProblem problem) implements Plan {}

  /**
   * The patch that gives the named entry the wanted failure policy and timeout, or why there is
   * none. Other entries and fields are not part of the patch.
   */
  static Plan plan(
      V1MutatingWebhookConfiguration current,
      WebhookRegistration.Target target,
      WebhookSettings wanted) {
    List<V1MutatingWebhook> hooks =
        current.getWebhooks() == null ? List.of() : current.getWebhooks();
    V1MutatingWebhook entry =
        hooks.stream()
            .filter(h -> target.webhookName().equals(h.getName()))
            .findFirst()
            .orElse(null);
    if (entry == null) {
      return new Impossible(
          RegistrationProblem.missingEntry(
              target, hooks.stream().map(V1MutatingWebhook::getName).toList()));
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
    String json = GSON.toJson(patch);
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
}
