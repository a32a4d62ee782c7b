package io.acrcredential.k8s.webhook;

import io.acrcredential.k8s.webhook.WebhookRegistration.Target;
import java.util.List;
import java.util.Objects;

/**
 * A problem a {@link WebhookRegistration} cannot fix itself, handed once to its {@link
 * WebhookRegistrationBuilder#onProblem} callback. The message names the object, what is wrong and
 * what to change in Kubernetes or in the keeper's settings; it names no program's flags or files,
 * so an embedder adds its own hint by {@link #kind}.
 *
 * @param kind what is wrong
 * @param message one line naming the object, the fault and the fix
 */
public record RegistrationProblem(Kind kind, String message) {

  /** What is wrong. */
  public enum Kind {
    /** A user's object does not exist (the keeper never creates one). */
    MISSING,
    /** A user's object has no entry of the {@link Target#webhookName}. */
    MISSING_ENTRY,
    /** An object of the owned name exists without the keeper's label: it is left alone. */
    NOT_OURS,
    /** The API server refused a read or a write (HTTP 403): an RBAC rule is missing. */
    FORBIDDEN
  }

  /**
   * Checks the values.
   *
   * @param kind what is wrong
   * @param message one line naming the object, the fault and the fix
   * @throws NullPointerException naming a missing value
   */
  public RegistrationProblem {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
  }

  static RegistrationProblem missing(Target target) {
    return new RegistrationProblem(
        Kind.MISSING,
        target.describe()
            + " does not exist, so failure-policy and timeout-seconds of webhook-configuration"
            + " are not applied; create it, or point the keeper's Target at an existing one");
  }

  static RegistrationProblem missingEntry(Target target, List<String> entries) {
    return new RegistrationProblem(
        Kind.MISSING_ENTRY,
        target.describe()
            + " has no webhook entry named "
            + target.webhookName()
            + " (it has "
            + entries
            + "); add one, or name one of these as the keeper's Target webhookName");
  }

  static RegistrationProblem notOurs(Target target) {
    return new RegistrationProblem(
        Kind.NOT_OURS,
        target.describe()
            + " exists but was not created by acr-credential (no label app.kubernetes.io/managed-by:"
            + " acr-credential), so it is left alone: delete it to let the keeper register its own"
            + " webhook with its own certificate, or keep it by building the keeper without owned");
  }

  /** A 403 on creating an owned object. */
  static RegistrationProblem cannotCreate(Target target) {
    return forbidden(
        target, "cannot create", "create (any name) and get, list, watch, update, delete on");
  }

  /**
   * A 403 on reading, watching or writing the object: an owned object is replaced (update) and
   * deleted, a user's is patched.
   */
  static RegistrationProblem cannotManage(Target target, boolean owned) {
    return forbidden(
        target,
        "cannot manage",
        owned
            ? "create (any name) and get, list, watch, update, delete on"
            : "get, list, watch and patch on");
  }

  /** A 403 on deleting an owned object the keeper could read. */
  static RegistrationProblem cannotRemove(Target target) {
    return forbidden(target, "cannot remove", "delete on");
  }

  private static RegistrationProblem forbidden(Target target, String action, String grant) {
    return new RegistrationProblem(
        Kind.FORBIDDEN,
        action
            + " "
            + target.describe()
            + ": forbidden; grant "
            + grant
            + " mutatingwebhookconfigurations (admissionregistration.k8s.io)"
            + " with resourceNames ["
            + target.configurationName()
            + "] to the keeper's identity");
  }
}
