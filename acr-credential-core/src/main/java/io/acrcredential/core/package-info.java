/**
 * The core API: {@link io.acrcredential.core.RegistryTarget}, {@link
 * io.acrcredential.core.RegistryCredential}, the {@link io.acrcredential.core.TokenProvider} seam
 * and its {@link io.acrcredential.core.TokenException}; and {@link
 * io.acrcredential.core.CachingTokenProvider}, the refresh-ahead cache in front of any provider,
 * with its {@link io.acrcredential.core.CacheListener} events ({@link
 * io.acrcredential.core.CredentialChange}, {@link io.acrcredential.core.RefreshFailure}). Nothing
 * here depends on Kubernetes or on Alibaba Cloud's SDK.
 */
package io.acrcredential.core;
