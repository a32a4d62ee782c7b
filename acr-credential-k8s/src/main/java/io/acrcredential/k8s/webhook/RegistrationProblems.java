package io.acrcredential.k8s.webhook;

import io.acrcredential.k8s.webhook.WebhookRegistration.Target;
import java.util.List;

/**
 * The lines a {@link WebhookRegistration} hands to its problem callback, each naming what to fix.
 * Their hints name the {@code acr-credential} program's flags and manifests, where the keeper's
 * users most often meet them; an embedder's own names differ only in spelling.
 */
final class RegistrationProblems {

  private static final String RBAC = "(see acr-credential-examples/deploy/webhook/rbac.yaml)";

  private RegistrationProblems() {}

  /** A user's object that is not there (it is never created). */
  static String missing(Target target) {
    return target.describe()
        + " does not exist, so failure-policy and timeout-seconds of webhook-configuration"
        + " are not applied; create it (kubectl apply -k acr-credential-examples/deploy/webhook)"
        + " or name it with --webhook-configuration-name";
  }

  /** A user's object without the entry. */
  static String missingEntry(Target target, List<String> entries) {
    return target.describe()
        + " has no webhook entry named "
        + target.webhookName()
        + " (it has "
        + entries
        + "); give its name with --webhook-name";
  }

  /** An object of the owned name that no keeper created: left alone. */
  static String notOurs(Target target) {
    return target.describe()
        + " exists but was not created by acr-credential (no label app.kubernetes.io/managed-by:"
        + " acr-credential), so it is left alone: delete it to let the refresher register its own"
        + " webhook with its own certificate, or give --webhook-cert-file and --webhook-key-file to"
        + " keep it";
  }

  /**
   * A 403.
   *
   * @param action what was refused, e.g. {@code cannot create}
   * @param grant the verbs to grant, e.g. {@code get, list, watch and patch on}
   */
  static String forbidden(Target target, String action, String grant) {
    return action
        + " "
        + target.describe()
        + ": forbidden; grant "
        + grant
        + " mutatingwebhookconfigurations (admissionregistration.k8s.io)"
        + " with resourceNames ["
        + target.configurationName()
        + "] "
        + RBAC;
  }
}
