package io.acrcredential.benchmarks;

import static io.acrcredential.benchmarks.Figures.awaitCount;
import static io.acrcredential.benchmarks.Figures.fmt;
import static io.acrcredential.benchmarks.Figures.heapAfterGc;
import static io.acrcredential.benchmarks.Figures.kib;
import static io.acrcredential.benchmarks.Figures.mib;
import static io.acrcredential.benchmarks.Figures.percentile;
import static io.acrcredential.benchmarks.Figures.since;

import io.acrcredential.benchmarks.RefresherComparison.Variant;
import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the sync costs in memory as the cluster grows, against a real local kube-apiserver: at each
 * stage (1,000, 3,000 and 10,000 namespaces by default, 2 ServiceAccounts and 3 pull Secrets each)
 * the heap the in-process {@link PullSecretSync} adds after a full GC (its caches and state), drift
 * repair (a managed Secret emptied, one deleted) and a rotation of every token, then the packaged
 * refresher ({@code java -jar acr-credential.jar sync} with the JVM options the shipped Deployment
 * sets) as a process of its own: its resident memory once it has reconciled every namespace. Not
 * run by the build; see README.md, section "Heap".
 *
 * <pre>
 * java -cp acr-credential-benchmarks/target/benchmarks.jar io.acrcredential.benchmarks.HeapBenchmark \
 *     --stages 1000,3000,10000 --program-jar acr-credential-examples/target/acr-credential.jar \
 *     --deployment acr-credential-examples/deploy/base/deployment.yaml
 * </pre>
 *
 * <p>Options: {@code --stages N,N,..}; {@code --drift-samples K} (15 edits and 15 deletions per
 * stage); {@code --write-rate R} (1000, as in {@link ScaleBenchmark}); {@code --program-jar JAR}
 * (no process figures without it); {@code --deployment FILE} (where {@code JAVA_TOOL_OPTIONS} and
 * the memory limit are read from; the limit is given to the JVM as {@code -XX:MaxRAM}, as a
 * container would); {@code --settle-seconds S} (30: the refresher's RSS is read again after that);
 * {@code --pause-seconds S} (0: a pause after the heap figure, to take a class histogram).
 *
 * <p>Comparing JVM options: {@code --refresher-only true} skips the in-process sync and runs only
 * the refresher at each stage; {@code --variants "name=options;name=options"} runs it once per
 * variant, the variant's options appended to the shipped ones (the last of a repeated option wins;
 * {@code MALLOC_ARENA_MAX=N} among them sets that variable instead), {@code --repeats R} times in
 * turn (A B A B ..), and prints each variant's medians and their ratio to the first variant: first
 * reconcile, CPU time of the process by then (with {@code --fresh-secrets true}, the default with
 * {@code --refresher-only}, this instance's Secrets are deleted before each run, so each run writes
 * every Secret as a rotation does), RSS and threads. {@code --nmt true} adds {@code
 * -XX:NativeMemoryTracking=summary} and prints {@code jcmd VM.native_memory summary}'s committed
 * sizes per category after settling. {@code --more-from FILE}: after the last stage, more such
 * comparisons read from FILE on the same cluster (see {@code RefresherComparison.moreRuns}).
 */
public final class HeapBenchmark {

  static final String LABEL_KEY = "acr-heap";
  static final String LABEL_VALUE = "in";
  private static final String LABEL = LABEL_KEY + "=" + LABEL_VALUE;
  private static final String PREFIX = "heap-";
  static final String BUILDER_SA = "builder";
  static final String INSTANCE = "heapbench";
  static final List<String> REGIONS = SyncSetup.REGIONS;
  static final String AK = "LTAI5tHeapBenchAccessKey";
  static final String SK = "heapBenchSecretheapBenchSecret";

  private final int[] stages;
  private final int driftSamples;
  private final double writeRate;
  private final Path programJar;
  private final Path deployment;
  private final int settleSeconds;
  private final int pauseSeconds;
  private final boolean refresherOnly;
  private final List<Variant> variants;
  private final int repeats;
  private final boolean nmt;
  private final boolean freshSecrets;
  private final Path moreFrom;
  private final List<RegistryTarget> targets = SyncSetup.targets();
  private final List<String> domains = new ArrayList<>();
  private final Report report = new Report();

  private Cluster cluster;
  private CoreV1Api admin;
  private FakeAlibabaCloud cloud;
  private RefresherComparison refreshers;
  private int created;

