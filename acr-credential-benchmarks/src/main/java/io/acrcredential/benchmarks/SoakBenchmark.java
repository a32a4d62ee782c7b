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
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeIdentities;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The soak of {@link PullSecretSync} under namespace churn on a real local kube-apiserver (with
 * etcd and kube-controller-manager, whose namespace controller finishes the deletions). Not run by
 * the build; see README.md, section "Soak".
 *
 * <pre>
 * java -cp acr-credential-benchmarks/target/benchmarks.jar \
 *     io.acrcredential.benchmarks.SoakBenchmark --minutes 30
 * </pre>
 *
 * <p>While the sync runs, namespaces are created at {@code --rate} per second (every other one in
 * scope) and each is deleted {@code --lifetime-seconds} after its creation; {@code --stable} more
 * in-scope namespaces live for the whole run. Every {@code --sample-seconds} it prints the heap
 * after a full GC, the JVM's live threads and open file descriptors, the sync's successes and
 * failures in the interval, and checks on the server that every live (not terminating) in-scope
 * namespace older than {@code --grace-seconds} holds the pull Secret. After the churn stops, the
 * sync must go quiet: no failure in the last {@code --grace-seconds}, every in-scope namespace
 * covered. Exits 1 when a check failed.
 */
public final class SoakBenchmark {

  private static final String LABEL_KEY = "acr-soak";
  private static final String IN = "in";
  private static final String OUT = "out";
  private static final String AK = "LTAI5tSoakAccessKey";
  private static final String SK = "soakSecretsoakSecretsoakSecret";
  private static final String DOMAIN = "registry.cn-hangzhou.aliyuncs.com";

  private final double minutes;
  private final double rate;
  private final int lifetimeSeconds;
  private final int sampleSeconds;
  private final int stable;
  private final int graceSeconds;
  private final Report report = new Report();

  private LocalKubeApiServer server;
  private CoreV1Api admin;

  private SoakBenchmark(Map<String, String> options) {
    this.minutes = Double.parseDouble(options.getOrDefault("minutes", "30"));
    this.rate = Double.parseDouble(options.getOrDefault("rate", "4"));
    this.lifetimeSeconds = Integer.parseInt(options.getOrDefault("lifetime-seconds", "10"));
    this.sampleSeconds = Integer.parseInt(options.getOrDefault("sample-seconds", "60"));
    this.stable = Integer.parseInt(options.getOrDefault("stable", "20"));
    this.graceSeconds = Integer.parseInt(options.getOrDefault("grace-seconds", "5"));
  }

  /**
   * Runs the soak and prints the figures.
   *
   * @param args {@code --name value} pairs, see the class documentation
   * @throws Exception when the soak cannot run
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = Figures.options(args, "--minutes 30");
    boolean ok = new SoakBenchmark(options).run();
    System.exit(ok ? 0 : 1); // the local API server's shutdown hook stops its processes
  }

  /** Counts the sync's results; remembers the last failures' messages (never a credential). */
  private static final class Progress implements SyncListener {
    final LongAdder synced = new LongAdder();
    final LongAdder failures = new LongAdder();
    final AtomicLong lastFailureNanos = new AtomicLong();
    final Map<String, Integer> failureKinds = new ConcurrentHashMap<>();

    @Override
    public void namespaceSynced(NamespaceSyncResult r) {
      synced.increment();
    }

    @Override
    public void syncFailed(SyncFailure failure) {
      failures.increment();
      lastFailureNanos.set(System.nanoTime());
      failureKinds.merge("HTTP " + failure.httpStatus(), 1, Integer::sum);
    }
  }

