package io.acrcredential.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a token is asked for: a registry edition in a region, the Enterprise Edition instance id,
 * and optionally the exact registry domains the credential should be written for.
 *
 * <p>Immutable and usable as a map key. When {@link #domains()} is empty the provider resolves the
 * domains itself (the region's Personal Edition domains, or the instance's endpoints).
 *
 * @param edition the registry edition
 * @param regionId Alibaba Cloud region id, e.g. {@code cn-hangzhou}
 * @param instanceId Enterprise Edition instance id ({@code cri-…}); empty for Personal Edition
 * @param domains explicit registry hosts (lower case, optional port), in the caller's order; empty
 *     means "resolve"
 */
public record RegistryTarget(
    RegistryEdition edition, String regionId, Optional<String> instanceId, List<String> domains) {

  private static final Pattern REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+){1,4}");
  private static final Pattern INSTANCE_ID = Pattern.compile("cri-[a-z0-9]{4,64}");

  /**
   * Validates and normalises the values.
   *
   * @throws IllegalArgumentException naming the field that is wrong and the value given
   * @param edition the registry edition
   * @param regionId the region id
   * @param instanceId the Enterprise Edition instance id, empty for Personal Edition
   * @param domains explicit registry hosts, or empty to resolve them
   */
  public RegistryTarget {
    Objects.requireNonNull(edition, "edition");
    Objects.requireNonNull(regionId, "regionId");
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(domains, "domains");
    regionId = regionId.trim();
    if (!REGION.matcher(regionId).matches()) {
      throw new IllegalArgumentException(
          "invalid region id '"
              + regionId
              + "': expected a form like cn-hangzhou or ap-southeast-1");
    }
    instanceId = instanceId.map(String::trim).filter(s -> !s.isEmpty());
    if (edition == RegistryEdition.ENTERPRISE) {
      String id =
          instanceId.orElseThrow(
              () ->
                  new IllegalArgumentException(
                      "an Enterprise Edition target needs an instance id (cri-…)"));
      if (!INSTANCE_ID.matcher(id).matches()) {
        throw new IllegalArgumentException(
            "invalid instance id '" + id + "': expected cri- followed by letters and digits");
      }
    } else if (instanceId.isPresent()) {
      throw new IllegalArgumentException(
          "a Personal Edition target has no instance id, got '" + instanceId.get() + "'");
    }
    domains = List.copyOf(domains);
  }

  /**
   * A Personal Edition registry in a region.
   *
   * @param regionId region id such as {@code cn-hangzhou}
   * @return the target, with domains resolved by the provider
   */
  public static RegistryTarget personal(String regionId) {
    return new RegistryTarget(RegistryEdition.PERSONAL, regionId, Optional.empty(), List.of());
  }

  /**
   * An Enterprise Edition instance.
   *
   * @param regionId region id such as {@code cn-hangzhou}
   * @param instanceId instance id such as {@code cri-abc123}
   * @return the target, with domains resolved by the provider
   */
  public static RegistryTarget enterprise(String regionId, String instanceId) {
    return new RegistryTarget(
        RegistryEdition.ENTERPRISE, regionId, Optional.of(instanceId), List.of());
  }

  /**
   * The same target restricted to explicit domains.
   *
   * @param explicitDomains registry hosts the credential is written for
   * @return a new target
   */
  public RegistryTarget withDomains(List<String> explicitDomains) {
    return new RegistryTarget(edition, regionId, instanceId, explicitDomains);
  }

  /**
   * A short, log-safe description such as {@code enterprise cri-abc123 in cn-hangzhou}.
   *
   * @return the description
   */
  public String describe() {
    return edition == RegistryEdition.ENTERPRISE
        ? "enterprise " + instanceId.orElse("?") + " in " + regionId
        : "personal in " + regionId;
  }
}
