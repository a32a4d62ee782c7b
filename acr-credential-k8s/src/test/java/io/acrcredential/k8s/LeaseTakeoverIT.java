package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LeaseSpec;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Another identity takes the Lease while the leader is in the middle of a slow (rate-limited)
 * reconciliation of many namespaces. Once the leader has read the Lease showing the new holder, it
 * sends no further Secret or ServiceAccount write: client-java's elector alone would let it go on
 * until its renew deadline ran out (about 30 more writes here). When the Lease is free again it
 * takes it back and finishes every namespace; the abandoned ones are not counted as failures.
 */
@WithKubeApiServer
class LeaseTakeoverIT {

  static final Duration LEASE = Duration.ofSeconds(8);
  static final Duration RENEW = Duration.ofSeconds(5);
  static final Duration RETRY = Duration.ofSeconds(1);
  static final int NAMESPACES = 6;
  static final int WORKERS = 3;
  static final List<String> ACCOUNTS = List.of("sa-0", "sa-1", "sa-2", "sa-3", "sa-4");

  /**
   * How long to keep watching for writes after the leader reported the loss: without the per-write
   * check writes went on until the elector's renew loop gave up, at most the renew deadline after
   * the read that showed the new holder (which precedes the report), and namespaces being
   * reconciled then went on until done. Two seconds are added for a slow, loaded machine. This is
   * no bound on anything the sync does; a longer window only makes the test stricter.
   */
  static final Duration WATCH = RENEW.plus(Duration.ofSeconds(2));

  private final SyncFixture fx;

  LeaseTakeoverIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  private static final Pattern HELD_BY_USURPER =
      Pattern.compile("\"holderIdentity\"\\s*:\\s*\"usurper\"");

  /**
   * Everything the sync did, in order: its writes (with the sending thread), its reports ({@code
   * LEAD}, {@code LOST}), {@code OBSERVED} when its elector received the first Lease read showing
   * the usurper, and {@code FENCED} when its elector started its next Lease request. All Lease
   * requests of the sync come one after another from its elector's single lease thread, so that
   * next request starts after the sync has processed the read that showed the usurper.
   */
  private final List<String> log = new CopyOnWriteArrayList<>();

  private ApiClient loggingClient() {
    ApiClient c = fx.server.adminClient();
    c.setHttpClient(
        c.getHttpClient()
            .newBuilder()
            .addInterceptor(
                chain -> {
                  var r = chain.request();
                  boolean lease = r.url().encodedPath().contains("/leases");
                  if (!lease && !"GET".equals(r.method())) {
                    log.add(
                        "WRITE "
                            + Thread.currentThread().getName()
                            + " "
                            + r.method()
                            + " "
                            + r.url().encodedPath());
                  }
                  if (lease && log.contains("OBSERVED") && !log.contains("FENCED")) {
                    log.add("FENCED");
                  }
                  okhttp3.Response response = chain.proceed(r);
                  if (lease
                      && "GET".equals(r.method())
                      && !log.contains("OBSERVED")
                      && HELD_BY_USURPER.matcher(response.peekBody(1 << 20).string()).find()) {
                    log.add("OBSERVED");
                  }
                  return response;
                })
            .build());
    return c;
  }

  /** Writes after the first occurrence of {@code marker}, counted per sending thread. */
  private static Map<String, Long> writesPerThreadAfter(List<String> seen, String marker) {
    int at = seen.indexOf(marker);
    assertThat(at).as("%s in %s", marker, seen).isNotNegative();
    return seen.subList(at + 1, seen.size()).stream()
        .filter(e -> e.startsWith("WRITE "))
        .collect(Collectors.groupingBy(e -> e.split(" ")[1], Collectors.counting()));
  }

  private static long writesBetween(List<String> seen, String from, String to) {
    return seen.subList(seen.indexOf(from) + 1, seen.indexOf(to)).stream()
        .filter(e -> e.startsWith("WRITE "))
        .count();
  }

  private long writes() {
    return log.stream().filter(e -> e.startsWith("WRITE ")).count();
  }

  private static void editLease(
      CoordinationV1Api api, String ns, String name, UnaryOperator<V1LeaseSpec> edit)
      throws ApiException {
    for (int attempt = 1; ; attempt++) {
      V1Lease lease = api.readNamespacedLease(name, ns).execute();
      lease.setSpec(edit.apply(lease.getSpec()));
      try {
        api.replaceNamespacedLease(name, ns, lease).execute();
        return;
      } catch (ApiException e) {
        if (e.getCode() != 409 || attempt >= 20) {
          throw e; // 409: the leader renewed in between; read again
        }
      }
    }
  }

  private boolean synced(String ns) throws ApiException {
    if (fx.secret(ns, HZ_SECRET).isEmpty()) {
      return false;
    }
    for (String sa : ACCOUNTS) {
      if (!fx.pullSecrets(ns, sa).contains(HZ_SECRET)) {
        return false;
      }
    }
    return true;
  }

