package io.acrcredential.examples.doctor;

import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.DiscoveryV1Api;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1ServiceReference;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import java.util.List;

/** The Pod webhook: registered, and its Service with a ready endpoint. */
final class WebhookCheck implements Step {

  @Override
  public void run(Findings f) {
    webhook(f);
  }

  private static void webhook(Findings f) {
    V1MutatingWebhookConfiguration mwc;
    try {
      mwc =
          new AdmissionregistrationV1Api(f.s.api())
              .readMutatingWebhookConfiguration(f.s.webhookConfiguration())
              .execute();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        if (f.config != null && f.config.webhook().enabled()) {
          f.add(
              "webhook",
              Outcome.FAILED,
              "webhook-configuration has enable: true but MutatingWebhookConfiguration "
                  + f.s.webhookConfiguration()
                  + " does not exist",
              Doctor.RANK_WEBHOOK,
              "MutatingWebhookConfiguration "
                  + f.s.webhookConfiguration()
                  + " does not exist although",
              "webhook-configuration enables the webhook (" + f.cm + "); apply deploy/webhook");
        } else {
          f.na("webhook", "not registered (optional)");
        }
      } else {
        f.unknown(
            "webhook",
            Doctor.apiProblem(
                e, "get", "mutatingwebhookconfigurations.admissionregistration.k8s.io", null));
      }
      return;
    }
    V1MutatingWebhook hook =
        mwc.getWebhooks() == null
            ? null
            : mwc.getWebhooks().stream()
                .filter(w -> f.s.webhookName().equals(w.getName()))
                .findFirst()
                .orElse(null);
    if (hook == null) {
      f.add(
          "webhook",
          Outcome.FAILED,
          "MutatingWebhookConfiguration "
              + f.s.webhookConfiguration()
              + " has no entry "
              + f.s.webhookName(),
          Doctor.RANK_WEBHOOK,
          "MutatingWebhookConfiguration "
              + f.s.webhookConfiguration()
              + " has no webhook "
              + f.s.webhookName()
              + ";",
          "re-apply deploy/webhook/mutatingwebhook.yaml or pass --webhook-name");
      return;
    }
    String policy = hook.getFailurePolicy() == null ? "Fail" : hook.getFailurePolicy();
    AdmissionregistrationV1ServiceReference svc =
        hook.getClientConfig() == null ? null : hook.getClientConfig().getService();
    if (svc == null) {
      f.pass(
          "webhook",
          "registered with a URL, failurePolicy " + policy + " (reachability not checked)");
      return;
    }
    String sref = svc.getNamespace() + "/" + svc.getName();
    try {
      f.core.readNamespacedService(svc.getName(), svc.getNamespace()).execute();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        f.add(
            "webhook",
            Outcome.FAILED,
            "registered (failurePolicy " + policy + ") but Service " + sref + " does not exist",
            Doctor.RANK_WEBHOOK,
            "webhook " + f.s.webhookName() + " calls Service " + sref + ", which does not exist;",
            consequence(policy),
            "apply deploy/webhook, or delete MutatingWebhookConfiguration "
                + f.s.webhookConfiguration());
      } else {
        f.unknown("webhook", Doctor.apiProblem(e, "get", "services", svc.getNamespace()));
      }
      return;
    }
    int ready = 0;
    try {
      List<V1EndpointSlice> slices =
          new DiscoveryV1Api(f.s.api())
              .listNamespacedEndpointSlice(svc.getNamespace())
              .labelSelector("kubernetes.io/service-name=" + svc.getName())
              .execute()
              .getItems();
      for (V1EndpointSlice slice : slices) {
        if (slice.getEndpoints() != null) {
          ready +=
              (int)
                  slice.getEndpoints().stream()
                      .filter(
                          ep ->
                              ep.getConditions() == null
                                  || !Boolean.FALSE.equals(ep.getConditions().getReady()))
                      .count();
        }
      }
    } catch (ApiException e) {
      f.unknown(
          "webhook",
          Doctor.apiProblem(e, "list", "endpointslices.discovery.k8s.io", svc.getNamespace()));
      return;
    }
    if (ready == 0) {
      f.add(
          "webhook",
          Outcome.FAILED,
          "registered (failurePolicy "
              + policy
              + ") but Service "
              + sref
              + " has no ready endpoint",
          Doctor.RANK_WEBHOOK,
          "webhook "
              + f.s.webhookName()
              + " is registered but Service "
              + sref
              + " has no ready endpoint;",
          consequence(policy),
          "start the refresher with its webhook certificate (deploy/webhook) or delete the registration");
      return;
    }
    f.pass(
        "webhook",
        "registered, failurePolicy "
            + policy
            + ", Service "
            + sref
            + " has "
            + ready
            + " ready endpoint(s)");
  }

  static String consequence(String policy) {
    return "Fail".equals(policy)
        ? "with failurePolicy Fail no Pod matching it can be created;"
        : "with failurePolicy Ignore Pods are created without the webhook's pull Secrets;";
  }
}
