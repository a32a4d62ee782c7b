package io.acrcredential.core.acr;

import java.util.List;

/**
 * Registry domain helpers used by the token provider. Kept behind this seam so the shared domain
 * helpers of the core can replace the bodies without touching callers.
 */
final class Domains {

  private Domains() {}

  /** The default Personal Edition registry domains of a region (public and VPC). */
  static List<String> personalDefaults(String regionId) {
    return AcrDomains.personalDefault(regionId);
  }

  /** The OpenAPI endpoint of ACR in a region. */
  static String acrApiHost(String regionId) {
    return "cr." + regionId + ".aliyuncs.com";
  }
}