  @Test
  void aLeaderThatLosesItsLeaseMidReconcileStopsWritingAtOnce() throws Exception {
    String inst = "take-" + UUID.randomUUID().toString().substring(0, 6);
    String leaseNs = fx.namespace("lease", Map.of());
    String leaseName = "acr-sync-" + inst;
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < NAMESPACES; i++) {
      String ns = fx.namespace("take", Map.of("acr-test", inst));
      for (String sa : ACCOUNTS) {
        fx.serviceAccount(ns, sa);
      }
      namespaces.add(ns);
    }
    SyncFixture.Recorder rec =
        new SyncFixture.Recorder() {
          @Override
          public void leadershipChanged(boolean leader) {
            log.add(leader ? "LEAD" : "LOST");
          }
        };
    CoordinationV1Api leases = new CoordinationV1Api(fx.server.adminClient());
    ScheduledExecutorService usurper = Executors.newSingleThreadScheduledExecutor();
    PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(loggingClient())
            .configuration(SyncFixture.config(inst, ServiceAccountScope.named(ACCOUNTS), HZ))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .workers(WORKERS)
            .writeRateLimit(5, 1) // 6 writes per namespace: about 7 s for all of them
            .leaderElectionTimings(LEASE, RENEW, RETRY)
            .leaderElection(leaseNs, leaseName, "replica-a")
            .listener(rec)
            .build();
    try {
      sync.start();
      await("the sync leads", sync::isLeader);
      await("the sync is writing", () -> writes() >= 4);

      // another identity takes the Lease by force and keeps renewing it
      long takenAt = System.nanoTime();
      editLease(
          leases,
          leaseNs,
          leaseName,
          spec ->
              spec.holderIdentity("usurper")
                  .acquireTime(OffsetDateTime.now(ZoneOffset.UTC))
                  .renewTime(OffsetDateTime.now(ZoneOffset.UTC))
                  .leaseTransitions(
                      spec.getLeaseTransitions() == null ? 1 : spec.getLeaseTransitions() + 1));
      usurper.scheduleWithFixedDelay(
          () -> {
            try {
              editLease(
                  leases,
                  leaseNs,
                  leaseName,
                  spec -> spec.renewTime(OffsetDateTime.now(ZoneOffset.UTC)));
            } catch (ApiException e) {
              // the next tick tries again
            }
          },
          RETRY.toMillis() / 2,
          RETRY.toMillis() / 2,
          TimeUnit.MILLISECONDS);
      await("the sync reports the loss", () -> log.contains("LOST"));
      Duration observed = Duration.ofNanos(System.nanoTime() - takenAt);
      await("the sync's elector sends its next Lease request", () -> log.contains("FENCED"));
      Thread.sleep(WATCH.toMillis());
      assertThat(sync.isLeader()).isFalse();
      List<String> seen = List.copyOf(log);
      long unfinished = 0;
      for (String ns : namespaces) {
        if (!synced(ns)) {
          unfinished++;
        }
      }

      // the Lease is free again: the sync takes it back and finishes the abandoned namespaces
      usurper.shutdownNow();
      assertThat(usurper.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      long freedAt = System.nanoTime();
      editLease(leases, leaseNs, leaseName, spec -> spec.holderIdentity(null));
      await("the sync leads again", sync::isLeader);
      for (String ns : namespaces) {
        await("namespace " + ns + " finished by the leader again", () -> synced(ns));
      }
      Duration finished = Duration.ofNanos(System.nanoTime() - freedAt);

      long writesBefore =
          seen.subList(0, seen.indexOf("OBSERVED")).stream()
              .filter(e -> e.startsWith("WRITE "))
              .count();
      Map<String, Long> afterFenced = writesPerThreadAfter(seen, "FENCED");
      Map<String, Long> afterLost = writesPerThreadAfter(seen, "LOST");
      System.out.printf(
          "[k8s-sync] Lease taken by another identity after %d of %d writes: the leader read it"
              + " and reported the loss %d ms later (retry %d s, renew deadline %d s); writes"
              + " after that read: %d before its next Lease request, %d after it, %d after the"
              + " report; %d of %d namespaces left unfinished, all finished %d ms after the Lease"
              + " was free again; failures: %d%n",
          writesBefore,
          NAMESPACES * (1 + ACCOUNTS.size()),
          observed.toMillis(),
          RETRY.toSeconds(),
          RENEW.toSeconds(),
          writesBetween(seen, "OBSERVED", "FENCED"),
          afterFenced.values().stream().mapToLong(Long::longValue).sum(),
          afterLost.values().stream().mapToLong(Long::longValue).sum(),
          unfinished,
          NAMESPACES,
          finished.toMillis(),
          rec.failures.size());

      assertThat(seen.indexOf("LOST"))
          .as("reported after the read")
          .isGreaterThan(seen.indexOf("OBSERVED"));
      assertThat(seen.subList(seen.indexOf("LOST") + 1, seen.size()))
          .as("no second report while another identity holds the Lease")
          .doesNotContain("LEAD", "LOST");
      // The check is right before each request, not atomic with it: a worker whose check passed an
      // instant before the sync saw the usurper may still send that one request afterwards. Any
      // further write of any worker must have been refused. Both markers come after the sync
      // processed the read (its next Lease request; its report), so this holds deterministically.
      for (Map<String, Long> perThread : List.of(afterFenced, afterLost)) {
        assertThat(perThread)
            .as("writes per sending thread after the sync saw the usurper: %s", seen)
            .allSatisfy(
                (thread, count) -> {
                  assertThat(thread).startsWith("acr-sync-" + inst + "-worker-");
                  assertThat(count).isLessThanOrEqualTo(1L);
                });
      }
      assertThat(unfinished)
          .as("namespaces the deposed leader left unfinished for the next one")
          .isPositive();
      assertThat(rec.failures).as("abandoned namespaces are not failures").isEmpty();
    } finally {
      usurper.shutdownNow();
      sync.close();
    }
  }
}
