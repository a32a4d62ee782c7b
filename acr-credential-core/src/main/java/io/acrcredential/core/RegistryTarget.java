package io.acrcredential.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
    if (!isRegionId(regionId)) {
      throw new IllegalArgumentException(
          "invalid region id '"
              + regionId
              + "': expected a form like cn-hangzhou or ap-southeast-1");
    }
    // no lambdas or regular expressions here: the node helpers build a target on every call, and
    // the first lambda of a process starts the JVM's method-handle machinery
    if (instanceId.isPresent()) {
      String trimmed = instanceId.get().trim();
      instanceId = trimmed.isEmpty() ? Optional.empty() : Optional.of(trimmed);
    }
    if (edition == RegistryEdition.ENTERPRISE) {
      if (instanceId.isEmpty()) {
        throw new IllegalArgumentException(
            "an Enterprise Edition target needs an instance id (cri-…)");
      }
      String id = instanceId.get();
      if (!isInstanceId(id)) {
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

  /** {@code [a-z]{2,}(-[a-z0-9]+){1,4}}, e.g. cn-hangzhou, ap-southeast-1. */
  static boolean isRegionId(String s) {
    String[] parts = s.split("-", -1);
    if (parts.length < 2 || parts.length > 5 || parts[0].length() < 2) {
      return false;
    }
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty()) {
        return false;
      }
      for (int j = 0; j < part.length(); j++) {
        char c = part.charAt(j);
        boolean letter = c >= 'a' && c <= 'z';
        boolean digit = c >= '0' && c <= '9';
        if (!(letter || (i > 0 && digit))) {
          return false;
        }
      }
    }
    return true;
  }

  /** {@code cri-[a-z0-9]{4,64}}. */
  static boolean isInstanceId(String s) {
    if (!s.startsWith("cri-") || s.length() < 8 || s.length() > 68) {
      return false;
    }
    for (int i = 4; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }
}
