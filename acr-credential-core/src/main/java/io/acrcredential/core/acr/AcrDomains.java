package io.acrcredential.core.acr;

import io.acrcredential.core.RegistryEdition;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The registry domains of a Container Registry, derived from its region and instance.
 *
 * <p>A temporary ACR password is valid for every domain of the registry it was issued for, so a
 * pull Secret can list several. Which ones a cluster needs depends on how its images are named;
 * these helpers give the usual sets. Region ids are checked for shape only ({@link
 * AcrRegions#checkAllowingUnknown(String)}); checking that a region is known is the configuration's
 * job ({@link AcrRegions#check(String)}).
 */
public final class AcrDomains {

  private AcrDomains() {}

  /**
   * The default domains of the classic Personal Edition registry of a region: {@code
   * registry.<r>.aliyuncs.com} and {@code registry-vpc.<r>.aliyuncs.com}.
   *
   * <p>These two cover the names under which images are pulled from ACK and ECS: the public name
   * the console shows and the VPC name nodes use to pull without internet traffic. The classic
   * network ({@code registry-internal}) is being retired and the {@code registry-intl} names are a
   * separate, opt-in access path; ask for them with {@link #personalAll(String)} or explicit
   * domains. Personal Edition instances created from September 2024 have {@code crpi-} domains
   * instead, which cannot be derived from the region: see {@link #personalInstance(String,
   * String)}.
   *
   * @param regionId the region id, e.g. {@code cn-hangzhou}
   * @return the public and the VPC domain, in that order
   * @throws IllegalArgumentException when the region id is malformed
   */
  public static List<String> personalDefault(String regionId) {
    String region = AcrRegions.checkAllowingUnknown(regionId);
    return List.of(
        classic(region, false, AcrHost.Network.PUBLIC),
        classic(region, false, AcrHost.Network.VPC));
  }

  /**
   * Every classic Personal Edition domain of a region: public, VPC, internal (classic network),
   * international, and international VPC.
   *
   * @param regionId the region id
   * @return the five domains, in that order
   * @throws IllegalArgumentException when the region id is malformed
   */
  public static List<String> personalAll(String regionId) {
    String region = AcrRegions.checkAllowingUnknown(regionId);
    return List.of(
        classic(region, false, AcrHost.Network.PUBLIC),
        classic(region, false, AcrHost.Network.VPC),
        classic(region, false, AcrHost.Network.INTERNAL),
        classic(region, true, AcrHost.Network.PUBLIC),
        classic(region, true, AcrHost.Network.VPC));
  }

  /**
   * The domains of a Personal Edition instance created from September 2024: {@code
   * crpi-<id>.<r>.personal.cr.aliyuncs.com} and its {@code -vpc} twin.
   *
   * @param instanceId the instance id, {@code crpi-} followed by letters and digits; case is
   *     ignored
   * @param regionId the region id
   * @return the public and the VPC domain, in that order
   * @throws IllegalArgumentException when the id or region is malformed
   */
  public static List<String> personalInstance(String instanceId, String regionId) {
    String region = AcrRegions.checkAllowingUnknown(regionId);
    Optional<String> id = Optional.of(requireText(instanceId, "Personal Edition instance id"));
    return List.of(
        new AcrHost(
                RegistryEdition.PERSONAL,
                region,
                AcrHost.Network.PUBLIC,
                false,
                Optional.empty(),
                id,
                false,
                OptionalInt.empty())
            .toHost(),
        new AcrHost(
                RegistryEdition.PERSONAL,
                region,
                AcrHost.Network.VPC,
                false,
                Optional.empty(),
                id,
                false,
                OptionalInt.empty())
            .toHost());
  }

  /**
   * The standard domains of an Enterprise Edition instance: {@code
   * <name>-registry.<r>.cr.aliyuncs.com} and {@code <name>-registry-vpc.<r>.cr.aliyuncs.com}.
   *
   * <p>An instance may have fewer (public access disabled) or more (custom domains, P2P); {@code
   * ListInstanceEndpoint} gives the real list.
   *
   * @param instanceName the instance name (not its {@code cri-} id); case is ignored
   * @param regionId the region id
   * @return the public and the VPC domain, in that order
   * @throws IllegalArgumentException when the name or region is malformed
   */
  public static List<String> enterprise(String instanceName, String regionId) {
    String region = AcrRegions.checkAllowingUnknown(regionId);
    Optional<String> name = Optional.of(requireText(instanceName, "instance name"));
    return List.of(
        new AcrHost(
                RegistryEdition.ENTERPRISE,
                region,
                AcrHost.Network.PUBLIC,
                false,
                name,
                Optional.empty(),
                false,
                OptionalInt.empty())
            .toHost(),
        new AcrHost(
                RegistryEdition.ENTERPRISE,
                region,
                AcrHost.Network.VPC,
                false,
                name,
                Optional.empty(),
                false,
                OptionalInt.empty())
            .toHost());
  }

  private static String classic(String region, boolean intl, AcrHost.Network network) {
    return new AcrHost(
            RegistryEdition.PERSONAL,
            region,
            network,
            intl,
            Optional.empty(),
            Optional.empty(),
            false,
            OptionalInt.empty())
        .toHost();
  }

  private static String requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("the " + what + " is missing");
    }
    return value.strip().toLowerCase(java.util.Locale.ROOT);
  }
}
