package io.acrcredential.testing;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An Enterprise Edition instance registered in {@link FakeAcr}. Immutable; {@link #of(String,
 * String, String)} gives the standard domains, the {@code with…} methods return changed copies.
 */
public final class AcrInstance {
  private static final Pattern REGION = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)+");

  private final String instanceId;
  private final String instanceName;
  private final String regionId;
  private final List<String> internetDomains;
  private final List<String> vpcDomains;
  private final List<String> customDomains;
  private final boolean internetEndpointEnabled;
  private final String status;

  private AcrInstance(
      String instanceId,
      String instanceName,
      String regionId,
      List<String> internetDomains,
      List<String> vpcDomains,
      List<String> customDomains,
      boolean internetEndpointEnabled,
      String status) {
    this.instanceId = instanceId;
    this.instanceName = instanceName;
    this.regionId = regionId;
    this.internetDomains = List.copyOf(internetDomains);
    this.vpcDomains = List.copyOf(vpcDomains);
    this.customDomains = List.copyOf(customDomains);
    this.internetEndpointEnabled = internetEndpointEnabled;
    this.status = status;
  }

  /**
   * An instance with the standard domains {@code <name>-registry.<region>.cr.aliyuncs.com}
   * (internet) and {@code <name>-registry-vpc.<region>.cr.aliyuncs.com} (VPC), status {@code
   * RUNNING}.
   *
   * @param instanceId the id, e.g. {@code cri-abc123}
   * @param instanceName the name, e.g. {@code mycompany}
   * @param regionId the region, e.g. {@code cn-hangzhou}
   * @return the instance
   */
  public static AcrInstance of(String instanceId, String instanceName, String regionId) {
    requireText(instanceId, "instanceId");
    requireText(instanceName, "instanceName");
    requireText(regionId, "regionId");
    if (!REGION.matcher(regionId).matches()) {
      throw new IllegalArgumentException(
          "regionId must look like 'cn-hangzhou', got '" + regionId + "'");
    }
    return new AcrInstance(
        instanceId,
        instanceName,
        regionId,
        List.of(instanceName + "-registry." + regionId + ".cr.aliyuncs.com"),
        List.of(instanceName + "-registry-vpc." + regionId + ".cr.aliyuncs.com"),
        List.of(),
        true,
        "RUNNING");
  }

  /**
   * A copy with other internet (public) endpoint domains.
   *
   * @param domains the domains
   * @return the changed copy
   */
  public AcrInstance withInternetDomains(String... domains) {
    return new AcrInstance(
        instanceId,
        instanceName,
        regionId,
        List.of(domains),
        vpcDomains,
        customDomains,
        internetEndpointEnabled,
        status);
  }

  /**
   * A copy with other VPC endpoint domains.
   *
   * @param domains the domains
   * @return the changed copy
   */
  public AcrInstance withVpcDomains(String... domains) {
    return new AcrInstance(
        instanceId,
        instanceName,
        regionId,
        internetDomains,
        List.of(domains),
        customDomains,
        internetEndpointEnabled,
        status);
  }

  /**
   * A copy with custom (user) domains, listed on the internet endpoint with type {@code USER}.
   *
   * @param domains the domains
   * @return the changed copy
   */
  public AcrInstance withCustomDomains(String... domains) {
    return new AcrInstance(
        instanceId,
        instanceName,
        regionId,
        internetDomains,
        vpcDomains,
        List.of(domains),
        internetEndpointEnabled,
        status);
  }

  /**
   * A copy whose internet endpoint is enabled or disabled ({@code Enable} in {@code
   * ListInstanceEndpoint}).
   *
   * @param enabled whether the internet endpoint is enabled
   * @return the changed copy
   */
  public AcrInstance withInternetEndpointEnabled(boolean enabled) {
    return new AcrInstance(
        instanceId,
        instanceName,
        regionId,
        internetDomains,
        vpcDomains,
        customDomains,
        enabled,
        status);
  }

  /**
   * A copy with another {@code InstanceStatus}, e.g. {@code STOPPED}.
   *
   * @param status the status
   * @return the changed copy
   */
  public AcrInstance withStatus(String status) {
    requireText(status, "status");
    return new AcrInstance(
        instanceId,
        instanceName,
        regionId,
        internetDomains,
        vpcDomains,
        customDomains,
        internetEndpointEnabled,
        status);
  }

  /**
   * The instance id.
   *
   * @return e.g. {@code cri-abc123}
   */
  public String instanceId() {
    return instanceId;
  }

  /**
   * The instance name.
   *
   * @return the name
   */
  public String instanceName() {
    return instanceName;
  }

  /**
   * The region.
   *
   * @return e.g. {@code cn-hangzhou}
   */
  public String regionId() {
    return regionId;
  }

  /**
   * The internet endpoint's system domains.
   *
   * @return an immutable list
   */
  public List<String> internetDomains() {
    return internetDomains;
  }

  /**
   * The VPC endpoint's domains.
   *
   * @return an immutable list
   */
  public List<String> vpcDomains() {
    return vpcDomains;
  }

  /**
   * The custom domains.
   *
   * @return an immutable list
   */
  public List<String> customDomains() {
    return customDomains;
  }

  /**
   * Whether the internet endpoint is enabled.
   *
   * @return true if enabled
   */
  public boolean internetEndpointEnabled() {
    return internetEndpointEnabled;
  }

  /**
   * The instance status.
   *
   * @return e.g. {@code RUNNING}
   */
  public String status() {
    return status;
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be null or blank");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AcrInstance other
        && instanceId.equals(other.instanceId)
        && instanceName.equals(other.instanceName)
        && regionId.equals(other.regionId)
        && internetDomains.equals(other.internetDomains)
        && vpcDomains.equals(other.vpcDomains)
        && customDomains.equals(other.customDomains)
        && internetEndpointEnabled == other.internetEndpointEnabled
        && status.equals(other.status);
  }

  @Override
  public int hashCode() {
    return Objects.hash(instanceId, instanceName, regionId, internetDomains, vpcDomains);
  }

  @Override
  public String toString() {
    return "AcrInstance["
        + instanceId
        + ", "
        + instanceName
        + ", "
        + regionId
        + ", "
        + status
        + ", internet="
        + internetDomains
        + ", vpc="
        + vpcDomains
        + ", custom="
        + customDomains
        + "]";
  }
}
