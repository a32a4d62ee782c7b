package io.acrcredential.k8s;

import io.acrcredential.k8s.config.ServiceAccountScope;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import java.io.FileReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * A sync replica in its own JVM, for {@link LeaderKillIT}: it leads, syncs, and is then killed with
 * SIGKILL (no lease release, no clean shutdown). Prints {@code LEADER} once it leads and {@code
 * SYNCED <namespace>} for each namespace it reconciled.
 *
 * <p>Arguments: kubeconfig path, instance name, lease namespace, token base (epoch seconds).
 */
final class LeaderProcessMain {

  private LeaderProcessMain() {}

  public static void main(String[] args) throws Exception {
    ApiClient client;
    try (Reader r = new FileReader(args[0], StandardCharsets.UTF_8)) {
      client = ClientBuilder.kubeconfig(KubeConfig.loadKubeConfig(r)).build();
    }
    String inst = args[1];
    PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(client)
            .configuration(
                SyncFixture.config(
                    inst, ServiceAccountScope.named(Set.of("default")), SyncFixture.HZ))
            .tokenProvider(new FakeTokens(Instant.ofEpochSecond(Long.parseLong(args[3]))))
            .instanceName(inst)
            .leaderElectionTimings(LeaderKillIT.LEASE, LeaderKillIT.RENEW, LeaderKillIT.RETRY)
            .leaderElection(args[2], "acr-sync-" + inst, "replica-killed")
            .listener(
                new SyncListener() {
                  @Override
                  public void leadershipChanged(boolean leader) {
                    if (leader) {
                      System.out.println("LEADER");
                      System.out.flush();
                    }
                  }

                  @Override
                  public void namespaceSynced(NamespaceSyncResult result) {
                    System.out.println("SYNCED " + result.namespace());
                    System.out.flush();
                  }
                })
            .build();
    sync.start();
    Thread.sleep(Duration.ofMinutes(5).toMillis()); // killed long before
    sync.close();
  }
}
