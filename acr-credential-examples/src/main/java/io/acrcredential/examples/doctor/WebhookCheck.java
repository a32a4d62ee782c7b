package io.acrcredential.examples.doctor;

import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.DiscoveryV1Api;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1ServiceReference;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1Secret;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Pod webhook: registered, and its Service with a ready endpoint. A registration labelled
 * {@code app.kubernetes.io/managed-by: acr-credential} is the one the refresher creates and keeps
 * itself (deploy/webhook, no certificate files): then its certificate Secret in the refresher's
 * namespace must be the refresher's, its serving certificate unexpired and trusted by the
 * registration's {@code caBundle}, and the fixes say to let the refresher run rather than to apply
 * manifests. Any other registration is hand-made (deploy/webhook-cert-manager).
 */
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
              "webhook-configuration enables it (" + f.cm + "); the refresher registers it itself",
              certificateSecretProblem(f)
                  .orElse(
                      "while it leads (deploy/webhook): check that it runs and leads, read its log;"
                          + " with certificate files apply deploy/webhook-cert-manager"));
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
    boolean managed = isManaged(mwc);
    String owner = managed ? " by the refresher" : "";
    if (hook == null) {
      String registration = "MutatingWebhookConfiguration " + f.s.webhookConfiguration();
      String missing =
          registration
              + (managed ? " is the refresher's but" : "")
              + " has no webhook "
              + f.s.webhookName()
              + ";";
      String[] fix =
          managed
              ? new String[] {
                missing,
                "the leading refresher repairs it at once: check that it runs and leads and read"
                    + " its",
                "log, or pass the refresher's --webhook-name to doctor"
              }
              : new String[] {
                missing, "re-apply deploy/webhook/mutatingwebhook.yaml or pass --webhook-name"
              };
      f.add(
          "webhook",
          Outcome.FAILED,
          registration
              + (managed ? " (the refresher's)" : "")
              + " has no entry "
              + f.s.webhookName(),
          Doctor.RANK_WEBHOOK,
          fix);
      return;
    }
    String policy = hook.getFailurePolicy() == null ? "Fail" : hook.getFailurePolicy();
    AdmissionregistrationV1ServiceReference svc =
        hook.getClientConfig() == null ? null : hook.getClientConfig().getService();
    String certificate = "";
    if (managed) {
      Optional<String> valid = certificate(f, hook, policy);
      if (valid.isEmpty()) {
        return;
      }
      certificate = ", " + valid.get();
    }
    if (svc == null) {
      f.pass(
          "webhook",
          "registered"
              + owner
              + " with a URL, failurePolicy "
              + policy
              + certificate
              + " (reachability not checked)");
      return;
    }
    String sref = svc.getNamespace() + "/" + svc.getName();
    String registeredBut =
        "registered" + owner + " (failurePolicy " + policy + certificate + ") but Service " + sref;
    try {
      f.core.readNamespacedService(svc.getName(), svc.getNamespace()).execute();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        f.add(
            "webhook",
            Outcome.FAILED,
            registeredBut + " does not exist",
            Doctor.RANK_WEBHOOK,
            "webhook " + f.s.webhookName() + " calls Service " + sref + ", which does not exist;",
            consequence(policy),
            managed
                ? "apply deploy/webhook (it has the Service), or set enable: false in"
                    + " webhook-configuration ("
                    + f.cm
                    + ") and the refresher deletes its registration"
                : "apply deploy/webhook-cert-manager, or delete MutatingWebhookConfiguration "
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
          registeredBut + " has no ready endpoint",
          Doctor.RANK_WEBHOOK,
          "webhook "
              + f.s.webhookName()
              + " is registered but Service "
              + sref
              + " has no ready endpoint;",
          consequence(policy),
          managed
              ? "start the refresher (deploy/webhook: it serves with its own certificate), or set"
                  + " enable: false in webhook-configuration ("
                  + f.cm
                  + ")"
              : "start the refresher with its certificate files (deploy/webhook-cert-manager) or"
                  + " delete the registration");
      return;
    }
    f.pass(
        "webhook",
        "registered"
            + owner
            + ", failurePolicy "
            + policy
            + certificate
            + ", Service "
            + sref
            + " has "
            + ready
            + " ready endpoint(s)");
  }

  /** The label the refresher puts on the registration it creates (WebhookRegistration). */
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  static final String COMPONENT = "acr-credential";

  /** The label on the certificate Secret the refresher writes (SelfIssuedCertificate). */
  static final String CERTIFICATE_LABEL = "acr-credential.io/webhook-certificate";

  static boolean isManaged(V1MutatingWebhookConfiguration mwc) {
    Map<String, String> labels = mwc.getMetadata() == null ? null : mwc.getMetadata().getLabels();
    return labels != null && COMPONENT.equals(labels.get(MANAGED_BY));
  }

  private static String certificateSecretRef(Findings f) {
    String ns = f.s.refresher().substring(0, f.s.refresher().indexOf('/'));
    return ns + "/" + f.s.webhookCertificateSecret();
  }

  /**
   * Why the refresher cannot issue its webhook certificate, as the second fix line: a Secret of
   * that name it did not write (it never overwrites one). Empty when nothing is known against it.
   */
  private static Optional<String> certificateSecretProblem(Findings f) {
    String ns = f.s.refresher().substring(0, f.s.refresher().indexOf('/'));
    try {
      V1Secret secret = f.core.readNamespacedSecret(f.s.webhookCertificateSecret(), ns).execute();
      if (!isCertificateSecret(secret)) {
        return Optional.of(
            "only with its certificate: Secret "
                + certificateSecretRef(f)
                + " is not its (no label "
                + CERTIFICATE_LABEL
                + "); delete it or give --webhook-certificate-secret");
      }
    } catch (ApiException e) {
      // missing (it is created) or not readable: nothing to add
    }
    return Optional.empty();
  }

  private static boolean isCertificateSecret(V1Secret secret) {
    Map<String, String> labels =
        secret.getMetadata() == null ? null : secret.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(CERTIFICATE_LABEL));
  }

  /**
   * The certificate of a registration the refresher keeps: its Secret written by the refresher, the
   * serving certificate unexpired and signed by a CA in the registration's caBundle. Adds the
   * failed check and returns empty, or returns the part of the passed line naming the expiry. Only
   * certificates are read from the Secret; its keys are never looked at.
   */
  private static Optional<String> certificate(Findings f, V1MutatingWebhook hook, String policy) {
    String ref = certificateSecretRef(f);
    String ns = ref.substring(0, ref.indexOf('/'));
    V1Secret secret;
    try {
      secret = f.core.readNamespacedSecret(f.s.webhookCertificateSecret(), ns).execute();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        f.add(
            "webhook",
            Outcome.FAILED,
            "registered by the refresher, but its certificate Secret " + ref + " does not exist",
            Doctor.RANK_WEBHOOK,
            "the refresher registered webhook " + f.s.webhookName() + " but its certificate Secret",
            ref + " does not exist, so no replica serves it; " + consequence(policy),
            "check that the refresher runs (it issues the Secret at start) and read its log");
      } else {
        f.unknown("webhook", Doctor.apiProblem(e, "get", "secrets", ns));
      }
      return Optional.empty();
    }
    if (!isCertificateSecret(secret)) {
      f.add(
          "webhook",
          Outcome.FAILED,
          "registered by the refresher, but Secret " + ref + " was not written by it",
          Doctor.RANK_WEBHOOK,
          "Secret " + ref + " is not the refresher's certificate Secret (no label",
          CERTIFICATE_LABEL + "), so no replica serves the webhook; " + consequence(policy),
          "delete that Secret (the refresher issues its own) or give --webhook-certificate-secret");
      return Optional.empty();
    }
    byte[] pem = secret.getData() == null ? null : secret.getData().get("tls.crt");
    List<X509Certificate> serving = certificates(pem);
    byte[] bundle = hook.getClientConfig() == null ? null : hook.getClientConfig().getCaBundle();
    List<X509Certificate> trusted = certificates(bundle);
    if (serving.isEmpty()) {
      f.add(
          "webhook",
          Outcome.FAILED,
          "Secret " + ref + " holds no readable serving certificate (tls.crt)",
          Doctor.RANK_WEBHOOK,
          "Secret " + ref + " holds no readable serving certificate; " + consequence(policy),
          "the refresher issues one again at its next look at the Secret (at most a minute):",
          "check that it runs and read its log");
      return Optional.empty();
    }
    X509Certificate cert = serving.get(0);
    Instant until = cert.getNotAfter().toInstant();
    Instant now = f.s.clock().instant();
    if (!until.isAfter(now)) {
      f.add(
          "webhook",
          Outcome.FAILED,
          "the webhook's serving certificate in Secret " + ref + " expired at " + until,
          Doctor.RANK_WEBHOOK,
          "the webhook's serving certificate in Secret " + ref + " expired at " + until + ";",
          consequence(policy),
          "the refresher renews it with a third of its life left: check that it runs, read its log");
      return Optional.empty();
    }
    boolean signed = false;
    for (X509Certificate ca : trusted) {
      try {
        cert.verify(ca.getPublicKey());
        signed = true;
        break;
      } catch (GeneralSecurityException | RuntimeException e) {
        // not this CA
      }
    }
    if (!signed) {
      f.add(
          "webhook",
          Outcome.FAILED,
          "the caBundle of "
              + f.s.webhookConfiguration()
              + " does not trust the serving certificate in Secret "
              + ref,
          Doctor.RANK_WEBHOOK,
          "the caBundle of MutatingWebhookConfiguration " + f.s.webhookConfiguration() + " does",
          "not trust the certificate in Secret " + ref + "; " + consequence(policy),
          "the leading refresher puts its CA there at once: check that it runs and leads");
      return Optional.empty();
    }
    return Optional.of(
        "certificate Secret "
            + ref
            + " valid until "
            + until
            + " ("
            + SecretChecks.ago(java.time.Duration.between(now, until))
            + ")");
  }

  /** The X.509 certificates in PEM text; empty when there are none or they do not parse. */
  private static List<X509Certificate> certificates(byte[] pem) {
    List<X509Certificate> out = new ArrayList<>();
    if (pem == null || pem.length == 0 || pem.length > 256 * 1024) {
      return out;
    }
    try {
      for (var c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem))) {
        if (c instanceof X509Certificate x) {
          out.add(x);
        }
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      out.clear();
    }
    return out;
  }

  static String consequence(String policy) {
    return "Fail".equals(policy)
        ? "with failurePolicy Fail no Pod matching it can be created;"
        : "with failurePolicy Ignore Pods are created without the webhook's pull Secrets;";
  }
}
