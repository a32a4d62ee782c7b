package io.acrcredential.benchmarks;

import static io.acrcredential.benchmarks.Figures.awaitCount;
import static io.acrcredential.benchmarks.Figures.fmt;
import static io.acrcredential.benchmarks.Figures.heapAfterGc;
import static io.acrcredential.benchmarks.Figures.mib;
import static io.acrcredential.benchmarks.Figures.percentile;
import static io.acrcredential.benchmarks.Figures.rssBytes;
import static io.acrcredential.benchmarks.Figures.since;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeIdentities;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The scale benchmark of {@link PullSecretSync} against a real local kube-apiserver (with etcd and
 * kube-controller-manager), side by side with two baselines that behave like today's tools, on the
 * same server in the same run. Not run by the build; see README.md, section "Scale".
 *
 * <pre>
 * java -cp acr-credential-benchmarks/target/benchmarks.jar \
 *     io.acrcredential.benchmarks.ScaleBenchmark --namespaces 1000
 * </pre>
 *
 * <p>Options: {@code --namespaces N} (1000), {@code --steady-seconds S} (120), {@code
 * --new-namespaces K} (100), {@code --patcher-cycles C} (3), {@code --workers W} (4, the sync's
 * default), {@code --write-rate R} (writes per second the sync may send, default 1000 so the
 * client-side limit does not hide the sync's own speed; the library default is 20).
 */
public final class ScaleBenchmark {

  private static final String LABEL = "acr-bench=scale";
  private static final String PREFIX = "scale-";
  static final String BUILDER_SA = "builder";
  private static final String AK = "LTAI5tBenchmarkAccessKey";

  /** The fake ACR's token lifetime (the real service's) and when the cache renews. */
  private static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

  private static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(15);

  /** Rotations per hour per registry: one every 45 minutes. */
  private static final double ROTATIONS_PER_HOUR =
      3600.0 / TOKEN_LIFETIME.minus(REFRESH_BEFORE_EXPIRY).toSeconds();

  private static final String SK = "benchmarkSecretbenchmarkSecret";

  private final int namespaceCount;
  private final int steadySeconds;
  private final int newNamespaces;
  private final int patcherCycles;
  private final int workers;
  private final double writeRate;
  private final List<RegistryTarget> targets = SyncSetup.targets();
  private final List<String> domains = new ArrayList<>();
  private final Report report = new Report();

  private Cluster cluster;
  private CoreV1Api admin;
  private FakeAcr acr;

  private ScaleBenchmark(Map<String, String> options) {
    this.namespaceCount = Integer.parseInt(options.getOrDefault("namespaces", "1000"));
    this.steadySeconds = Integer.parseInt(options.getOrDefault("steady-seconds", "120"));
    this.newNamespaces = Integer.parseInt(options.getOrDefault("new-namespaces", "100"));
    this.patcherCycles = Integer.parseInt(options.getOrDefault("patcher-cycles", "3"));
    this.workers = Integer.parseInt(options.getOrDefault("workers", "4"));
    this.writeRate = Double.parseDouble(options.getOrDefault("write-rate", "1000"));
    targets.forEach(t -> domains.addAll(t.domains()));
  }

  /**
   * Runs the benchmark and prints the figures.
   *
   * @param args {@code --name value} pairs, see the class documentation
   * @throws Exception when the benchmark cannot run
   */
  public static void main(String[] args) throws Exception {
    new ScaleBenchmark(Figures.options(args, "--namespaces 1000")).run();
    System.exit(0); // the local API server's shutdown hook stops its processes
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    cluster = Cluster.start(PREFIX, LABEL, BUILDER_SA);
    admin = cluster.admin();
    FakeIdentities ids = new FakeIdentities().addAccessKey(AK, SK);
    acr = FakeAcr.start(ids);
    acr.setTokenLifetime(TOKEN_LIFETIME);
    try {
      line(
          "ScaleBenchmark: %d namespaces x 2 ServiceAccounts, %d registries; %s; %d cores; java %s",
          namespaceCount,
          targets.size(),
          cluster,
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"));
      long s = System.nanoTime();
      cluster.createNamespaces(0, namespaceCount);
      line("setup: %d namespaces with their ServiceAccounts in %s", namespaceCount, since(s));

      ScaleBaselines baselines =
          new ScaleBaselines(
              cluster, acr, AK, SK, targets, namespaceCount, workers, patcherCycles, report);
      Measured bare = baselines.bareClientLoop();
      Measured ours = measureSync();
      Measured registryCreds = baselines.registryCredsLike();
      Measured patcher = baselines.patcherLike();
      summary(bare, ours, registryCreds, patcher);
    } finally {
      acr.close();
      cluster.close();
      line("total run time %s", since(t0));
      report.write("scale-" + namespaceCount + ".txt");
    }
  }

  // ---- the sync ----

  private Measured measureSync() throws Exception {
    Measured m = new Measured("acr-credential");
    RequestCounter writesClient = new RequestCounter();
    RequestCounter informerClient = new RequestCounter();
    AcrConfiguration.Builder config =
        SyncSetup.configuration(LABEL, List.of("default", BUILDER_SA), targets);
    Progress progress = new Progress(PREFIX);
    long heapBefore = heapAfterGc();
    acr.resetCalls();
    try (AcrTokenProvider provider = SyncSetup.acrProvider(AK, SK, acr.endpoint());
        CachingTokenProvider cache = SyncSetup.cache(provider, REFRESH_BEFORE_EXPIRY);
        PullSecretSync sync =
            PullSecretSync.builder()
                .apiClient(cluster.client(writesClient))
                .informerApiClient(cluster.client(informerClient))
                .configuration(config.build())
                .tokenProvider(cache)
                .workers(workers)
                .writeRateLimit(writeRate, (int) Math.max(1, writeRate))
                .instanceName("bench")
                .listener(progress)
                .build()) {
      // 1. first full sync
      long start = System.nanoTime();
      sync.start();
      awaitCount(progress.synced, namespaceCount, Duration.ofMinutes(60), "first full sync");
      m.firstSync = Duration.ofNanos(System.nanoTime() - start);
      m.firstSyncCounts = both(writesClient, informerClient);
      verifyAllSynced(sync);
      line(
          "acr-credential first full sync: %s, %s, %d ACR calls, %d failed attempts (retried)",
          fmt(m.firstSync), m.firstSyncCounts, acr.totalCalls(), progress.failures.sum());

      // 2. steady state
      Thread.sleep(5000); // let the last watch events of the first sync settle
      RequestCounter.Counts before = both(writesClient, informerClient);
      int acrBefore = acr.totalCalls();
      Thread.sleep(steadySeconds * 1000L);
      m.steady = both(writesClient, informerClient).minus(before);
      m.steadyAcrCalls = acr.totalCalls() - acrBefore;
      m.steadySeconds = steadySeconds;
      line(
          "acr-credential steady state over %d s: %s, %d ACR calls",
          steadySeconds, m.steady, m.steadyAcrCalls);

      m.heapAfterGc = heapAfterGc();
      m.heapBefore = heapBefore;
      m.rss = rssBytes();
      line(
          "memory: heap after GC %s (before the sync started %s, difference %s), RSS %s",
          mib(m.heapAfterGc), mib(heapBefore), mib(m.heapAfterGc - heapBefore), mib(m.rss));

      // 3. a rotation of every registry's token
      before = both(writesClient, informerClient);
      acrBefore = acr.totalCalls();
      progress.watchRotation = true;
      long rot = System.nanoTime();
      for (RegistryTarget t : targets) {
        cache.invalidate(t);
      }
      sync.credentialsChanged();
      awaitCount(progress.rotated, namespaceCount, Duration.ofMinutes(60), "rotation");
      m.rotation = Duration.ofNanos(System.nanoTime() - rot);
      progress.watchRotation = false;
      Thread.sleep(3000);
      m.rotationCounts = both(writesClient, informerClient).minus(before);
      m.rotationAcrCalls = acr.totalCalls() - acrBefore;
      line(
          "acr-credential rotation of %d tokens reached all %d namespaces in %s: %s, %d ACR calls",
          targets.size(), namespaceCount, fmt(m.rotation), m.rotationCounts, m.rotationAcrCalls);

      // 4. new namespaces while it runs
      m.newNamespaceLatencies = newNamespaceLatencies();
      line(
          "new namespace -> both ServiceAccounts list all %d pull Secrets (%d namespaces, created"
              + " one after another): p50 %s, p99 %s, max %s",
          targets.size(),
          m.newNamespaceLatencies.size(),
          fmt(percentile(m.newNamespaceLatencies, 50)),
          fmt(percentile(m.newNamespaceLatencies, 99)),
          fmt(percentile(m.newNamespaceLatencies, 100)));
    }
    return m;
  }

  private static RequestCounter.Counts both(RequestCounter a, RequestCounter b) {
    return a.snapshot().plus(b.snapshot());
  }

  /** Checks on the server (not through the sync) that the first sync really wrote everything. */
  private void verifyAllSynced(PullSecretSync sync) throws ApiException {
    int secrets =
        admin
            .listSecretForAllNamespaces()
            .labelSelector(PullSecretSync.INSTANCE_LABEL + "=bench")
            .execute()
            .getItems()
            .size();
    Set<String> wanted = new HashSet<>();
    for (String d : domains) {
      wanted.add(DockerConfig.secretName(d));
    }
    int sas = 0;
    for (V1ServiceAccount sa : admin.listServiceAccountForAllNamespaces().execute().getItems()) {
      if (sa.getMetadata().getNamespace().startsWith(PREFIX)
          && sa.getImagePullSecrets() != null
          && sa.getImagePullSecrets().stream()
              .map(V1LocalObjectReference::getName)
              .collect(java.util.stream.Collectors.toSet())
              .containsAll(wanted)) {
        sas++;
      }
    }
    if (secrets < namespaceCount * targets.size() || sas < 2 * namespaceCount) {
      throw new IllegalStateException(
          "after the first sync the server has "
              + secrets
              + " Secrets and "
              + sas
              + " complete ServiceAccounts; expected "
              + namespaceCount * targets.size()
              + " and "
              + 2 * namespaceCount
              + " ("
              + sync
              + ")");
    }
  }

  private List<Duration> newNamespaceLatencies() throws Exception {
    Set<String> wanted = new HashSet<>();
    for (String d : domains) {
      wanted.add(DockerConfig.secretName(d));
    }
    List<Duration> latencies = new ArrayList<>();
    for (int k = 0; k < newNamespaces; k++) {
      String ns = cluster.name(namespaceCount + k);
      long start = System.nanoTime();
      cluster.createNamespace(ns);
      long deadline = start + Duration.ofSeconds(60).toNanos();
      while (!(hasAll(ns, "default", wanted) && hasAll(ns, BUILDER_SA, wanted))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(ns + ": ServiceAccounts not patched within 60 s");
        }
        Thread.sleep(5);
      }
      latencies.add(Duration.ofNanos(System.nanoTime() - start));
    }
    return latencies;
  }

  private boolean hasAll(String ns, String sa, Set<String> wanted) throws ApiException {
    try {
      V1ServiceAccount s = admin.readNamespacedServiceAccount(sa, ns).execute();
      if (s.getImagePullSecrets() == null) {
        return false;
      }
      Set<String> have = new HashSet<>();
      s.getImagePullSecrets().forEach(r -> have.add(r.getName()));
      return have.containsAll(wanted);
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  private void summary(Measured bare, Measured ours, Measured rc, Measured patcher) {
    int total = namespaceCount + newNamespaces;
    line("");
    line("==== summary (%d + %d namespaces) ====", namespaceCount, newNamespaces);
    double speed = bare.firstSync.toNanos() / (double) ours.firstSync.toNanos();
    line(
        "first full sync: acr-credential %s vs bare client loop %s -> %.0f%% as fast (target >="
            + " 80%%)",
        fmt(ours.firstSync), fmt(bare.firstSync), 100 * speed);
    line(
        "requests per first full sync: acr-credential %d (%d writes), bare loop %d (%d writes),"
            + " registry-creds-like %d (%d writes)",
        ours.firstSyncCounts.total(),
        ours.firstSyncCounts.writes(),
        bare.firstSyncCounts.total(),
        bare.firstSyncCounts.writes(),
        rc.firstSyncCounts.total(),
        rc.firstSyncCounts.writes());
    double perHour = 3600.0 / ours.steadySeconds;
    line(
        "steady state per hour (measured %d s, x%.0f): acr-credential %.0f requests, %.0f writes,"
            + " %.0f ACR calls",
        (int) ours.steadySeconds,
        perHour,
        ours.steady.total() * perHour,
        ours.steady.writes() * perHour,
        ours.steadyAcrCalls * perHour);
    line(
        "per rotation: acr-credential %d requests, %d writes, %d ACR calls, reached every namespace"
            + " in %s",
        ours.rotationCounts.total(),
        ours.rotationCounts.writes(),
        ours.rotationAcrCalls,
        fmt(ours.rotation));
    // tokens live 1 h and are renewed 15 min before expiry: 1.33 rotations per hour
    double oursHourRequests =
        ours.steady.total() * perHour + ours.rotationCounts.total() * ROTATIONS_PER_HOUR;
    double oursHourWrites =
        ours.steady.writes() * perHour + ours.rotationCounts.writes() * ROTATIONS_PER_HOUR;
    double oursHourAcr = ours.steadyAcrCalls * perHour + ours.rotationAcrCalls * ROTATIONS_PER_HOUR;
    line(
        "per hour incl. %.2f rotations (1 h tokens renewed 15 min early): acr-credential %.0f"
            + " requests, %.0f writes, %.0f ACR calls (= %d registries x %.2f rotations)",
        ROTATIONS_PER_HOUR,
        oursHourRequests,
        oursHourWrites,
        oursHourAcr,
        targets.size(),
        ROTATIONS_PER_HOUR);
    // the baselines ran over the new namespaces too: scale them to the same namespace count
    double scale = namespaceCount / (double) total;
    double rcRequests = rc.rotationCounts.total() * scale;
    double rcWrites = rc.rotationCounts.writes() * scale;
    double rcAcr = rc.rotationAcrCalls * scale;
    line(
        "registry-creds-like per hour (one refresh pass per 60 min; measured over %d namespaces,"
            + " scaled to %d): %.0f requests, %.0f writes, %.0f ACR calls",
        total, namespaceCount, rcRequests, rcWrites, rcAcr);
    double cyclesPerHour = 3600.0 / Math.max(10.0, patcher.patcherCycle.toNanos() / 1e9);
    double perCycle = patcher.steady.total() / (double) patcherCycles * scale;
    line(
        "imagepullsecret-patcher-like per hour (%.0f cycles of %.0f requests, scaled to %d"
            + " namespaces): %.0f requests, 0 writes, 0 ACR calls",
        cyclesPerHour, perCycle, namespaceCount, perCycle * cyclesPerHour);
    line(
        "ratios per hour incl. rotations (baseline / acr-credential): registry-creds-like requests"
            + " %s, writes %s, ACR calls %s; patcher-like requests %s",
        ratio(rcRequests, oursHourRequests),
        ratio(rcWrites, oursHourWrites),
        ratio(rcAcr, oursHourAcr),
        ratio(perCycle * cyclesPerHour, oursHourRequests));
    line(
        "ratios in steady state between rotations: registry-creds-like writes %s, patcher-like"
            + " requests %s",
        ratio(rcWrites, ours.steady.writes() * perHour),
        ratio(perCycle * cyclesPerHour, ours.steady.total() * perHour));
    line(
        "new namespace latency: p50 %s, p99 %s (target p99 < 1 s)",
        fmt(percentile(ours.newNamespaceLatencies, 50)),
        fmt(percentile(ours.newNamespaceLatencies, 99)));
    line(
        "memory: heap after GC %s (the sync's share about %s), RSS %s",
        mib(ours.heapAfterGc), mib(ours.heapAfterGc - ours.heapBefore), mib(ours.rss));
  }

  private static String ratio(double baseline, double ours) {
    if (ours == 0) {
      return baseline == 0
          ? "1 (both 0)"
          : "inf (acr-credential 0, baseline " + (long) baseline + ")";
    }
    return String.format(Locale.ROOT, "%.1fx", baseline / ours);
  }

  private void line(String format, Object... args) {
    report.line(format, args);
  }
}
