/**
 * The Kubernetes adapter's facade: {@link io.acrcredential.k8s.PullSecretSync} keeps pull Secrets
 * and ServiceAccounts in sync behind package-private engine parts, and reports through {@link
 * io.acrcredential.k8s.SyncListener}.
 */
package io.acrcredential.k8s;
