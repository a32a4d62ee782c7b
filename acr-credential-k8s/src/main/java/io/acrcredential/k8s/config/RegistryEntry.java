package io.acrcredential.k8s.config;

import io.acrcredential.core.RegistryTarget;
import java.util.Objects;

/**
 * One registry to keep pull credentials for: which registry, and with which identity.
 *
 * @param target the registry (edition, region, EE instance id, optional explicit domains)
 * @param identity how to obtain the Alibaba Cloud identity that asks for the token
 * @param origin where the entry was configured, e.g. {@code acr-registry-info[1]}, for messages;
 *     empty when built in code
 */
public record RegistryEntry(RegistryTarget target, IdentitySpec identity, String origin) {

  /**
   * Checks for nulls.
   *
   * @param target the registry (edition, region, EE instance id, optional explicit domains)
   * @param identity how to obtain the Alibaba Cloud identity that asks for the token
   * @param origin where the entry was configured, e.g. {@code acr-registry-info[1]}, for messages;
   *     empty when built in code
   * @throws NullPointerException naming the missing component
   */
  public RegistryEntry {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(origin, "origin");
  }

  /**
   * An entry built in code.
   *
   * @param target the registry
   * @param identity the identity
   * @return the entry, with an empty origin
   */
  public static RegistryEntry of(RegistryTarget target, IdentitySpec identity) {
    return new RegistryEntry(target, identity, "");
  }
}
