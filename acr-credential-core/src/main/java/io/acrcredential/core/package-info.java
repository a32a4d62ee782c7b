/**
 * The core API: {@link io.acrcredential.core.RegistryTarget}, {@link
 * io.acrcredential.core.RegistryCredential}, the {@link io.acrcredential.core.TokenProvider} seam
 * and its {@link io.acrcredential.core.TokenException}; and {@link
 * io.acrcredential.core.CachingTokenProvider}, the refresh-ahead cache in front of any provider,
 * with its {@link io.acrcredential.core.CacheListener} events ({@link
 * io.acrcredential.core.CredentialChange}, {@link io.acrcredential.core.RefreshFailure}). Nothing
 * here depends on Kubernetes or on Alibaba Cloud's SDK.
 *
 * <p>Null contract, in this module and the adapter: a missing object argument (a provider, a
 * target, a listener) throws {@link java.lang.NullPointerException} naming it; a missing value in
 * data that is decoded or validated (a Docker config's bytes, a registry host, a user name) is
 * malformed input like any other and throws {@link java.lang.IllegalArgumentException} with a
 * message saying what to fix.
 */
package io.acrcredential.core;
