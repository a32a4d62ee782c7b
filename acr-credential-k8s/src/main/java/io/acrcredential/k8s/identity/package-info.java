/**
 * Turns the identities named in the {@code acr-configuration} ConfigMap into one cached ACR token
 * provider that follows configuration changes ({@link
 * io.acrcredential.k8s.identity.RegistryTokenProviders}).
 */
package io.acrcredential.k8s.identity;
