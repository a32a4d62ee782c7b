package io.acrcredential.k8s;

import java.util.Map;

/**
 * The labels and annotations that mark objects written by one {@link PullSecretSync} instance.
 *
 * <p>A Secret is "ours" only when it carries both {@link #MANAGED_LABEL}{@code =true} and {@link
 * #INSTANCE_LABEL}{@code =<instance>}; anything else with the same name is a clash and is never
 * modified.
 */
final class Markers {

  static final String MANAGED_LABEL = "acr-credential.io/managed";
  static final String INSTANCE_LABEL = "acr-credential.io/instance";
  static final String EXPIRES_ANNOTATION = "acr-credential.io/expires-at";
  static final String DOMAINS_ANNOTATION = "acr-credential.io/domains";
  static final String TAKEN_OVER_ANNOTATION = "acr-credential.io/taken-over-from";
  static final String TAKEN_OVER_FROM = "aliyun-acr-credential-helper";
  static final String SA_ANNOTATION_PREFIX = "acr-credential.io/pull-secrets-";

  private final String instance;

  Markers(String instance) {
    this.instance = instance;
  }

  String instance() {
    return instance;
  }

  Map<String, String> labels() {
    return Map.of(MANAGED_LABEL, "true", INSTANCE_LABEL, instance);
  }

  /** The label selector for our Secrets, in API syntax. */
  String selector() {
    return MANAGED_LABEL + "=true," + INSTANCE_LABEL + "=" + instance;
  }

  /** Whether an object's labels mark it as ours. */
  boolean isOurs(Map<String, String> labels) {
    return labels != null
        && "true".equals(labels.get(MANAGED_LABEL))
        && instance.equals(labels.get(INSTANCE_LABEL));
  }

  /**
   * The ServiceAccount annotation recording which {@code imagePullSecrets} entries this instance
   * added (so that only those are ever removed).
   */
  String serviceAccountAnnotation() {
    return SA_ANNOTATION_PREFIX + instance;
  }
}
