package io.acrcredential.benchmarks;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
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
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.util.PatchUtils;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

  private static final String LABEL_KEY = "acr-bench";
  private static final String LABEL_VALUE = "scale";
  private static final String PREFIX = "scale-";
  private static final String BUILDER_SA = "builder";
  private static final List<String> REGIONS = List.of("cn-hangzhou", "cn-shanghai", "cn-beijing");
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
  private final List<RegistryTarget> targets = new ArrayList<>();
  private final List<String> domains = new ArrayList<>();
  private final List<String> report = new ArrayList<>();

  private LocalKubeApiServer server;
  private CoreV1Api admin;
  private FakeAcr acr;

  private ScaleBenchmark(Map<String, String> options) {
    this.namespaceCount = Integer.parseInt(options.getOrDefault("namespaces", "1000"));
    this.steadySeconds = Integer.parseInt(options.getOrDefault("steady-seconds", "120"));
    this.newNamespaces = Integer.parseInt(options.getOrDefault("new-namespaces", "100"));
    this.patcherCycles = Integer.parseInt(options.getOrDefault("patcher-cycles", "3"));
    this.workers = Integer.parseInt(options.getOrDefault("workers", "4"));
    this.writeRate = Double.parseDouble(options.getOrDefault("write-rate", "1000"));
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
            "arguments are --name value pairs, e.g. --namespaces 1000; got " + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    new ScaleBenchmark(options).run();
    System.exit(0); // the local API server's shutdown hook stops its processes
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    server = LocalKubeApiServer.builder().startupTimeout(Duration.ofMinutes(3)).start();
    admin = new CoreV1Api(server.adminClient());
    FakeIdentities ids = new FakeIdentities().addAccessKey(AK, SK);
    acr = FakeAcr.start(ids);
    acr.setTokenLifetime(TOKEN_LIFETIME);
    try {
      line(
          "ScaleBenchmark: %d namespaces x 2 ServiceAccounts, %d registries; %s; %d cores; java %s",
          namespaceCount,
          targets.size(),
          server,
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"));
      long s = System.nanoTime();
      createNamespaces(namespaceCount, 0);
      line("setup: %d namespaces with their ServiceAccounts in %s", namespaceCount, since(s));

      Measured bare = bareClientLoop();
      Measured ours = measureSync();
      Measured registryCreds = registryCredsLike();
      Measured patcher = patcherLike();
      summary(bare, ours, registryCreds, patcher);
    } finally {
      acr.close();
      server.close();
      line("total run time %s", since(t0));
      Path out = Path.of("target", "scale-" + namespaceCount + ".txt");
      try {
        Files.createDirectories(out.getParent());
        Files.write(out, report);
        System.out.println("report written to " + out.toAbsolutePath());
      } catch (java.io.IOException e) {
        System.out.println("could not write " + out + ": " + e);
      }
    }
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
                  createNamespace(ns);
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    // kube-controller-manager creates every "default" ServiceAccount
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
      for (int i = from; i < from + count && all; i++) {
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

  private void createNamespace(String ns) throws ApiException {
    admin
        .createNamespace(
            new V1Namespace()
                .metadata(new V1ObjectMeta().name(ns).labels(Map.of(LABEL_KEY, LABEL_VALUE))))
        .execute();
    admin
        .createNamespacedServiceAccount(
            ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name(BUILDER_SA)))
        .execute();
  }

  private ApiClient counted(RequestCounter counter) {
    ApiClient c = server.adminClient();
    c.setHttpClient(c.getHttpClient().newBuilder().addInterceptor(counter).build());
    return c;
  }

  private AcrTokenProvider acrProvider() {
    return AcrTokenProvider.builder()
        .credentials(AlibabaCredentials.accessKey(AK, SK))
        .endpoint("http://" + acr.endpoint())
        .build();
  }

  // ---- the bare client loop ----

  /**
   * The writes of a first full sync with nothing around them: per namespace, create one Secret per
   * registry and set both ServiceAccounts' imagePullSecrets (merge patch, no read), with as many
   * threads as the sync has workers. Secrets are named {@code bare-*} so the sync ignores them.
   */
  private Measured bareClientLoop() throws Exception {
    RequestCounter counter = new RequestCounter();
    CoreV1Api api = new CoreV1Api(counted(counter));
    ApiClient client = api.getApiClient();
    List<byte[]> bodies = new ArrayList<>();
    try (AcrTokenProvider provider = acrProvider()) {
      for (RegistryTarget t : targets) {
        bodies.add(DockerConfig.encode(provider.fetch(t)));
      }
    }
    StringBuilder refs = new StringBuilder();
    for (int r = 0; r < targets.size(); r++) {
      refs.append(r == 0 ? "" : ",").append("{\"name\":\"bare-").append(r).append("\"}");
    }
    V1Patch patch = new V1Patch("{\"imagePullSecrets\":[" + refs + "]}");
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < namespaceCount; i++) {
        String ns = name(i);
        done.add(
            pool.submit(
                () -> {
                  for (int r = 0; r < targets.size(); r++) {
                    api.createNamespacedSecret(
                            ns,
                            new V1Secret()
                                .metadata(new V1ObjectMeta().name("bare-" + r))
                                .type("kubernetes.io/dockerconfigjson")
                                .data(Map.of(".dockerconfigjson", bodies.get(r))))
                        .execute();
                  }
                  for (String sa : List.of("default", BUILDER_SA)) {
                    PatchUtils.patch(
                        V1ServiceAccount.class,
                        () -> api.patchNamespacedServiceAccount(sa, ns, patch).buildCall(null),
                        V1Patch.PATCH_FORMAT_STRATEGIC_MERGE_PATCH,
                        client);
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    Measured m = new Measured("bare client loop");
    m.firstSync = took;
    m.firstSyncCounts = counter.snapshot();
    line("bare client loop (%d threads): %s, %s", workers, fmt(took), m.firstSyncCounts);
    return m;
  }

  // ---- the sync ----

  /** Records the sync's per-namespace results for the phase being measured. */
  private static final class Progress implements SyncListener {
    final Map<String, Long> firstSynced = new ConcurrentHashMap<>();
    final Map<String, Long> rotated = new ConcurrentHashMap<>();
    final LongAdder failures = new LongAdder();
    volatile boolean watchRotation;

    @Override
    public void namespaceSynced(NamespaceSyncResult r) {
      if (!r.inScope() || !r.namespace().startsWith(PREFIX)) {
        return;
      }
      long now = System.nanoTime();
      firstSynced.putIfAbsent(r.namespace(), now);
      if (watchRotation && !r.secretsUpdated().isEmpty()) {
        rotated.putIfAbsent(r.namespace(), now);
      }
    }

    @Override
    public void syncFailed(SyncFailure failure) {
      failures.increment();
    }
  }

  private Measured measureSync() throws Exception {
    Measured m = new Measured("acr-credential");
    RequestCounter writesClient = new RequestCounter();
    RequestCounter informerClient = new RequestCounter();
    AcrConfiguration.Builder config =
        AcrConfiguration.builder()
            .namespaces(NamespaceScope.matching(LabelSelector.parse(LABEL_KEY + "=" + LABEL_VALUE)))
            .serviceAccounts(ServiceAccountScope.named(List.of("default", BUILDER_SA)));
    for (RegistryTarget t : targets) {
      config.addRegistry(RegistryEntry.of(t, IdentitySpec.defaultChain()));
    }
    Progress progress = new Progress();
    long heapBefore = heapAfterGc();
    acr.resetCalls();
    try (AcrTokenProvider provider = acrProvider();
        CachingTokenProvider cache =
            CachingTokenProvider.builder(provider)
                .refreshBeforeExpiry(REFRESH_BEFORE_EXPIRY)
                .refreshJitter(Duration.ZERO)
                .build();
        PullSecretSync sync =
            PullSecretSync.builder()
                .apiClient(counted(writesClient))
                .informerApiClient(counted(informerClient))
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
      awaitCount(progress.firstSynced, namespaceCount, Duration.ofMinutes(60), "first full sync");
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
      String ns = name(namespaceCount + k);
      long start = System.nanoTime();
      createNamespace(ns);
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

  // ---- baselines ----

  /**
   * Like upmc-enterprises/registry-creds: on every refresh (default every 60 minutes) and for every
   * namespace, a token fetch per registry and an unconditional Secret update (create on 404), then
   * a read of the default ServiceAccount and an update when the Secret is missing from it.
   */
  private Measured registryCredsLike() throws Exception {
    Measured m = new Measured("registry-creds-like");
    RequestCounter counter = new RequestCounter();
    CoreV1Api api = new CoreV1Api(counted(counter));
    acr.resetCalls();
    long start = System.nanoTime();
    List<String> all = allBenchmarkNamespaces();
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try (AcrTokenProvider provider = acrProvider()) {
      List<Future<?>> done = new ArrayList<>();
      for (String ns : all) {
        done.add(
            pool.submit(
                () -> {
                  for (int r = 0; r < targets.size(); r++) {
                    RegistryCredential c = provider.fetch(targets.get(r));
                    V1Secret body =
                        new V1Secret()
                            .metadata(new V1ObjectMeta().name("rc-" + r).namespace(ns))
                            .type("kubernetes.io/dockerconfigjson")
                            .data(Map.of(".dockerconfigjson", DockerConfig.encode(c)));
                    try {
                      api.replaceNamespacedSecret("rc-" + r, ns, body).execute();
                    } catch (ApiException e) {
                      if (e.getCode() != 404) {
                        throw e;
                      }
                      api.createNamespacedSecret(ns, body).execute();
                    }
                  }
                  V1ServiceAccount sa = api.readNamespacedServiceAccount("default", ns).execute();
                  List<V1LocalObjectReference> refs =
                      sa.getImagePullSecrets() == null
                          ? new ArrayList<>()
                          : new ArrayList<>(sa.getImagePullSecrets());
                  boolean changed = false;
                  for (int r = 0; r < targets.size(); r++) {
                    String n = "rc-" + r;
                    if (refs.stream().noneMatch(x -> n.equals(x.getName()))) {
                      refs.add(new V1LocalObjectReference().name(n));
                      changed = true;
                    }
                  }
                  if (changed) {
                    sa.setImagePullSecrets(refs);
                    api.replaceNamespacedServiceAccount("default", ns, sa).execute();
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    m.firstSync = Duration.ofNanos(System.nanoTime() - start);
    m.firstSyncCounts = counter.snapshot();
    m.firstSyncAcrCalls = acr.totalCalls();
    // the second pass is what every later refresh costs (Secrets exist, SAs list them)
    RequestCounter.Counts before = counter.snapshot();
    int acrBefore = acr.totalCalls();
    long second = System.nanoTime();
    try (AcrTokenProvider provider = acrProvider()) {
      ExecutorService pool2 = Executors.newFixedThreadPool(workers);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (String ns : all) {
          done.add(
              pool2.submit(
                  () -> {
                    for (int r = 0; r < targets.size(); r++) {
                      RegistryCredential c = provider.fetch(targets.get(r));
                      api.replaceNamespacedSecret(
                              "rc-" + r,
                              ns,
                              new V1Secret()
                                  .metadata(new V1ObjectMeta().name("rc-" + r).namespace(ns))
                                  .type("kubernetes.io/dockerconfigjson")
                                  .data(Map.of(".dockerconfigjson", DockerConfig.encode(c))))
                          .execute();
                    }
                    api.readNamespacedServiceAccount("default", ns).execute();
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool2.shutdown();
      }
    }
    m.rotation = Duration.ofNanos(System.nanoTime() - second);
    m.rotationCounts = counter.snapshot().minus(before);
    m.rotationAcrCalls = acr.totalCalls() - acrBefore;
    line(
        "registry-creds-like first pass over %d namespaces: %s, %s, %d ACR calls",
        all.size(), fmt(m.firstSync), m.firstSyncCounts, m.firstSyncAcrCalls);
    line(
        "registry-creds-like refresh pass (every 60 min by default): %s, %s, %d ACR calls",
        fmt(m.rotation), m.rotationCounts, m.rotationAcrCalls);
    return m;
  }

  /**
   * Like titansoft/imagepullsecret-patcher: every 10 s, list all namespaces and GET every pull
   * Secret in each (the real tool also lists ServiceAccounts per namespace, so this is a lower
   * bound).
   */
  private Measured patcherLike() throws Exception {
    Measured m = new Measured("imagepullsecret-patcher-like");
    RequestCounter counter = new RequestCounter();
    CoreV1Api api = new CoreV1Api(counted(counter));
    List<String> secretNames = new ArrayList<>();
    for (String d : domains) {
      secretNames.add(DockerConfig.secretName(d));
    }
    long longest = 0;
    long start = System.nanoTime();
    for (int c = 0; c < patcherCycles; c++) {
      long cycle = System.nanoTime();
      for (V1Namespace ns : api.listNamespace().execute().getItems()) {
        String n = ns.getMetadata().getName();
        if (!n.startsWith(PREFIX)) {
          continue;
        }
        for (String s : secretNames) {
          api.readNamespacedSecret(s, n).execute();
        }
      }
      long took = System.nanoTime() - cycle;
      longest = Math.max(longest, took);
      long sleep = Duration.ofSeconds(10).toNanos() - took;
      if (sleep > 0 && c + 1 < patcherCycles) {
        Thread.sleep(sleep / 1_000_000);
      }
    }
    m.steady = counter.snapshot();
    m.steadySeconds = (System.nanoTime() - start) / 1e9;
    m.patcherCycle = Duration.ofNanos(longest);
    line(
        "imagepullsecret-patcher-like: %d cycles in %.1f s (longest cycle %s): %s",
        patcherCycles, m.steadySeconds, fmt(m.patcherCycle), m.steady);
    return m;
  }

  private List<String> allBenchmarkNamespaces() throws ApiException {
    List<String> names = new ArrayList<>();
    for (V1Namespace ns : admin.listNamespace().execute().getItems()) {
      if (ns.getMetadata().getName().startsWith(PREFIX)) {
        names.add(ns.getMetadata().getName());
      }
    }
    return names;
  }

  // ---- summary ----

  private static final class Measured {
    final String name;
    Duration firstSync;
    RequestCounter.Counts firstSyncCounts = RequestCounter.Counts.ZERO;
    int firstSyncAcrCalls;
    RequestCounter.Counts steady = RequestCounter.Counts.ZERO;
    double steadySeconds;
    int steadyAcrCalls;
    Duration rotation;
    RequestCounter.Counts rotationCounts = RequestCounter.Counts.ZERO;
    int rotationAcrCalls;
    List<Duration> newNamespaceLatencies = List.of();
    long heapAfterGc;
    long heapBefore;
    long rss;
    Duration patcherCycle;

    Measured(String name) {
      this.name = name;
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

  private static Duration percentile(List<Duration> values, int p) {
    if (values.isEmpty()) {
      return Duration.ZERO;
    }
    List<Duration> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long rssBytes() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
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
    String s = String.format(Locale.ROOT, format, args);
    report.add(s);
    System.out.println(s);
  }
}