  private HeapBenchmark(Map<String, String> options) {
    this.stages =
        Arrays.stream(options.getOrDefault("stages", "1000,3000,10000").split(","))
            .mapToInt(s -> Integer.parseInt(s.trim()))
            .sorted()
            .toArray();
    this.driftSamples = Integer.parseInt(options.getOrDefault("drift-samples", "15"));
    this.writeRate = Double.parseDouble(options.getOrDefault("write-rate", "1000"));
    this.programJar =
        options.containsKey("program-jar") ? Path.of(options.get("program-jar")) : null;
    this.deployment =
        Path.of(
            options.getOrDefault(
                "deployment", "acr-credential-examples/deploy/base/deployment.yaml"));
    this.settleSeconds = Integer.parseInt(options.getOrDefault("settle-seconds", "30"));
    this.pauseSeconds = Integer.parseInt(options.getOrDefault("pause-seconds", "0"));
    this.refresherOnly = Boolean.parseBoolean(options.getOrDefault("refresher-only", "false"));
    this.variants = Variant.parse(options.getOrDefault("variants", "shipped="));
    this.repeats = Integer.parseInt(options.getOrDefault("repeats", "1"));
    this.nmt = Boolean.parseBoolean(options.getOrDefault("nmt", "false"));
    this.freshSecrets =
        Boolean.parseBoolean(options.getOrDefault("fresh-secrets", String.valueOf(refresherOnly)));
    this.moreFrom = options.containsKey("more-from") ? Path.of(options.get("more-from")) : null;
    if (refresherOnly && programJar == null) {
      throw new IllegalArgumentException("--refresher-only true needs --program-jar");
    }
    targets.forEach(t -> domains.addAll(t.domains()));
  }

