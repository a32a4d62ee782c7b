package io.acrcredential.benchmarks;

import static io.acrcredential.benchmarks.Figures.fmt;
import static io.acrcredential.benchmarks.Figures.since;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.PullSecretSyncBuilder;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeIdentities;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.Interceptor;
import okhttp3.Response;

/**
 * What a restart and a leader failover of {@link PullSecretSync} cost at scale, with the stored
 * tokens reused (the default) and side by side with the behaviour before (reuse switched off with
 * {@code PullSecretSyncBuilder.reuseStoredTokens(false)}): ACR calls, Secret and ServiceAccount
 * writes, and the time until every namespace was reconciled. Then a rotation of every token with
 * the default write settings (no write rate given), timed against the renewal window. Real local
 * kube-apiserver, fake ACR. Not run by the build; see README.md, section "Restart and failover".
 *
 * <pre>
 * java -cp acr-credential-benchmarks/target/benchmarks.jar \
 *     io.acrcredential.benchmarks.RestartBenchmark --namespaces 10000
 * </pre>
 *
 * <p>Exits 1 when the restart or the failover with reuse made an ACR call or a write, or when the
 * rotation did not finish within the renewal window.
 *
 * <p>Options: {@code --namespaces N} (1000), {@code --write-rate R} (the write rate of the restart
 * and failover runs, both sides, default 1000/s so the baseline's rewrite is not stretched by the
 * client-side limit), {@code --rotation true|false} (true).
 */
public final class RestartBenchmark {

  private static final String LABEL = "acr-bench=restart";
  private static final String PREFIX = "restart-";
  private static final String AK = "LTAI5tRestartBenchKey01";
  private static final String SK = "restartSecretrestartSecret";
  private static final Duration RENEW_BEFORE = Duration.ofMinutes(15);
  private static final Duration WAIT = Duration.ofMinutes(60);

  private final int namespaceCount;
  private final double writeRate;
  private final boolean rotation;
  private final List<RegistryTarget> targets = SyncSetup.targets();
  private final Report report = new Report();

  private Cluster cluster;
  private FakeAcr acr;

  private RestartBenchmark(Map<String, String> options) {
    this.namespaceCount = Integer.parseInt(options.getOrDefault("namespaces", "1000"));
    this.writeRate = Double.parseDouble(options.getOrDefault("write-rate", "1000"));
    this.rotation = Boolean.parseBoolean(options.getOrDefault("rotation", "true"));
  }

  /**
   * Runs the benchmark and prints the figures.
   *
   * @param args {@code --name value} pairs, see the class documentation
   * @throws Exception when the benchmark cannot run
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = Figures.options(args, "--namespaces 1000");
    boolean ok = new RestartBenchmark(options).run();
    System.exit(ok ? 0 : 1); // the local API server's shutdown hook stops its processes
  }

  /** Counts the Secret and ServiceAccount writes a client sends. */
  private static final class Writes implements Interceptor {
    final LongAdder secrets = new LongAdder();
    final LongAdder serviceAccounts = new LongAdder();

    @Override
    public Response intercept(Chain chain) throws IOException {
      if (!"GET".equals(chain.request().method())) {
        String path = chain.request().url().encodedPath();
        if (path.contains("/secrets")) {
          secrets.increment();
        } else if (path.contains("/serviceaccounts")) {
          serviceAccounts.increment();
        }
      }
      return chain.proceed(chain.request());
    }

    long total() {
      return secrets.sum() + serviceAccounts.sum();
    }

    @Override
    public String toString() {
      return secrets.sum() + " Secret + " + serviceAccounts.sum() + " ServiceAccount writes";
    }
  }

  /** One refresher process: its own ACR client and token cache. */
  private final class Replica implements AutoCloseable {
    final Writes writes = new Writes();
    final Progress progress = new Progress(PREFIX);
    final AcrTokenProvider provider;
    final CachingTokenProvider cache;
    final PullSecretSync sync;

