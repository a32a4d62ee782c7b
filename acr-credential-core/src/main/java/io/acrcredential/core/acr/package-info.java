/**
 * Alibaba Cloud Container Registry specifics. {@link io.acrcredential.core.acr.AcrTokenProvider}
 * gets temporary registry passwords through ACR's OpenAPI, signed as the identity chosen with
 * {@link io.acrcredential.core.acr.AlibabaCredentials}. {@link io.acrcredential.core.acr.AcrHost}
 * parses a registry host into edition, region, instance and network; {@link
 * io.acrcredential.core.acr.AcrDomains} derives the domains of a registry; {@link
 * io.acrcredential.core.acr.AcrRegions} knows the regions where the service is offered.
 *
 * <p>{@link io.acrcredential.core.acr.AlibabaCredentials#defaultChain()} follows Alibaba's
 * documented order and uses the first source that is configured: Java system properties ({@code
 * alibabacloud.accessKeyId}, ...), environment AccessKey, RRSA/OIDC variables, the Alibaba Cloud
 * CLI profile ({@code ~/.aliyun/config.json}), the profile file ({@code
 * ~/.alibabacloud/credentials}), the ECS RAM role, and the credentials URI ({@code
 * ALIBABA_CLOUD_CREDENTIALS_URI}). The map-based {@link
 * io.acrcredential.core.acr.AlibabaCredentials#defaultChain(java.util.Map)} reads no system
 * properties and no real home directory, only what it is given.
 */
package io.acrcredential.core.acr;
