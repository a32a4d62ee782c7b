package io.acrcredential.core.acr;

import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.RegistryHosts;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * What an Alibaba Cloud Container Registry host says about the registry behind it: edition, region,
 * instance, network and whether it is the P2P (distributed) endpoint.
 *
 * <p>{@link #parse(String)} recognises exactly these forms ({@code <r>} is a region id, every form
 * may end in {@code :port}):
 *
 * <table>
 *   <caption>Registry host forms</caption>
 *   <tr><th>form</th><th>edition</th><th>network</th></tr>
 *   <tr><td>{@code registry.<r>.aliyuncs.com}</td><td>Personal</td><td>public</td></tr>
 *   <tr><td>{@code registry-vpc.<r>.aliyuncs.com}</td><td>Personal</td><td>VPC</td></tr>
 *   <tr><td>{@code registry-internal.<r>.aliyuncs.com}</td><td>Personal</td>
 *       <td>internal (classic network)</td></tr>
 *   <tr><td>{@code registry-intl[-vpc|-internal].<r>.aliyuncs.com}</td>
 *       <td>Personal, international</td><td>as above</td></tr>
 *   <tr><td>{@code crpi-<id>[-vpc].<r>.personal.cr.aliyuncs.com}</td>
 *       <td>Personal instance (created from September 2024)</td><td>public or VPC</td></tr>
 *   <tr><td>{@code <name>-registry[-vpc].<r>.cr.aliyuncs.com}</td><td>Enterprise</td>
 *       <td>public or VPC</td></tr>
 *   <tr><td>{@code <name>-registry-vpc.distributed.<r>.cr.aliyuncs.com}</td>
 *       <td>Enterprise, P2P</td><td>VPC</td></tr>
 * </table>
 *
 * <p>Matching is on whole labels of the normalised host, so look-alikes such as {@code
 * registry.cn-hangzhou.aliyuncs.com.evil.example} or {@code myregistry.cn-hangzhou.aliyuncs.com}
 * are not ACR hosts. An Enterprise Edition instance name may contain dashes (even {@code
 * -registry}); only the final {@code -registry} or {@code -registry-vpc} of the first label is the
 * suffix. The region label must have the shape of a region id but need not be a {@link
 * AcrRegions#known() known} region, so hosts of new regions parse. Custom domains of an Enterprise
 * Edition instance cannot be recognised from their name.
 *
 * <p>Values are consistent by construction: {@link #toHost()} rebuilds the normalised host, and the
 * constructor rejects combinations no host has.
 *
 * @param edition Personal or Enterprise Edition
 * @param regionId the region id from the host, e.g. {@code cn-hangzhou}
 * @param network the network the host serves
 * @param international whether it is a Personal Edition {@code registry-intl…} host
 * @param instanceName the Enterprise Edition instance name; empty for Personal Edition
 * @param personalInstanceId the Personal Edition instance id ({@code crpi-…}) of the newer host
 *     form; empty otherwise
 * @param distributed whether it is an Enterprise Edition P2P ({@code .distributed.}) host
 * @param port the port written in the host, if any
 */
public record AcrHost(
    RegistryEdition edition,
    String regionId,
    Network network,
    boolean international,
    Optional<String> instanceName,
    Optional<String> personalInstanceId,
    boolean distributed,
    OptionalInt port) {

  /** The network a registry host serves. */
  public enum Network {
    /** Reachable from the internet. */
    PUBLIC,
    /** Reachable from a VPC in the same region. */
    VPC,
    /** The classic-network endpoint of the Personal Edition ({@code registry-internal}). */
    INTERNAL
  }

  private static final String SUFFIX = "aliyuncs.com";
  private static final Pattern INSTANCE_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  private static final Pattern PERSONAL_ID = Pattern.compile("crpi-[a-z0-9]+");

  /**
   * Validates the combination.
   *
   * @param edition Personal or Enterprise Edition
   * @param regionId the region id
   * @param network the network the host serves
   * @param international whether it is a {@code registry-intl…} host
   * @param instanceName the Enterprise Edition instance name
   * @param personalInstanceId the {@code crpi-…} id of a newer Personal Edition instance
   * @param distributed whether it is a P2P host
   * @param port the port, if any
   * @throws IllegalArgumentException when no ACR host has this combination, naming the field
   */
  public AcrHost {
    Objects.requireNonNull(edition, "edition");
    Objects.requireNonNull(regionId, "regionId");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(instanceName, "instanceName");
    Objects.requireNonNull(personalInstanceId, "personalInstanceId");
    Objects.requireNonNull(port, "port");
    if (!AcrRegions.hasRegionShape(regionId)) {
      throw new IllegalArgumentException(
          "invalid region id '" + regionId + "': expected a form like cn-hangzhou");
    }
    if (port.isPresent() && (port.getAsInt() < 1 || port.getAsInt() > 65535)) {
      throw new IllegalArgumentException("port " + port.getAsInt() + " is not in 1..65535");
    }
    if (edition == RegistryEdition.ENTERPRISE) {
      String name =
          instanceName.orElseThrow(
              () ->
                  new IllegalArgumentException(
                      "an Enterprise Edition host needs the instance name"));
      if (!INSTANCE_NAME.matcher(name).matches() || name.length() > 50) {
        throw new IllegalArgumentException(
            "invalid instance name '"
                + name
                + "': use lower-case letters, digits and inner '-', at most 50 characters");
      }
      if (personalInstanceId.isPresent() || international || network == Network.INTERNAL) {
        throw new IllegalArgumentException(
            "an Enterprise Edition host has no crpi- id, intl or internal form");
      }
      if (distributed && network != Network.VPC) {
        throw new IllegalArgumentException("a distributed (P2P) host is always a VPC host");
      }
    } else {
      if (instanceName.isPresent()) {
        throw new IllegalArgumentException("a Personal Edition host has no instance name");
      }
      if (distributed) {
        throw new IllegalArgumentException("only Enterprise Edition hosts are distributed (P2P)");
      }
      if (personalInstanceId.isPresent()) {
        String id = personalInstanceId.get();
        if (!PERSONAL_ID.matcher(id).matches() || id.length() > 59) {
          throw new IllegalArgumentException(
              "invalid Personal Edition instance id '"
                  + id
                  + "': expected crpi- followed by lower-case letters and digits");
        }
        if (international || network == Network.INTERNAL) {
          throw new IllegalArgumentException(
              "a crpi- Personal Edition host has no intl or internal form");
        }
      }
    }
  }

  /**
   * Parses a registry host.
   *
   * @param host a registry host, optionally with a port; case and surrounding whitespace are
   *     ignored
   * @return what the host says, or empty when it is not an ACR registry host (including when it is
   *     not a valid host at all)
   */
  public static Optional<AcrHost> parse(String host) {
    if (host == null || !RegistryHosts.isValid(host)) {
      return Optional.empty();
    }
    String normal = RegistryHosts.normalize(host);
    if (normal.startsWith("[")) {
      return Optional.empty();
    }
    OptionalInt port = OptionalInt.empty();
    String name = normal;
    int colon = normal.indexOf(':');
    if (colon >= 0) {
      port = OptionalInt.of(Integer.parseInt(normal.substring(colon + 1)));
      name = normal.substring(0, colon);
    }
    if (!name.endsWith("." + SUFFIX)) {
      return Optional.empty();
    }
    String[] labels = name.substring(0, name.length() - SUFFIX.length() - 1).split("\\.");
    return switch (labels.length) {
      case 2 -> classic(labels[0], labels[1], port);
      case 3 -> "cr".equals(labels[2]) ? enterprise(labels[0], labels[1], false, port) : none();
      case 4 -> {
        if ("personal".equals(labels[2]) && "cr".equals(labels[3])) {
          yield personalInstance(labels[0], labels[1], port);
        }
        if ("distributed".equals(labels[1]) && "cr".equals(labels[3])) {
          yield enterprise(labels[0], labels[2], true, port);
        }
        yield none();
      }
      default -> none();
    };
  }

  /**
   * The normalised host this value describes, with its port if it has one.
   *
   * @return e.g. {@code my-ee-registry-vpc.cn-hangzhou.cr.aliyuncs.com}
   */
  public String toHost() {
    StringBuilder host = new StringBuilder();
    if (edition == RegistryEdition.ENTERPRISE) {
      host.append(instanceName.orElseThrow()).append("-registry");
      if (network == Network.VPC) {
        host.append("-vpc");
      }
      if (distributed) {
        host.append(".distributed");
      }
      host.append('.').append(regionId).append(".cr.");
    } else if (personalInstanceId.isPresent()) {
      host.append(personalInstanceId.get());
      if (network == Network.VPC) {
        host.append("-vpc");
      }
      host.append('.').append(regionId).append(".personal.cr.");
    } else {
      host.append("registry");
      if (international) {
        host.append("-intl");
      }
      if (network == Network.VPC) {
        host.append("-vpc");
      } else if (network == Network.INTERNAL) {
        host.append("-internal");
      }
      host.append('.').append(regionId).append('.');
    }
    host.append(SUFFIX);
    port.ifPresent(p -> host.append(':').append(p));
    return host.toString();
  }

  private static Optional<AcrHost> classic(String first, String region, OptionalInt port) {
    boolean intl;
    String rest;
    if (first.startsWith("registry-intl")) {
      intl = true;
      rest = first.substring("registry-intl".length());
    } else if (first.startsWith("registry")) {
      intl = false;
      rest = first.substring("registry".length());
    } else {
      return none();
    }
    Network network;
    switch (rest) {
      case "" -> network = Network.PUBLIC;
      case "-vpc" -> network = Network.VPC;
      case "-internal" -> network = Network.INTERNAL;
      default -> {
        return none();
      }
    }
    return build(
        RegistryEdition.PERSONAL,
        region,
        network,
        intl,
        Optional.empty(),
        Optional.empty(),
        false,
        port);
  }

  private static Optional<AcrHost> personalInstance(String first, String region, OptionalInt port) {
    Network network = Network.PUBLIC;
    String id = first;
    if (first.endsWith("-vpc")) {
      network = Network.VPC;
      id = first.substring(0, first.length() - "-vpc".length());
    }
    if (!PERSONAL_ID.matcher(id).matches()) {
      return none();
    }
    return build(
        RegistryEdition.PERSONAL,
        region,
        network,
        false,
        Optional.empty(),
        Optional.of(id),
        false,
        port);
  }

  private static Optional<AcrHost> enterprise(
      String first, String region, boolean distributed, OptionalInt port) {
    Network network;
    String name;
    if (first.endsWith("-registry-vpc")) {
      network = Network.VPC;
      name = first.substring(0, first.length() - "-registry-vpc".length());
    } else if (first.endsWith("-registry") && !distributed) {
      network = Network.PUBLIC;
      name = first.substring(0, first.length() - "-registry".length());
    } else {
      return none();
    }
    if (name.isEmpty() || !INSTANCE_NAME.matcher(name).matches()) {
      return none();
    }
    return build(
        RegistryEdition.ENTERPRISE,
        region,
        network,
        false,
        Optional.of(name),
        Optional.empty(),
        distributed,
        port);
  }

  private static Optional<AcrHost> build(
      RegistryEdition edition,
      String region,
      Network network,
      boolean intl,
      Optional<String> name,
      Optional<String> personalId,
      boolean distributed,
      OptionalInt port) {
    if (!AcrRegions.hasRegionShape(region)) {
      return none();
    }
    return Optional.of(
        new AcrHost(edition, region, network, intl, name, personalId, distributed, port));
  }

  private static Optional<AcrHost> none() {
    return Optional.empty();
  }
}
