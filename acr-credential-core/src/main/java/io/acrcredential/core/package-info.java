/**
 * The core API: {@link io.acrcredential.core.RegistryTarget}, {@link
 * io.acrcredential.core.RegistryCredential}, the {@link io.acrcredential.core.TokenProvider} seam
 * and its {@link io.acrcredential.core.TokenException}. Nothing here depends on Kubernetes or on
 * Alibaba Cloud's SDK.
 */
package io.acrcredential.core;
