package io.acrcredential.k8s.config;

import java.util.Objects;

/**
 * The {@code webhook-configuration} block of Alibaba's helper. {@code enable} says whether the Pod
 * webhook ({@code PodPullSecretWebhook}) should be served; the {@code sync} command of
 * acr-credential-examples serves it when also given a certificate. {@code failure-policy} and
 * {@code timeout-seconds} belong in the MutatingWebhookConfiguration; that {@code sync} command's
 * leader keeps its webhook entry's {@code failurePolicy} and {@code timeoutSeconds} equal to them.
 *
 * @param enabled {@code enable}
 * @param failurePolicy {@code failure-policy}
 * @param timeoutSeconds {@code timeout-seconds}, 1 to 30 (the Kubernetes limit)
 */
public record WebhookSettings(boolean enabled, FailurePolicy failurePolicy, int timeoutSeconds) {

  /** What the API server does when the webhook fails. */
  public enum FailurePolicy {
    /** Admit the object anyway. */
    IGNORE,
    /** Reject the object. */
    FAIL
  }

  /**
   * Validates the timeout.
   *
   * @param enabled {@code enable}
   * @param failurePolicy {@code failure-policy}
   * @param timeoutSeconds {@code timeout-seconds}, 1 to 30 (the Kubernetes limit)
   * @throws IllegalArgumentException when the timeout is outside 1..30
   */
  public WebhookSettings {
    Objects.requireNonNull(failurePolicy, "failurePolicy");
    if (timeoutSeconds < 1 || timeoutSeconds > 30) {
      throw new IllegalArgumentException(
          "timeout-seconds " + timeoutSeconds + " is out of range; expected 1 to 30");
    }
  }

  /**
   * Disabled, {@code Ignore}, 10 seconds.
   *
   * @return the defaults
   */
  public static WebhookSettings defaults() {
    return new WebhookSettings(false, FailurePolicy.IGNORE, 10);
  }
}
