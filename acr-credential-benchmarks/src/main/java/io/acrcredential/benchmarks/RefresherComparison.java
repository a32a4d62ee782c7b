package io.acrcredential.benchmarks;

import static io.acrcredential.benchmarks.Figures.mib;
import static io.acrcredential.benchmarks.Figures.since;
import static io.acrcredential.benchmarks.HeapBenchmark.AK;
import static io.acrcredential.benchmarks.HeapBenchmark.BUILDER_SA;
import static io.acrcredential.benchmarks.HeapBenchmark.INSTANCE;
import static io.acrcredential.benchmarks.HeapBenchmark.LABEL_KEY;
import static io.acrcredential.benchmarks.HeapBenchmark.LABEL_VALUE;
import static io.acrcredential.benchmarks.HeapBenchmark.REGIONS;
import static io.acrcredential.benchmarks.HeapBenchmark.SK;

import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link HeapBenchmark}'s packaged refresher: runs {@code java -jar acr-credential.jar sync} over
 * the benchmark's namespaces once per JVM-options variant and repeat, in turn, and prints each run
 * and each variant's medians with their ratio to the first variant.
 */
final class RefresherComparison {

  private final Cluster cluster;
  private final CoreV1Api admin;
  private final FakeAlibabaCloud cloud;
  private final Path programJar;
  private final Path deployment;
  private final int settleSeconds;
  private final boolean freshSecrets;
  private final double writeRate;
  private final Path moreFrom;
  private final List<String> domains;
  private final Report report;

  RefresherComparison(
      Cluster cluster,
      FakeAlibabaCloud cloud,
      Path programJar,
      Path deployment,
      int settleSeconds,
      boolean freshSecrets,
      double writeRate,
      Path moreFrom,
      List<String> domains,
      Report report) {
    this.cluster = cluster;
    this.admin = cluster.admin();
    this.cloud = cloud;
    this.programJar = programJar;
    this.deployment = deployment;
    this.settleSeconds = settleSeconds;
    this.freshSecrets = freshSecrets;
    this.writeRate = writeRate;
    this.moreFrom = moreFrom;
    this.domains = domains;
    this.report = report;
  }

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
  String refresherRuns(int n, List<Variant> variants, int repeats, boolean nmt) throws Exception {
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
  void moreRuns(int n) throws Exception {
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
