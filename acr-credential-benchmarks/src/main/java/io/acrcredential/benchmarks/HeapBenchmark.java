package io.acrcredential.benchmarks;

import static io.acrcredential.benchmarks.Figures.awaitCount;
import static io.acrcredential.benchmarks.Figures.fmt;
import static io.acrcredential.benchmarks.Figures.heapAfterGc;
import static io.acrcredential.benchmarks.Figures.kib;
import static io.acrcredential.benchmarks.Figures.mib;
import static io.acrcredential.benchmarks.Figures.percentile;
import static io.acrcredential.benchmarks.Figures.since;
import static io.acrcredential.benchmarks.Figures.status;

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
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
            options.getOrDefault("deployment", "acr-credential-examples/deploy/deployment.yaml"));
    this.settleSeconds = Integer.parseInt(options.getOrDefault("settle-seconds", "30"));
    this.pauseSeconds = Integer.parseInt(options.getOrDefault("pause-seconds", "0"));
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
    env.put("KUBECONFIG", cluster.server().kubeconfig().toString());
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

  private void line(String format, Object... args) {
    report.line(format, args);
  }
}
