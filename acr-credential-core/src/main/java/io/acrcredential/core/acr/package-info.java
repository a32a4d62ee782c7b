/**
 * Alibaba Cloud Container Registry specifics. {@link io.acrcredential.core.acr.AcrTokenProvider}
 * gets temporary registry passwords through ACR's OpenAPI, signed as the identity chosen with
 * {@link io.acrcredential.core.acr.AlibabaCredentials}. {@link io.acrcredential.core.acr.AcrHost}
 * parses a registry host into edition, region, instance and network; {@link
 * io.acrcredential.core.acr.AcrDomains} derives the domains of a registry; {@link
 * io.acrcredential.core.acr.AcrRegions} knows the regions where the service is offered.
 */
package io.acrcredential.core.acr;
