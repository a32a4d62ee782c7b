package io.acrcredential.k8s.webhook;

import io.acrcredential.k8s.config.WebhookSettings;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1ServiceReference;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1WebhookClientConfig;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1LabelSelectorRequirement;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1RuleWithOperations;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The MutatingWebhookConfiguration a keeper keeps whole when its embedder serves with its own
 * certificate ({@link WebhookRegistration.Owned}): the whole object as it should be, whether a
 * version read back still is that, and whether a keeper created it (only such an object is replaced
 * or deleted).
 */
final class OwnedRegistration {

  private OwnedRegistration() {}

  /**
   * The object an owned keeper keeps: one entry for Pod CREATE with the configuration's failure
   * policy and timeout, the CA bundle, and neither its embedder's namespace nor the refresher's
   * Pods.
   */
  static V1MutatingWebhookConfiguration desired(
      WebhookRegistration.Target target,
      WebhookRegistration.Owned owned,
      WebhookSettings wanted,
      byte[] caBundle) {
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
            .failurePolicy(RegistrationFields.policy(wanted.failurePolicy()))
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
                                .values(List.of(WebhookRegistration.MANAGER)))));
    return new V1MutatingWebhookConfiguration()
        .apiVersion("admissionregistration.k8s.io/v1")
        .kind("MutatingWebhookConfiguration")
        .metadata(
            new V1ObjectMeta()
                .name(target.configurationName())
                .labels(
                    Map.of(
                        "app.kubernetes.io/name",
                        WebhookRegistration.MANAGER,
                        "app.kubernetes.io/managed-by",
                        WebhookRegistration.MANAGER)))
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
        && Arrays.equals(hc.getCaBundle(), wc.getCaBundle())
        && Objects.equals(hc.getUrl(), wc.getUrl())
        && Objects.equals(hc.getService(), wc.getService());
  }

  /** Whether a keeper created this object (label app.kubernetes.io/managed-by). */
  static boolean isOurs(V1MutatingWebhookConfiguration current) {
    Map<String, String> labels =
        current.getMetadata() == null ? null : current.getMetadata().getLabels();
    return labels != null
        && WebhookRegistration.MANAGER.equals(labels.get("app.kubernetes.io/managed-by"));
  }

  /** Where the API server calls, for the log. */
  static String endpoint(WebhookRegistration.Owned owned) {
    return owned
        .url()
        .orElse(
            "Service "
                + owned.ownNamespace()
                + "/"
                + owned.serviceName()
                + ":"
                + owned.servicePort());
  }
}
