package io.acrcredential.k8s.webhook;

import java.util.List;

/**
 * Where {@link PodPullSecretWebhook} learns which pull Secrets a new Pod should list; a running
 * {@code PullSecretSync} is one.
 */
@FunctionalInterface
public interface PullSecretNames {

  /**
   * The pull Secret names a Pod created now should list, in order.
   *
   * @param namespace the Pod's namespace
   * @param serviceAccount the Pod's ServiceAccount ({@code default} when the Pod names none)
   * @return the names, possibly empty
   * @throws RuntimeException when they cannot be determined (the webhook then allows the Pod
   *     unchanged, with a warning)
   */
  List<String> pullSecretNamesFor(String namespace, String serviceAccount);
}
