package io.acrcredential.k8s;

import java.util.Objects;

/**
 * A Secret not managed by this sync has the name a pull Secret needs. It is never modified; the
 * owner must rename or delete it, or choose another layout.
 *
 * @param namespace the namespace
 * @param secretName the contested name
 */
public record SecretClash(String namespace, String secretName) {

  /**
   * Checks for nulls.
   *
   * @param namespace the namespace
   * @param secretName the contested name
   * @throws NullPointerException naming a missing component
   */
  public SecretClash {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(secretName, "secretName");
  }
}
