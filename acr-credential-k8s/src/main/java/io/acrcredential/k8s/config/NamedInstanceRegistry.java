package io.acrcredential.k8s.config;

import io.acrcredential.core.RegistryTarget;
import java.util.List;
import java.util.Objects;

/**
 * An Enterprise Edition registry known only by its instance <em>name</em>, as the old {@code
 * acr-registry} key gives it (domains like {@code myname-registry.cn-hangzhou.cr.aliyuncs.com}).
 * Tokens need the instance <em>id</em>: the component that calls ACR looks it up ({@code
 * ListInstance}, RAM action {@code cr:ListInstance}) and then turns this into a {@link
 * RegistryEntry} with {@link #resolve(String)}.
 *
 * @param regionId the region of the instance
 * @param instanceName the instance name (the part of the domain before {@code -registry})
 * @param domains the domains configured for it
 * @param identity how to obtain the identity that asks for the token
 * @param origin where it was configured, e.g. {@code acr-registry}
 */
public record NamedInstanceRegistry(
    String regionId,
    String instanceName,
    List<String> domains,
    IdentitySpec identity,
    String origin) {

  /**
   * Copies the list and checks for nulls.
   *
   * @param regionId the region of the instance
   * @param instanceName the instance name (the part of the domain before {@code -registry})
   * @param domains the domains configured for it
   * @param identity how to obtain the identity that asks for the token
   * @param origin where it was configured, e.g. {@code acr-registry}
   * @throws NullPointerException naming the missing component
   */
  public NamedInstanceRegistry {
    Objects.requireNonNull(regionId, "regionId");
    Objects.requireNonNull(instanceName, "instanceName");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(origin, "origin");
    domains = List.copyOf(domains);
  }

  /**
   * The registry entry once the instance id is known.
   *
   * @param instanceId the id found for {@link #instanceName()}, e.g. {@code cri-abc123}
   * @return the entry for the same domains and identity
   * @throws IllegalArgumentException when the id is malformed
   */
  public RegistryEntry resolve(String instanceId) {
    return new RegistryEntry(
        RegistryTarget.enterprise(regionId, instanceId).withDomains(domains), identity, origin);
  }
}
