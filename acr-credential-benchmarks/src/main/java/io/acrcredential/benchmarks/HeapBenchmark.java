package io.acrcredential.benchmarks;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.core.acr.AlibabaCredentials;
import io.acrcredential.k8s.NamespaceSyncResult;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.SyncFailure;
import io.acrcredential.k8s.SyncListener;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.LabelSelector;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
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
 *     --deployment acr-credential-examples/deploy/deployment.yaml
 * </pre>
 *
 * <p>Options: {@code --stages N,N,..}; {@code --drift-samples K} (15 edits and 15 deletions per
 * stage); {@code --write-rate R} (1000, as in {@link ScaleBenchmark}); {@code --program-jar JAR}
 * (no process figures without it); {@code --deployment FILE} (where {@code JAVA_TOOL_OPTIONS} and
 * the memory limit are read from; the limit is given to the JVM as {@code -XX:MaxRAM}, as a
 * container would); {@code --settle-seconds S} (30: the refresher's RSS is read again after that);
 * {@code --pause-seconds S} (0: a pause after the heap figure, to take a class histogram).
 */
public final class HeapBenchmark {

  private static final String LABEL_KEY = "acr-heap";
  private static final String LABEL_VALUE = "in";
  private static final String PREFIX = "heap-";
  private static final String BUILDER_SA = "builder";
  private static final String INSTANCE = "heapbench";
  private static final List<String> REGIONS = List.of("cn-hangzhou", "cn-shanghai", "cn-beijing");
  private static final String AK = "LTAI5tHeapBenchAccessKey";
  private static final String SK = "heapBenchSecretheapBenchSecret";

  private final int[] stages;
  private final int driftSamples;
  private final double writeRate;
  private final Path programJar;
  private final Path deployment;
  private final int settleSeconds;
  private final int pauseSeconds;
  private final List<RegistryTarget> targets = new ArrayList<>();
  private final List<String> domains = new ArrayList<>();
  private final List<String> report = new ArrayList<>();

  private LocalKubeApiServer server;
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
            options.getOrDefault("deployment", "acr-credential-examples/deploy/deployment.yaml"));
    this.settleSeconds = Integer.parseInt(options.getOrDefault("settle-seconds", "30"));
    this.pauseSeconds = Integer.parseInt(options.getOrDefault("pause-seconds", "0"));
    for (String region : REGIONS) {
      String domain = "registry." + region + ".aliyuncs.com";
      domains.add(domain);
      targets.add(RegistryTarget.personal(region).withDomains(List.of(domain)));
    }
  }

  /**
   * Runs the benchmark and prints the figures.
   *
   * @param args {@code --name value} pairs, see the class documentation
   * @throws Exception when the benchmark cannot run
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "arguments are --name value pairs, e.g. --stages 1000,3000; got " + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    new HeapBenchmark(options).run();
    System.exit(0); // the local API server's shutdown hook stops its processes
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    server = LocalKubeApiServer.builder().startupTimeout(Duration.ofMinutes(3)).start();
    admin = new CoreV1Api(server.adminClient());
    cloud = FakeAlibabaCloud.start();
    cloud.identities().addAccessKey(AK, SK);
    List<String> rows = new ArrayList<>();
    try {
      line(
          "HeapBenchmark: stages %s namespaces x 2 ServiceAccounts x %d registries; %s; %d cores;"
              + " java %s; benchmark JVM max heap %s",
          Arrays.toString(stages),
          targets.size(),
          server,
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"),
          mib(Runtime.getRuntime().maxMemory()));
      for (int n : stages) {
        long s = System.nanoTime();
        createNamespaces(n - created, created);
        created = n;
        line("stage %d: namespaces and ServiceAccounts ready in %s", n, since(s));
        rows.add(stage(n));
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
      server.close();
      line("total run time %s", since(t0));
      Path out = Path.of("target", "heap-" + stages[stages.length - 1] + ".txt");
      try {
        Files.createDirectories(out.getParent());
        Files.write(out, report);
        System.out.println("report written to " + out.toAbsolutePath());
      } catch (IOException e) {
        System.out.println("could not write " + out + ": " + e);
      }
    }
  }

  // ---- one stage ----

  private String stage(int n) throws Exception {
    AcrConfiguration.Builder config =
        AcrConfiguration.builder()
            .namespaces(NamespaceScope.matching(LabelSelector.parse(LABEL_KEY + "=" + LABEL_VALUE)))
            .serviceAccounts(ServiceAccountScope.named(List.of("default", BUILDER_SA)));
    for (RegistryTarget t : targets) {
      config.addRegistry(RegistryEntry.of(t, IdentitySpec.defaultChain()));
    }
    Progress progress = new Progress();
    long heapBefore = heapAfterGc();
    long share;
    Duration firstSync;
    List<Duration> emptied;
    List<Duration> deleted;
    Duration rotation;
    try (AcrTokenProvider provider =
            AcrTokenProvider.builder()
                .credentials(AlibabaCredentials.accessKey(AK, SK))
                .endpoint("http://" + cloud.acr().endpoint())
                .build();
        CachingTokenProvider cache =
            CachingTokenProvider.builder(provider)
                .refreshBeforeExpiry(Duration.ofMinutes(15))
                .refreshJitter(Duration.ZERO)
                .build();
        PullSecretSync sync =
            PullSecretSync.builder()
                .apiClient(server.adminClient())
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
        String ns = name((int) ((long) k * n / driftSamples));
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
    String process = programJar == null ? "not measured (no --program-jar)" : refresher(n);
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

  /**
   * Runs the program jar's {@code sync} over the same namespaces (same instance name, so it takes
   * over the Secrets and rewrites them with its own tokens) with the shipped JVM options; its RSS
   * right after the first reconcile and after {@code settleSeconds}.
   */
  private String refresher(int n) throws Exception {
    String deploymentText = Files.readString(deployment);
    String jvm = shippedJvmOptions(deploymentText);
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
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("JAVA_TOOL_OPTIONS", jvm);
    String arenas = envValue(deploymentText, "MALLOC_ARENA_MAX");
    if (arenas != null) {
      env.put("MALLOC_ARENA_MAX", arenas);
    }
    env.put("HOME", dir.toString());
    env.put("KUBECONFIG", server.kubeconfig().toString());
    env.put("POD_NAMESPACE", "kube-system");
    env.put("ACR_CREDENTIAL_ACR_ENDPOINT", "http://" + cloud.acr().endpoint());
    env.put("ACR_CREDENTIAL_STS_ENDPOINT", "http://" + cloud.sts().endpoint());
    env.put("ACR_CREDENTIAL_METADATA_ENDPOINT", "http://" + cloud.metadata().endpoint());
    env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", AK);
    env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SK);
    line(
        "stage %d: refresher process: JAVA_TOOL_OPTIONS=\"%s\"%s%s",
        n,
        jvm,
        arenas == null ? "" : ", MALLOC_ARENA_MAX=" + arenas,
        limit == null ? "" : ", -XX:MaxRAM=" + limit + " (the container's memory limit)");
    Process p = pb.start();
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    Pattern first =
        Pattern.compile(
            "first reconcile complete (\\d+) ms after process start.*?(\\d+) namespace");
    Matcher[] found = new Matcher[1];
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                  if (output.size() < 2000) {
                    output.add(l);
                  }
                  Matcher m = first.matcher(l);
                  if (m.find()) {
                    synchronized (found) {
                      found[0] = m;
                      found.notifyAll();
                    }
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "heap-bench-refresher-output");
    pump.setDaemon(true);
    pump.start();
    try {
      long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
      synchronized (found) {
        while (found[0] == null) {
          if (!p.isAlive() || System.nanoTime() > deadline) {
            String last;
            synchronized (output) {
              last =
                  String.join("\n", output.subList(Math.max(0, output.size() - 5), output.size()));
            }
            String outcome =
                p.isAlive()
                    ? "no first reconcile within 30 minutes"
                    : "exited with status " + p.exitValue();
            line("stage %d: refresher FAILED: %s; last output:%n%s", n, outcome, last);
            return "FAILED: "
                + outcome
                + (last.contains("OutOfMemoryError") ? " (OutOfMemoryError)" : "");
          }
          found.wait(1000);
        }
      }
      long firstMs = Long.parseLong(found[0].group(1));
      long rssFirst = status(p.pid(), "VmRSS:");
      Thread.sleep(settleSeconds * 1000L);
      long rssSettled = status(p.pid(), "VmRSS:");
      long peak = status(p.pid(), "VmHWM:");
      line(
          "stage %d: refresher: first reconcile %d ms after process start (%s); RSS %s right"
              + " after, %s after %d s, peak %s",
          n, firstMs, found[0].group(0), mib(rssFirst), mib(rssSettled), settleSeconds, mib(peak));
      return mib(rssFirst) + " / " + mib(rssSettled) + " (" + mib(peak) + ")";
    } finally {
      p.destroy();
      if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
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

  // ---- setup ----

  private static String name(int i) {
    return PREFIX + String.format(Locale.ROOT, "%05d", i);
  }

  /** Creates namespaces {@code from..from+count-1} with the label and SA "builder". */
  private void createNamespaces(int count, int from) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = from; i < from + count; i++) {
        String ns = name(i);
        done.add(
            pool.submit(
                () -> {
                  admin
                      .createNamespace(
                          new V1Namespace()
                              .metadata(
                                  new V1ObjectMeta()
                                      .name(ns)
                                      .labels(Map.of(LABEL_KEY, LABEL_VALUE))))
                      .execute();
                  admin
                      .createNamespacedServiceAccount(
                          ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name(BUILDER_SA)))
                      .execute();
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (true) {
      Set<String> withDefault = new HashSet<>();
      for (V1ServiceAccount sa :
          admin
              .listServiceAccountForAllNamespaces()
              .fieldSelector("metadata.name=default")
              .execute()
              .getItems()) {
        withDefault.add(sa.getMetadata().getNamespace());
      }
      boolean all = true;
      for (int i = 0; i < from + count && all; i++) {
        all = withDefault.contains(name(i));
      }
      if (all) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("default ServiceAccounts missing after 10 minutes");
      }
      Thread.sleep(500);
    }
  }

  private static final class Progress implements SyncListener {
    final Map<String, Long> synced = new ConcurrentHashMap<>();
    final Map<String, Long> rotated = new ConcurrentHashMap<>();
    final LongAdder failures = new LongAdder();
    volatile boolean watchRotation;

    @Override
    public void namespaceSynced(NamespaceSyncResult r) {
      if (!r.inScope() || !r.namespace().startsWith(PREFIX)) {
        return;
      }
      long now = System.nanoTime();
      synced.putIfAbsent(r.namespace(), now);
      if (watchRotation && !r.secretsUpdated().isEmpty()) {
        rotated.putIfAbsent(r.namespace(), now);
      }
    }

    @Override
    public void syncFailed(SyncFailure failure) {
      failures.increment();
    }
  }

  private static void awaitCount(Map<String, Long> map, int n, Duration max, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (map.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + ": only " + map.size() + " of " + n + " namespaces");
      }
      Thread.sleep(5);
    }
  }

  // ---- figures ----

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long status(long pid, String field) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith(field)) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  private static Duration percentile(List<Duration> values, int p) {
    if (values.isEmpty()) {
      return Duration.ZERO;
    }
    List<Duration> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  private static String kib(long bytes) {
    return String.format(Locale.ROOT, "%.2f KiB", bytes / 1024.0);
  }

  private static String fmt(Duration d) {
    return d.toMillis() < 10_000
        ? d.toMillis() + " ms"
        : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  private static String since(long startNanos) {
    return fmt(Duration.ofNanos(System.nanoTime() - startNanos));
  }

  private void line(String format, Object... args) {
    String s = args.length == 0 ? format : String.format(Locale.ROOT, format, args);
    report.add(s);
    System.out.println(s);
  }
}
