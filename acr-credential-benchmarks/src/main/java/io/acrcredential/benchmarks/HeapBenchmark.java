package io.acrcredential.benchmarks;

import static io.acrcredential.benchmarks.Figures.awaitCount;
import static io.acrcredential.benchmarks.Figures.fmt;
import static io.acrcredential.benchmarks.Figures.heapAfterGc;
import static io.acrcredential.benchmarks.Figures.kib;
import static io.acrcredential.benchmarks.Figures.mib;
import static io.acrcredential.benchmarks.Figures.percentile;
import static io.acrcredential.benchmarks.Figures.since;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * comparisons read from FILE on the same cluster (see {@code moreRuns}).
 */
public final class HeapBenchmark {

  private static final String LABEL_KEY = "acr-heap";
  private static final String LABEL_VALUE = "in";
  private static final String LABEL = LABEL_KEY + "=" + LABEL_VALUE;
  private static final String PREFIX = "heap-";
  private static final String BUILDER_SA = "builder";
  private static final String INSTANCE = "heapbench";
  private static final List<String> REGIONS = SyncSetup.REGIONS;
  private static final String AK = "LTAI5tHeapBenchAccessKey";
  private static final String SK = "heapBenchSecretheapBenchSecret";

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
                    refresherRuns(n, variants, repeats, nmt))
                : stage(n));
      }
      if (moreFrom != null && programJar != null) {
        moreRuns(stages[stages.length - 1]);
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
            : refresherRuns(n, variants, repeats, nmt);
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

  // ---- the packaged refresher ----

  /** JVM options added after the shipped ones (the last of a repeated option wins), by name. */
  record Variant(String name, List<String> jvmOptions, String mallocArenas) {

    /**
     * {@code name=opt opt ..;name=..}; {@code MALLOC_ARENA_MAX=N} among them sets that variable.
     */
    static List<Variant> parse(String spec) {
      List<Variant> variants = new ArrayList<>();
      for (String part : spec.split(";")) {
        if (part.isBlank()) {
          continue;
        }
        int eq = part.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(
              "--variants: name=options;name=options, e.g. shipped=;c1=-XX:CICompilerCount=1; got "
                  + part);
        }
        List<String> opts = new ArrayList<>();
        String arenas = null;
        for (String o : part.substring(eq + 1).trim().split("\\s+")) {
          if (o.startsWith("MALLOC_ARENA_MAX=")) {
            arenas = o.substring("MALLOC_ARENA_MAX=".length());
          } else if (!o.isEmpty()) {
            opts.add(o);
          }
        }
        variants.add(new Variant(part.substring(0, eq).trim(), List.copyOf(opts), arenas));
      }
      return variants;
    }
  }

  /**
   * Runs the packaged refresher at this stage: every variant {@code repeats} times, alternating,
   * each run after this instance's Secrets were deleted (so that each one writes every Secret, as a
   * rotation does); prints each run and the medians per variant.
   *
   * @return the table cell of the first variant (medians)
   */
  private String refresherRuns(int n, List<Variant> variants, int repeats, boolean nmt)
      throws Exception {
    Map<Variant, List<RefresherProcess.Run>> runs = new LinkedHashMap<>();
    variants.forEach(v -> runs.put(v, new ArrayList<>()));
    for (int r = 1; r <= repeats; r++) {
      for (Variant v : variants) {
        if (freshSecrets) {
          long s = System.nanoTime();
          int deleted = deleteManagedSecrets(n);
          line(
              "stage %d: deleted this instance's Secrets in %d namespaces in %s",
              n, deleted, since(s));
        }
        RefresherProcess.Run run = refresher(n, v, nmt);
        runs.get(v).add(run);
        if (run.failed()) {
          line("stage %d: [%s] run %d FAILED: %s", n, v.name(), r, run.failure());
          continue;
        }
        line(
            "stage %d: [%s] run %d: first reconcile %d ms after start, CPU %.1f s; RSS %s right"
                + " after, %s after %d s (anonymous %s, files %s), peak %s; CPU %.1f s by then; %d"
                + " threads",
            n,
            v.name(),
            r,
            run.firstReconcileMs(),
            run.cpuFirstMs() / 1000.0,
            mib(run.rssFirst()),
            mib(run.rssSettled()),
            settleSeconds,
            mib(run.rssAnon()),
            mib(run.rssFile()),
            mib(run.peak()),
            run.cpuSettledMs() / 1000.0,
            run.threads());
        if (!run.nmtCommitted().isEmpty()) {
          line("stage %d: [%s] run %d: NMT %s", n, v.name(), r, run.breakdown());
        }
      }
    }
    line(
        "stage %d: medians over %d runs each (ratio to [%s]): | variant | first reconcile | CPU at"
            + " first reconcile | RSS after first reconcile | RSS after %d s | peak | threads |",
        n, repeats, variants.get(0).name(), settleSeconds);
    long[] base = null;
    String cell = null;
    for (Variant v : variants) {
      List<RefresherProcess.Run> ok = runs.get(v).stream().filter(x -> !x.failed()).toList();
      if (ok.isEmpty()) {
        line("stage %d: | %s | every run failed |", n, v.name());
        continue;
      }
      long[] m = {
        median(ok, RefresherProcess.Run::firstReconcileMs),
        median(ok, RefresherProcess.Run::cpuFirstMs),
        median(ok, RefresherProcess.Run::rssFirst),
        median(ok, RefresherProcess.Run::rssSettled),
        median(ok, RefresherProcess.Run::peak),
        median(ok, x -> (long) x.threads())
      };
      if (base == null) {
        base = m;
        cell = mib(m[2]) + " / " + mib(m[3]) + " (" + mib(m[4]) + ")";
      }
      line(
          "stage %d: | %s | %d ms (%.2fx) | %.1f s (%.2fx) | %s (%.2fx) | %s (%.2fx) | %s | %d |"
              + " (%d of %d runs; options %s%s)",
          n,
          v.name(),
          m[0],
          m[0] / (double) base[0],
          m[1] / 1000.0,
          m[1] / (double) base[1],
          mib(m[2]),
          m[2] / (double) base[2],
          mib(m[3]),
          m[3] / (double) base[3],
          mib(m[4]),
          m[5],
          ok.size(),
          runs.get(v).size(),
          v.jvmOptions().isEmpty() ? "as shipped" : "shipped + " + String.join(" ", v.jvmOptions()),
          v.mallocArenas() == null ? "" : ", MALLOC_ARENA_MAX=" + v.mallocArenas());
    }
    return cell == null ? "FAILED" : cell;
  }

  /**
   * With {@code --more-from FILE}: after the last stage, waits for FILE, runs the refresher as it
   * says ({@code variants: ..}, {@code repeats: R}, {@code nmt: true|false}, one per line), deletes
   * it and waits again, until FILE says {@code end}: more comparisons on the same cluster without
   * creating its namespaces again.
   */
  private void moreRuns(int n) throws Exception {
    line("stage %d: waiting for %s (variants: ..; repeats: R; nmt: B; or end)", n, moreFrom);
    while (true) {
      if (!Files.exists(moreFrom)) {
        Thread.sleep(1000);
        continue;
      }
      Thread.sleep(500); // let the writer finish
      List<String> lines = Files.readAllLines(moreFrom);
      Files.delete(moreFrom);
      Map<String, String> more = new LinkedHashMap<>();
      for (String l : lines) {
        int colon = l.indexOf(':');
        if (colon > 0) {
          more.put(l.substring(0, colon).trim(), l.substring(colon + 1).trim());
        } else if (l.trim().equals("end")) {
          more.put("end", "");
        }
      }
      if (more.containsKey("end")) {
        return;
      }
      try {
        refresherRuns(
            n,
            Variant.parse(more.getOrDefault("variants", "shipped=")),
            Integer.parseInt(more.getOrDefault("repeats", "1")),
            Boolean.parseBoolean(more.getOrDefault("nmt", "false")));
      } catch (RuntimeException e) {
        line("stage %d: %s: %s", n, moreFrom, e);
      }
    }
  }

  private static long median(
      List<RefresherProcess.Run> runs, java.util.function.ToLongFunction<RefresherProcess.Run> f) {
    long[] v = runs.stream().mapToLong(f).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** Deletes the Secrets this instance manages in the first {@code n} namespaces, 8 at a time. */
  private int deleteManagedSecrets(int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String ns = cluster.name(i);
        done.add(
            pool.submit(
                () ->
                    admin
                        .deleteCollectionNamespacedSecret(ns)
                        .labelSelector("acr-credential.io/instance=" + INSTANCE)
                        .execute()));
      }
      for (Future<?> f : done) {
        f.get();
      }
      return done.size();
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Runs the program jar's {@code sync} over the same namespaces (same instance name, so it takes
   * over the Secrets and rewrites them with its own tokens) with the shipped JVM options plus the
   * variant's; its RSS right after the first reconcile and after {@code settleSeconds}.
   */
  private RefresherProcess.Run refresher(int n, Variant variant, boolean nmt) throws Exception {
    String deploymentText = Files.readString(deployment);
    List<String> jvmOptions = new ArrayList<>(List.of(shippedJvmOptions(deploymentText)));
    jvmOptions.addAll(variant.jvmOptions());
    if (nmt) {
      jvmOptions.add("-XX:NativeMemoryTracking=summary");
    }
    String jvm = String.join(" ", jvmOptions);
    String limit = memoryLimit(deploymentText);
    Path dir = Files.createTempDirectory("heap-bench");
    Path config = dir.resolve("acr-configuration.yaml");
    StringBuilder registries = new StringBuilder();
    for (int i = 0; i < REGIONS.size(); i++) {
      registries
          .append("  - instanceId: \"\"\n    regionId: \"")
          .append(REGIONS.get(i))
          .append("\"\n    domains: \"")
          .append(domains.get(i))
          .append("\"\n");
    }
    Files.writeString(
        config,
        "service-account: \"default,"
            + BUILDER_SA
            + "\"\nwatch-namespace-selector: \""
            + LABEL_KEY
            + "="
            + LABEL_VALUE
            + "\"\nacr-registry-info: |\n"
            + registries);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (limit != null) {
      command.add("-XX:MaxRAM=" + limit); // what a container's memory limit tells the JVM
    }
    command.addAll(List.of("-jar", programJar.toString(), "sync", "--config", config.toString()));
    command.addAll(List.of("--instance", INSTANCE, "--identity", "heap-bench"));
    command.addAll(List.of("--http-address", "127.0.0.1", "--http-port", "0"));
    command.addAll(List.of("--write-rate", String.valueOf((int) writeRate)));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("JAVA_TOOL_OPTIONS", jvm);
    String arenas =
        variant.mallocArenas() != null
            ? variant.mallocArenas()
            : envValue(deploymentText, "MALLOC_ARENA_MAX");
    if (arenas != null) {
      env.put("MALLOC_ARENA_MAX", arenas);
    }
    env.put("HOME", dir.toString());
    env.put("KUBECONFIG", cluster.server().kubeconfig().toString());
    env.put("POD_NAMESPACE", "kube-system");
    env.put("ACR_CREDENTIAL_ACR_ENDPOINT", "http://" + cloud.acr().endpoint());
    env.put("ACR_CREDENTIAL_STS_ENDPOINT", "http://" + cloud.sts().endpoint());
    env.put("ACR_CREDENTIAL_METADATA_ENDPOINT", "http://" + cloud.metadata().endpoint());
    env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", AK);
    env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SK);
    line(
        "stage %d: refresher process [%s]: JAVA_TOOL_OPTIONS=\"%s\"%s%s",
        n,
        variant.name(),
        jvm,
        arenas == null ? "" : ", MALLOC_ARENA_MAX=" + arenas,
        limit == null ? "" : ", -XX:MaxRAM=" + limit + " (the container's memory limit)");
    return RefresherProcess.run(command, env, nmt, settleSeconds, m -> line("stage %d: %s", n, m));
  }

  /** The value of {@code JAVA_TOOL_OPTIONS} in the shipped Deployment. */
  static String shippedJvmOptions(String deploymentYaml) {
    String value = envValue(deploymentYaml, "JAVA_TOOL_OPTIONS");
    if (value == null) {
      throw new IllegalArgumentException("no JAVA_TOOL_OPTIONS value in the Deployment");
    }
    return value;
  }

  /** The quoted value of a plain environment variable of the Deployment, or null. */
  static String envValue(String deploymentYaml, String name) {
    Matcher m =
        Pattern.compile("name: " + name + "\\s*\\n\\s*value: \"([^\"]*)\"").matcher(deploymentYaml);
    return m.find() ? m.group(1) : null;
  }

  /** The container's memory limit in the shipped Deployment, as a JVM size ({@code 384m}). */
  static String memoryLimit(String deploymentYaml) {
    Matcher m =
        Pattern.compile("limits:\\s*\\n(?:\\s*cpu:.*\\n)?\\s*memory: (\\d+)Mi")
            .matcher(deploymentYaml);
    return m.find() ? m.group(1) + "m" : null;
  }

  private void line(String format, Object... args) {
    report.line(format, args);
  }
}
