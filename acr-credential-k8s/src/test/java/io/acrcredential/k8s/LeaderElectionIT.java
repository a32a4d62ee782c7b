package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Two replicas with a Lease: only the leader writes; the standby takes over when it stops. */
@WithKubeApiServer
class LeaderElectionIT {

  private final SyncFixture fx;

  LeaderElectionIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  private PullSecretSync replica(
      String inst, String leaseNs, String identity, WriteCounter writes, FakeTokens tokens) {
    return PullSecretSync.builder()
        .apiClient(fx.countingAdmin(writes))
        .configuration(SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ))
        .tokenProvider(tokens)
        .instanceName(inst)
        .leaderElectionTimings(Duration.ofSeconds(8), Duration.ofSeconds(5), Duration.ofSeconds(1))
        .leaderElection(leaseNs, "acr-sync-" + inst, identity)
        .build();
  }

  private static List<String> nonLeaseWrites(WriteCounter c) {
    return c.writes.stream().filter(w -> !w.contains("/leases")).toList();
  }

  @Test
  void onlyTheLeaderWritesAndTheStandbyTakesOver() throws Exception {
    String inst = "le-" + UUID.randomUUID().toString().substring(0, 6);
    String leaseNs = fx.namespace("lease", Map.of());
    WriteCounter writesA = new WriteCounter();
    WriteCounter writesB = new WriteCounter();
    FakeTokens tokens = new FakeTokens();
    PullSecretSync a = replica(inst, leaseNs, "replica-a", writesA, tokens);
    PullSecretSync b = replica(inst, leaseNs, "replica-b", writesB, tokens);
    try {
      a.start();
      await("replica a leads", a::isLeader);
      b.start();
      await("replica b ready", b::isReady);
      String ns1 = fx.namespace("le", Map.of("acr-test", inst));
      await(
          "ns1 synced",
          () ->
              fx.sa(ns1, "default").isPresent()
                  && fx.pullSecrets(ns1, "default").contains(HZ_SECRET));
      Thread.sleep(2000); // b had every chance to write, were it not a standby
      assertThat(b.isLeader()).isFalse();
      assertThat(nonLeaseWrites(writesA)).isNotEmpty();
      assertThat(nonLeaseWrites(writesB)).as("writes by the standby").isEmpty();

      long t0 = System.nanoTime();
      a.close();
      Duration takeover = await("replica b takes over", b::isLeader);
      String ns2 = fx.namespace("le", Map.of("acr-test", inst));
      await(
          "ns2 synced by the new leader",
          () ->
              fx.sa(ns2, "default").isPresent()
                  && fx.pullSecrets(ns2, "default").contains(HZ_SECRET));
      System.out.println(
          "[k8s-sync] leader stopped -> standby leads after "
              + takeover.toMillis()
              + " ms (lease released on close); new namespace synced "
              + Duration.ofNanos(System.nanoTime() - t0).toMillis()
              + " ms after the stop");
      assertThat(nonLeaseWrites(writesB)).isNotEmpty();
      assertThat(takeover).isLessThan(Duration.ofSeconds(5));
    } finally {
      a.close();
      b.close();
    }
  }
}