    Replica(boolean reuse, String identity, boolean defaultWriteRate) {
      provider = SyncSetup.acrProvider(AK, SK, acr.endpoint());
      cache = SyncSetup.cache(provider, RENEW_BEFORE);
      PullSecretSyncBuilder b =
          PullSecretSync.builder()
              .apiClient(cluster.client(writes))
              .configuration(configuration())
              .tokenProvider(cache)
              .instanceName("bench")
              .listener(progress)
              .reuseStoredTokens(reuse);
      if (!defaultWriteRate) {
        b.writeRateLimit(writeRate, (int) Math.max(1, writeRate));
      }
      if (identity != null) {
        b.leaderElection("default", "restart-bench", identity)
            .leaderElectionTimings(
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
      }
      sync = b.build();
    }

    private boolean closed;

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      sync.close();
      cache.close();
      provider.close();
    }
  }

  private AcrConfiguration configuration() {
    return SyncSetup.configuration(LABEL, List.of("default"), targets)
        .expiringThreshold(RENEW_BEFORE)
        .build();
  }

  /** One measured phase. */
  private record Phase(String what, long acrCalls, long writes, String detail, Duration ready) {}

  /** Runs every phase; false when a target was missed (see the class documentation). */
  private boolean run() throws Exception {
    boolean ok = true;
    long t0 = System.nanoTime();
    cluster = Cluster.start(PREFIX, LABEL, null);
    acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SK));
    acr.setTokenLifetime(Duration.ofHours(1));
    List<Phase> phases = new ArrayList<>();
    try {
      line(
          "RestartBenchmark: %d namespaces, %d registries (%d pull Secrets), ServiceAccount"
              + " default; write rate %.0f/s for the restart and failover runs; %d cores; java %s",
          namespaceCount,
          targets.size(),
          namespaceCount * targets.size(),
          writeRate,
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"));
      long s = System.nanoTime();
      cluster.createNamespaces(0, namespaceCount);
      line("setup: %d namespaces in %s", namespaceCount, since(s));

      try (Replica first = new Replica(true, null, false)) {
        s = System.nanoTime();
        first.sync.start();
        awaitAll(first.progress.synced, "first sync");
        line("first sync: %s, %s, %d ACR calls", since(s), first.writes, acr.totalCalls());
      }
      phases.add(restart(true));
      phases.add(restart(false));
      phases.add(failover(true));
      phases.add(failover(false));

      line("");
      line(
          "%-50s %10s %10s %-42s %12s",
          "scenario", "ACR calls", "writes", "(of which)", "to ready");
      for (Phase p : phases) {
        line("%-50s %10d %10d %-42s %12s", p.what, p.acrCalls, p.writes, p.detail, fmt(p.ready));
      }
      line("");
      for (Phase p : phases) {
        if (!p.what.contains("reuse off") && (p.acrCalls != 0 || p.writes != 0)) {
          line(
              "CHECK FAILED: %s made %d ACR calls and %d writes, not 0",
              p.what, p.acrCalls, p.writes);
          ok = false;
        }
      }
      if (rotation) {
        ok &= rotationAtTheDefaultRate();
      }
      line(ok ? "RESULT: all checks held" : "RESULT: a check FAILED (see above)");
    } finally {
      acr.close();
      cluster.close();
      line("total run time %s", since(t0));
      report.write("restart-" + namespaceCount + ".txt");
    }
    return ok;
  }

  /** A single replica stopped and started again (a rolling update of one replica). */
  private Phase restart(boolean reuse) throws Exception {
    int acrBefore = acr.totalCalls();
    try (Replica r = new Replica(reuse, null, false)) {
      long s = System.nanoTime();
      r.sync.start();
      awaitAll(r.progress.synced, "restart");
      Duration ready = Duration.ofNanos(System.nanoTime() - s);
      Thread.sleep(2000); // a write still in flight would show up here
      Phase p =
          new Phase(
              "restart" + (reuse ? "" : " (reuse off: the behaviour before)"),
              acr.totalCalls() - acrBefore,
              r.writes.total(),
              r.writes.toString(),
              ready);
      line(
          "%s: %d ACR calls, %s, every namespace reconciled after %s",
          p.what, p.acrCalls, r.writes, fmt(ready));
      return p;
    }
  }

  /**
   * Leader election with two replicas: the leader is stopped (releasing its Lease) and the standby
   * takes over. Counts the standby's ACR calls from its start and its writes after the takeover;
   * the time runs from the leader's stop until the standby reconciled every namespace as leader.
   */
  private Phase failover(boolean reuse) throws Exception {
    // the leader's own start is not measured: it reuses the stored tokens either way
    try (Replica leader = new Replica(true, "replica-a", false)) {
      leader.sync.start();
      awaitAll(leader.progress.synced, "leader's start");
      int acrBefore = acr.totalCalls();
      try (Replica standby = new Replica(reuse, "replica-b", false)) {
        standby.sync.start();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!standby.sync.isReady() && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        Thread.sleep(3000); // the standby's start-up, its credentials included
        long standbyWrites = standby.writes.total();
        standby.progress.synced.clear();
        long s = System.nanoTime();
        leader.close();
        while (standby.progress.ledAt == 0 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        long led = standby.progress.ledAt;
        standby.progress.synced.entrySet().removeIf(e -> e.getValue() < led);
        awaitAll(standby.progress.synced, "failover");
        Duration ready = Duration.ofNanos(System.nanoTime() - s);
        Thread.sleep(2000);
        Phase p =
            new Phase(
                "leader failover" + (reuse ? "" : " (reuse off: the behaviour before)"),
                acr.totalCalls() - acrBefore,
                standby.writes.total() - standbyWrites,
                standby.writes.toString(),
                ready);
        line(
            "%s: standby took over %s after the leader stopped; %d ACR calls (from the standby's"
                + " start), %d writes after the takeover (%s in all), every namespace reconciled"
                + " %s after the stop",
            p.what,
            fmt(Duration.ofNanos(led - s)),
            p.acrCalls,
            p.writes,
            standby.writes,
            fmt(ready));
        return p;
      }
    }
  }

  /**
   * A rotation of every token with the default write settings (no write rate given): every Secret
   * must hold the new token before the old one would expire had the rotation started at renewal
   * time, that is within the renewal window.
   */
  private boolean rotationAtTheDefaultRate() throws Exception {
    try (Replica r = new Replica(true, null, true)) {
      r.sync.start();
      awaitAll(r.progress.synced, "start before the rotation");
      Thread.sleep(2000);
      long secretWritesBefore = r.writes.secrets.sum();
      r.progress.watchRotation = true;
      long s = System.nanoTime();
      for (RegistryTarget t : targets) {
        r.cache.invalidate(t);
      }
      r.sync.credentialsChanged();
      awaitAll(r.progress.rotated, "rotation");
      Duration took = Duration.ofNanos(System.nanoTime() - s);
      long writes = r.writes.secrets.sum() - secretWritesBefore;
      line(
          "rotation with the default write settings: %d Secret writes in %s (%.1f/s); renewal"
              + " window %s, so the old token would expire %s after the rotation began: %s, with"
              + " %s to spare",
          writes,
          fmt(took),
          writes / (took.toMillis() / 1000.0),
          fmt(RENEW_BEFORE),
          fmt(RENEW_BEFORE),
          took.compareTo(RENEW_BEFORE) < 0 ? "finished before it" : "NOT finished before it",
          fmt(RENEW_BEFORE.minus(took)));
      return took.compareTo(RENEW_BEFORE) < 0;
    }
  }

  private void awaitAll(Map<String, Long> map, String what) throws InterruptedException {
    Figures.awaitCount(map, namespaceCount, WAIT, what);
  }

  private void line(String format, Object... args) {
    report.line(format, args);
  }
}