  private boolean run() throws Exception {
    long t0 = System.nanoTime();
    server = LocalKubeApiServer.builder().startupTimeout(Duration.ofMinutes(3)).start();
    admin = new CoreV1Api(server.adminClient());
    FakeAcr acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SK));
    boolean ok = true;
    try {
      line(
          "SoakBenchmark: %.1f min, %.1f namespaces/s created (half in scope), each deleted after"
              + " %d s, %d stable in-scope namespaces; %s; %d cores; java %s",
          minutes,
          rate,
          lifetimeSeconds,
          stable,
          server,
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"));
      for (int i = 0; i < stable; i++) {
        createNamespace("soak-stable-" + i, IN);
      }
      RegistryTarget target = RegistryTarget.personal("cn-hangzhou").withDomains(List.of(DOMAIN));
      AcrConfiguration config =
          AcrConfiguration.builder()
              .namespaces(NamespaceScope.matching(LabelSelector.parse(LABEL_KEY + "=" + IN)))
              .serviceAccounts(ServiceAccountScope.named(List.of("default")))
              .addRegistry(RegistryEntry.of(target, IdentitySpec.defaultChain()))
              .build();
      Progress progress = new Progress();
      try (AcrTokenProvider provider =
              AcrTokenProvider.builder()
                  .credentials(AlibabaCredentials.accessKey(AK, SK))
                  .endpoint("http://" + acr.endpoint())
                  .build();
          CachingTokenProvider cache = CachingTokenProvider.builder(provider).build();
          PullSecretSync sync =
              PullSecretSync.builder()
                  .apiClient(server.adminClient())
                  .configuration(config)
                  .tokenProvider(cache)
                  .instanceName("soak")
                  .listener(progress)
                  .build()) {
        sync.start();
        ok &= soak(progress);
      }
      line("ACR calls over the whole run: %d", acr.totalCalls());
    } finally {
      acr.close();
      server.close();
      line("total run time %s", seconds(System.nanoTime() - t0));
      report.write("soak.txt");
    }
    line(ok ? "RESULT: all checks held" : "RESULT: a check FAILED (see above)");
    return ok;
  }

  private boolean soak(Progress progress) throws Exception {
    boolean ok = true;
    long start = System.nanoTime();
    long end = start + (long) (minutes * 60e9);
    long period = (long) (1e9 / rate);
    long nextCreate = start;
    long nextSample = start + sampleSeconds * 1_000_000_000L;
    ArrayDeque<long[]> toDelete = new ArrayDeque<>(); // {deleteAtNanos, index}
    long created = 0;
    long deleted = 0;
    long createErrors = 0;
    long lastSynced = 0;
    long lastFailures = 0;
    line(
        "%6s %8s %8s %10s %8s %5s %9s %8s %8s %s",
        "t(s)",
        "created",
        "deleted",
        "heapGC",
        "threads",
        "fds",
        "synced",
        "failures",
        "covered",
        "missing");
    while (System.nanoTime() < end) {
      long now = System.nanoTime();
      while (!toDelete.isEmpty() && toDelete.peekFirst()[0] <= now) {
        long[] d = toDelete.pollFirst();
        try {
          admin.deleteNamespace(churnName(d[1])).execute();
          deleted++;
        } catch (ApiException e) {
          createErrors++;
        }
      }
      if (now >= nextCreate) {
        long i = created;
        try {
          createNamespace(churnName(i), i % 2 == 0 ? IN : OUT);
          toDelete.addLast(new long[] {now + lifetimeSeconds * 1_000_000_000L, i});
        } catch (ApiException e) {
          createErrors++;
        }
        created++;
        nextCreate += period;
      }
      if (now >= nextSample) {
        long heap = heapAfterGc();
        Coverage c = coverage();
        long synced = progress.synced.sum();
        long failures = progress.failures.sum();
        line(
            "%6d %8d %8d %10s %8d %5d %9d %8d %8d %s",
            (now - start) / 1_000_000_000L,
            created,
            deleted,
            mib(heap),
            ManagementFactory.getThreadMXBean().getThreadCount(),
            openFds(),
            synced - lastSynced,
            failures - lastFailures,
            c.covered,
            c.missing.isEmpty() ? "-" : c.missing.toString());
        ok &= c.missing.isEmpty();
        lastSynced = synced;
        lastFailures = failures;
        nextSample += sampleSeconds * 1_000_000_000L;
      }
      long sleep = Math.min(nextCreate, nextSample) - System.nanoTime();
      if (!toDelete.isEmpty()) {
        sleep = Math.min(sleep, toDelete.peekFirst()[0] - System.nanoTime());
      }
      if (sleep > 0) {
        Thread.sleep(sleep / 1_000_000L, (int) (sleep % 1_000_000L));
      }
    }
    // churn stops: delete what is left, then the sync must go quiet
    for (long[] d : toDelete) {
      try {
        admin.deleteNamespace(churnName(d[1])).execute();
        deleted++;
      } catch (ApiException e) {
        createErrors++;
      }
    }
    line(
        "churn stopped: %d namespaces created, %d deleted, %d API errors on the churn's own calls",
        created, deleted, createErrors);
    Thread.sleep(Math.max(graceSeconds, 5) * 1000L);
    long quietFrom = System.nanoTime();
    long failuresBefore = progress.failures.sum();
    Thread.sleep(Math.max(graceSeconds, 5) * 1000L);
    long failuresAfter = progress.failures.sum() - failuresBefore;
    Coverage c = coverage();
    line(
        "after the churn: %d failures in the last %d s (must be 0), %d in-scope namespaces covered,"
            + " missing %s; failures over the run by status %s",
        failuresAfter,
        (System.nanoTime() - quietFrom) / 1_000_000_000L,
        c.covered,
        c.missing,
        new java.util.TreeMap<>(progress.failureKinds));
    ok &= failuresAfter == 0 && c.missing.isEmpty() && c.covered >= stable;
    return ok;
  }

  private record Coverage(int covered, List<String> missing) {}

  /**
   * Every live in-scope namespace older than the grace period, and which of them lack the pull
   * Secret, read from the server (not from the sync).
   */
  private Coverage coverage() throws ApiException {
    OffsetDateTime cutoff = OffsetDateTime.now().minusSeconds(graceSeconds);
    List<V1Namespace> namespaces =
        admin.listNamespace().labelSelector(LABEL_KEY + "=" + IN).execute().getItems();
    Set<String> withSecret = new HashSet<>();
    String name = DockerConfig.secretName(DOMAIN);
    for (V1Secret s :
        admin
            .listSecretForAllNamespaces()
            .labelSelector(PullSecretSync.INSTANCE_LABEL + "=soak")
            .execute()
            .getItems()) {
      if (name.equals(s.getMetadata().getName())) {
        withSecret.add(s.getMetadata().getNamespace());
      }
    }
    int covered = 0;
    List<String> missing = new ArrayList<>();
    for (V1Namespace ns : namespaces) {
      V1ObjectMeta m = ns.getMetadata();
      boolean live =
          m.getDeletionTimestamp() == null
              && ns.getStatus() != null
              && "Active".equals(ns.getStatus().getPhase());
      if (!live || m.getCreationTimestamp() == null || m.getCreationTimestamp().isAfter(cutoff)) {
        continue;
      }
      if (withSecret.contains(m.getName())) {
        covered++;
      } else {
        missing.add(m.getName());
      }
    }
    return new Coverage(covered, missing);
  }

  private void createNamespace(String name, String scope) throws ApiException {
    admin
        .createNamespace(
            new V1Namespace()
                .metadata(new V1ObjectMeta().name(name).labels(Map.of(LABEL_KEY, scope))))
        .execute();
  }

  private static String churnName(long i) {
    return "soak-" + String.format(Locale.ROOT, "%07d", i);
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long openFds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      return -1;
    }
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.0f s", nanos / 1e9);
  }

  private void line(String format, Object... args) {
    report.line(format, args);
  }
}
