package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The leader runs in its own JVM and is killed with SIGKILL, so it never releases its Lease: the
 * standby takes over once the Lease expires (within the lease duration plus the elector's polling
 * delays, see {@link #worstCaseTakeover()}), and then writes nothing that is already right (no
 * write storm).
 */
@WithKubeApiServer
class LeaderKillIT {

  static final Duration LEASE = Duration.ofSeconds(8);
  static final Duration RENEW = Duration.ofSeconds(5);
  static final Duration RETRY = Duration.ofSeconds(1);

  private final SyncFixture fx;

  /**
   * The latest moment after the kill at which the standby may start leading. The bound was set for
   * client-java-extended's LeaderElector, which polled the Lease every {@code retry * (1 + 1.2 *
   * random)} and slept one more retry period after acquiring: the leader's last renewal is observed
   * up to one poll later, the Lease counts from that observation, the acquiring poll comes up to
   * one poll after the Lease ran out, plus that retry period. The sync's own {@code LeaseElector}
   * polls every {@code retry * (1 + 0.2 * random)} and leads right after acquiring, so it stays
   * well inside. One second is added for the API round trips and this test's 20 ms polling on a
   * loaded machine.
   */
  static Duration worstCaseTakeover() {
    Duration poll = Duration.ofMillis(RETRY.toMillis() * 22 / 10);
    return LEASE.plus(poll.multipliedBy(2)).plus(RETRY).plus(Duration.ofSeconds(1));
  }

  LeaderKillIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  @Test
  void standbyTakesOverFromAKilledLeaderWithinTheLeaseDurationWithoutAWriteStorm()
      throws Exception {
    String inst = "kill-" + UUID.randomUUID().toString().substring(0, 6);
    String leaseNs = fx.namespace("lease", Map.of());
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      namespaces.add(fx.namespace("kill", Map.of("acr-test", inst)));
    }
    Instant tokenBase = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Path kubeconfig = fx.server.kubeconfig();
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process leader =
        new ProcessBuilder(
                javaBin,
                "-cp",
                System.getProperty("java.class.path"),
                LeaderProcessMain.class.getName(),
                kubeconfig.toString(),
                inst,
                leaseNs,
                Long.toString(tokenBase.getEpochSecond()))
            .redirectErrorStream(true)
            .start();
    CountDownLatch leads = new CountDownLatch(1);
    List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(leader.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  output.add(line);
                  if (line.equals("LEADER")) {
                    leads.countDown();
                  }
                }
              } catch (java.io.IOException e) {
                // the process was killed
              }
            },
            "leader-output");
    reader.setDaemon(true);
    reader.start();
    WriteCounter standbyWrites = new WriteCounter();
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    PullSecretSync standby =
        PullSecretSync.builder()
            .apiClient(fx.countingAdmin(standbyWrites))
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ))
            .tokenProvider(new FakeTokens(tokenBase))
            .instanceName(inst)
            .leaderElectionTimings(LEASE, RENEW, RETRY)
            .leaderElection(leaseNs, "acr-sync-" + inst, "replica-standby")
            .listener(rec)
            .build();
    try {
      assertThat(leads.await(60, TimeUnit.SECONDS))
          .as("the child JVM leads; its output: %s", output)
          .isTrue();
      standby.start();
      await("standby ready", standby::isReady);
      for (String ns : namespaces) {
        await(
            "the child JVM synced " + ns,
            () ->
                fx.sa(ns, "default").isPresent()
                    && fx.pullSecrets(ns, "default").contains(HZ_SECRET));
      }
      Thread.sleep(1500);
      assertThat(standby.isLeader()).isFalse();

      long killedAt = System.nanoTime();
      leader.destroyForcibly(); // SIGKILL: the lease is not released
      assertThat(leader.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(leader.exitValue()).isEqualTo(137);
      await("the standby takes over", standby::isLeader);
      Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
      long writesAtTakeover =
          standbyWrites.writes.stream().filter(w -> !w.contains("/leases")).count();

      // the new leader keeps working ...
      String fresh = fx.namespace("kill", Map.of("acr-test", inst));
      await(
          "a namespace created after the kill is synced by the new leader",
          () ->
              fx.sa(fresh, "default").isPresent()
                  && fx.pullSecrets(fresh, "default").contains(HZ_SECRET));
      Thread.sleep(2000);
      // ... and rewrites nothing that the killed leader had already written
      List<String> nonLease =
          standbyWrites.writes.stream().filter(w -> !w.contains("/leases")).toList();
      List<String> forOldNamespaces =
          nonLease.stream().filter(w -> namespaces.stream().anyMatch(w::contains)).toList();
      System.out.printf(
          "[scale-faults] leader JVM killed with SIGKILL: standby leads %d ms after the kill (lease %d s,"
              + " retry %d s); standby writes: %d lease, %d to the %d already synced namespaces,"
              + " %d in total outside leases%n",
          takeover.toMillis(),
          LEASE.toSeconds(),
          RETRY.toSeconds(),
          standbyWrites.writes.size() - nonLease.size(),
          forOldNamespaces.size(),
          namespaces.size(),
          nonLease.size());
      assertThat(takeover).isLessThanOrEqualTo(worstCaseTakeover());
      assertThat(writesAtTakeover).as("writes outside the Lease before taking over").isZero();
      assertThat(forOldNamespaces).as("writes to namespaces already in sync").isEmpty();
      // only the new namespace needed writes: one Secret create, one ServiceAccount update (and a
      // retry should kube-controller-manager touch the ServiceAccount at the same moment)
      assertThat(nonLease).allSatisfy(w -> assertThat(w).contains("/namespaces/" + fresh + "/"));
      assertThat(nonLease).hasSizeLessThanOrEqualTo(4);
      assertThat(rec.failures).isEmpty();
    } finally {
      leader.destroyForcibly();
      standby.close();
    }
  }
}
