package io.acrcredential.k8s;

import java.util.Objects;

/**
 * A Secret not managed by this sync has the name a pull Secret needs. It is never modified; the
 * owner must rename or delete it, or choose another layout. (A Secret Alibaba's helper wrote is
 * taken over instead, unless that is turned off; it is then a clash too.)
 *
 * @param namespace the namespace
 * @param secretName the contested name
 * @param reason why it was not taken over, in words for people (never its content); empty when not
 *     known
 */
public record SecretClash(String namespace, String secretName, String reason) {

  /**
   * Checks for nulls.
   *
   * @param namespace the namespace
   * @param secretName the contested name
   * @param reason why it was not taken over; empty when not known
   * @throws NullPointerException naming a missing component
   */
  public SecretClash {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(secretName, "secretName");
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * A clash without a stated reason.
   *
   * @param namespace the namespace
   * @param secretName the contested name
   */
  public SecretClash(String namespace, String secretName) {
    this(namespace, secretName, "");
  }
}
