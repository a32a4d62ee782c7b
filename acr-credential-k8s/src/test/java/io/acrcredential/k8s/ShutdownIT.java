package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.informer.SharedInformerFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** close() leaves no thread of the sync behind, with and without leader election. */
@WithKubeApiServer
class ShutdownIT {

  private final SyncFixture fx;

  ShutdownIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  /**
   * Live threads not in {@code before}, except OkHttp's own pool threads (they belong to the
   * embedder's client, whose connection pool the sync shares, and end after their idle timeout).
   */
  private static List<String> newThreads(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(t -> !before.contains(t))
        .map(Thread::getName)
        .filter(n -> !n.startsWith("OkHttp") && !n.startsWith("Okio"))
        .toList();
  }

  @Test
  void closeStopsEveryThreadItStarted() throws Exception {
    String inst = "shut-" + UUID.randomUUID().toString().substring(0, 6);
    String leaseNs = fx.namespace("shut", Map.of());
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .leaderElectionTimings(
                Duration.ofSeconds(6), Duration.ofSeconds(4), Duration.ofSeconds(1))
            .leaderElection(leaseNs, "lease-" + inst, "only")
            .build();
    sync.start();
    await("leader", sync::isLeader);
    List<String> running = newThreads(before);
    assertThat(running).anyMatch(n -> n.startsWith("acr-sync-" + inst + "-worker"));
    assertThat(running).anyMatch(n -> n.startsWith("acr-sync-" + inst + "-leader"));
    assertThat(running)
        .as("the per-name Secret informer runs")
        .anyMatch(n -> n.startsWith("informer-controller-V1Secret"));
    System.out.println("[k8s-sync] threads while running: " + running);
    sync.close();
    await("no thread of the sync left", () -> newThreads(before).isEmpty());
    assertThat(sync.isLeader()).isFalse();
  }

  @Test
  void aSharedInformerFactoryIsUsedAndLeftToItsOwner() throws Exception {
    String inst = "shared-" + UUID.randomUUID().toString().substring(0, 6);
    String ns = fx.namespace("shared", Map.of("acr-test", inst));
    SharedInformerFactory factory = new SharedInformerFactory(fx.server.adminClient());
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .informerFactory(factory)
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .build()) {
      sync.start();
      await(
          "synced through the shared factory",
          () ->
              fx.sa(ns, "default").isPresent()
                  && fx.pullSecrets(ns, "default").contains(SyncFixture.HZ_SECRET));
      assertThat(
              factory.getExistingSharedIndexInformer(
                  io.kubernetes.client.openapi.models.V1Namespace.class))
          .isNotNull();
    }
    // the embedder's informers still run after the sync closed
    assertThat(
            factory
                .getExistingSharedIndexInformer(
                    io.kubernetes.client.openapi.models.V1Namespace.class)
                .hasSynced())
        .isTrue();
    factory.stopAllRegisteredInformers(true);
  }
}
