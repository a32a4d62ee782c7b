/**
 * The Kubernetes adapter's facade: {@link io.acrcredential.k8s.PullSecretSync} keeps pull Secrets
 * and ServiceAccounts in sync behind package-private engine parts, and reports through {@link
 * io.acrcredential.k8s.SyncListener} and Warning Events ({@link
 * io.acrcredential.k8s.WarningEvents}, which an embedder may use for its own).
 */
package io.acrcredential.k8s;
