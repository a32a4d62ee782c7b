/**
 * The Kubernetes adapter's public API. So far: the configuration model ({@link
 * io.acrcredential.k8s.AcrConfiguration} with its scopes, registries, identities and Secret layout)
 * and {@link io.acrcredential.k8s.AcrConfigParser}, which reads Alibaba's {@code acr-configuration}
 * ConfigMap format (see {@code CONFIGURATION.md} of this module) and reports every problem without
 * ever echoing a secret. Nothing here depends on Alibaba Cloud's SDK.
 */
package io.acrcredential.k8s;