  /**
   * Runs the benchmark and prints the figures.
   *
   * @param args {@code --name value} pairs, see the class documentation
   * @throws Exception when the benchmark cannot run
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = Figures.options(args, "--stages 1000,3000");
    new HeapBenchmark(options).run();
    System.exit(0); // the local API server's shutdown hook stops its processes
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    cluster = Cluster.start(PREFIX, LABEL, BUILDER_SA);
    admin = cluster.admin();
    cloud = FakeAlibabaCloud.start();
    cloud.identities().addAccessKey(AK, SK);
    refreshers =
        new RefresherComparison(
            cluster,
            cloud,
            programJar,
            deployment,
            settleSeconds,
            freshSecrets,
            writeRate,
            moreFrom,
            domains,
            report);
    List<String> rows = new ArrayList<>();
    try {
      line(
          "HeapBenchmark: stages %s namespaces x 2 ServiceAccounts x %d registries; %s; %d cores;"
              + " java %s; benchmark JVM max heap %s",
          Arrays.toString(stages),
          targets.size(),
          cluster,
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"),
          mib(Runtime.getRuntime().maxMemory()));
      for (int n : stages) {
        long s = System.nanoTime();
        cluster.createNamespaces(created, n - created);
        created = n;
        line("stage %d: namespaces and ServiceAccounts ready in %s", n, since(s));
        rows.add(
            refresherOnly
                ? String.format(
                    Locale.ROOT,
                    "| %,d | - | - | - | - | - | - | %s |",
                    n,
                    refreshers.refresherRuns(n, variants, repeats, nmt))
                : stage(n));
      }
      if (moreFrom != null && programJar != null) {
        refreshers.moreRuns(stages[stages.length - 1]);
      }
    } finally {
      line("");
      line(
          "| namespaces | sync's heap share | per namespace | first sync | drift: emptied Secret"
              + " repaired (median / max) | drift: deleted Secret restored (median / max) |"
              + " rotation | refresher RSS after first reconcile / after settling (peak) |");
      line("|---|---|---|---|---|---|---|---|");
      rows.forEach(this::line);
      cloud.close();
      cluster.close();
      line("total run time %s", since(t0));
      report.write("heap-" + stages[stages.length - 1] + ".txt");
    }
  }

  // ---- one stage ----

  private String stage(int n) throws Exception {
    AcrConfiguration.Builder config =
        SyncSetup.configuration(LABEL, List.of("default", BUILDER_SA), targets);
    Progress progress = new Progress(PREFIX);
    long heapBefore = heapAfterGc();
    long share;
    Duration firstSync;
    List<Duration> emptied;
    List<Duration> deleted;
    Duration rotation;
    try (AcrTokenProvider provider = SyncSetup.acrProvider(AK, SK, cloud.acr().endpoint());
        CachingTokenProvider cache = SyncSetup.cache(provider, Duration.ofMinutes(15));
        PullSecretSync sync =
            PullSecretSync.builder()
                .apiClient(cluster.server().adminClient())
                .configuration(config.build())
                .tokenProvider(cache)
                .writeRateLimit(writeRate, (int) Math.max(1, writeRate))
                .instanceName(INSTANCE)
                .listener(progress)
                .build()) {
      long start = System.nanoTime();
      sync.start();
      awaitCount(progress.synced, n, Duration.ofMinutes(60), "first full sync");
      firstSync = Duration.ofNanos(System.nanoTime() - start);
      Thread.sleep(5000); // the watch events of the sync's own writes
      share = heapAfterGc() - heapBefore;
      line(
          "stage %d: first full sync %s (%d failed attempts, retried); heap after GC %s more than"
              + " before the sync started: %s per namespace",
          n, fmt(firstSync), progress.failures.sum(), mib(share), kib(share / n));
      if (pauseSeconds > 0) {
        line(
            "stage %d: pausing %d s (jcmd %d GC.class_histogram)",
            n, pauseSeconds, ProcessHandle.current().pid());
        Thread.sleep(pauseSeconds * 1000L);
      }

      emptied = new ArrayList<>();
      deleted = new ArrayList<>();
      String secretName = DockerConfig.secretName(domains.get(0));
      for (int k = 0; k < driftSamples; k++) {
        String ns = cluster.name((int) ((long) k * n / driftSamples));
        emptied.add(emptyAndAwaitRepair(ns, secretName));
        deleted.add(deleteAndAwaitRestore(ns, secretName));
      }
      line(
          "stage %d: drift repair over %d samples each: emptied Secret repaired median %s (max"
              + " %s); deleted Secret restored median %s (max %s)",
          n,
          driftSamples,
          fmt(percentile(emptied, 50)),
          fmt(percentile(emptied, 100)),
          fmt(percentile(deleted, 50)),
          fmt(percentile(deleted, 100)));

      progress.rotated.clear();
      progress.watchRotation = true;
      long rot = System.nanoTime();
      for (RegistryTarget t : targets) {
        cache.invalidate(t);
      }
      sync.credentialsChanged();
      awaitCount(progress.rotated, n, Duration.ofMinutes(60), "rotation");
      rotation = Duration.ofNanos(System.nanoTime() - rot);
      progress.watchRotation = false;
      line("stage %d: rotation of %d tokens reached every namespace in %s", n, 3, fmt(rotation));
    }
    String process =
        programJar == null
            ? "not measured (no --program-jar)"
            : refreshers.refresherRuns(n, variants, repeats, nmt);
    return String.format(
        Locale.ROOT,
        "| %,d | %s | %s | %s | %s / %s | %s / %s | %s | %s |",
        n,
        mib(share),
        kib(share / n),
        fmt(firstSync),
        fmt(percentile(emptied, 50)),
        fmt(percentile(emptied, 100)),
        fmt(percentile(deleted, 50)),
        fmt(percentile(deleted, 100)),
        fmt(rotation),
        process);
  }

  /**
   * Empties a managed Secret's registry list as someone might (the type requires the key); the time
   * until its content is back.
   */
  private Duration emptyAndAwaitRepair(String ns, String name) throws Exception {
    V1Secret s = admin.readNamespacedSecret(name, ns).execute();
    byte[] good = s.getData().get(".dockerconfigjson");
    s.setData(Map.of(".dockerconfigjson", "{\"auths\":{}}".getBytes(StandardCharsets.UTF_8)));
    long start = System.nanoTime();
    admin.replaceNamespacedSecret(name, ns, s).execute();
    long deadline = start + Duration.ofSeconds(60).toNanos();
    while (true) {
      V1Secret now = admin.readNamespacedSecret(name, ns).execute();
      if (now.getData() != null
          && Arrays.equals(good, now.getData().get(".dockerconfigjson"))
          && now.getData().size() == 1) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(ns + "/" + name + ": emptied Secret not repaired in 60 s");
      }
      Thread.sleep(5);
    }
  }

  /** Deletes a managed Secret; the time until a new one with the same name exists. */
  private Duration deleteAndAwaitRestore(String ns, String name) throws Exception {
    String uid = admin.readNamespacedSecret(name, ns).execute().getMetadata().getUid();
    long start = System.nanoTime();
    admin.deleteNamespacedSecret(name, ns).execute();
    long deadline = start + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        V1Secret now = admin.readNamespacedSecret(name, ns).execute();
        if (!uid.equals(now.getMetadata().getUid())) {
          return Duration.ofNanos(System.nanoTime() - start);
        }
      } catch (ApiException e) {
        if (e.getCode() != 404) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(ns + "/" + name + ": deleted Secret not restored in 60 s");
      }
      Thread.sleep(5);
    }
  }

  private void line(String format, Object... args) {
    report.line(format, args);
  }
}
