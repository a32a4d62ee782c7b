package io.acrcredential.core.acr;

import java.util.List;

/**
 * Registry domain helpers used by the token provider. Kept behind this seam so the shared domain
 * helpers of the core can replace the bodies without touching callers.
 */
final class Domains {

  private Domains() {}

  /** The classic Personal Edition registry domains of a region. */
  static List<String> personalDefaults(String regionId) {
    return List.of(
        "registry." + regionId + ".aliyuncs.com",
        "registry-vpc." + regionId + ".aliyuncs.com",
        "registry-internal." + regionId + ".aliyuncs.com",
        "registry-intl." + regionId + ".aliyuncs.com",
        "registry-intl-vpc." + regionId + ".aliyuncs.com");
  }

  /** The OpenAPI endpoint of ACR in a region. */
  static String acrApiHost(String regionId) {
    return "cr." + regionId + ".aliyuncs.com";
  }
}
