/**
 * Real Kubernetes components for tests, started from binaries built here: a control plane ({@link
 * io.acrcredential.kube.testing.LocalKubeApiServer}, JUnit's {@link
 * io.acrcredential.kube.testing.WithKubeApiServer}), a node with kubelet and containerd ({@link
 * io.acrcredential.kube.testing.LocalNode}, {@link io.acrcredential.kube.testing.WithLocalNode})
 * and a registry ({@link io.acrcredential.kube.testing.LocalRegistry}); all on loopback.
 */
package io.acrcredential.kube.testing;
