/**
 * Measurements that {@code mvn verify} builds and never runs: JMH benchmarks of the credential
 * cache and cluster benchmarks (scale, heap, restart and failover, soak) of the sync on a real
 * local API server, each printing figures side by side; see the module's README for how to run
 * them.
 */
package io.acrcredential.benchmarks;
