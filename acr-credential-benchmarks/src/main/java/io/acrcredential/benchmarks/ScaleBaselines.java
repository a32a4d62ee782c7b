package io.acrcredential.benchmarks;

import static io.acrcredential.benchmarks.Figures.fmt;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.testing.FakeAcr;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What {@link ScaleBenchmark} compares the sync with, on the same cluster: the bare client loop
 * (the first sync's writes with nothing around them) and two baselines that behave like today's
 * tools.
 */
final class ScaleBaselines {

  private final Cluster cluster;
  private final FakeAcr acr;
  private final List<RegistryTarget> targets;
  private final List<String> domains;
  private final int namespaceCount;
  private final int workers;
  private final int patcherCycles;
  private final String accessKeyId;
  private final String secret;
  private final Report report;

  ScaleBaselines(
      Cluster cluster,
      FakeAcr acr,
      String accessKeyId,
      String secret,
      List<RegistryTarget> targets,
      int namespaceCount,
      int workers,
      int patcherCycles,
      Report report) {
    this.cluster = cluster;
    this.acr = acr;
    this.accessKeyId = accessKeyId;
    this.secret = secret;
    this.targets = targets;
    this.domains = new ArrayList<>();
    targets.forEach(t -> domains.addAll(t.domains()));
    this.namespaceCount = namespaceCount;
    this.workers = workers;
    this.patcherCycles = patcherCycles;
    this.report = report;
  }

  private AcrTokenProvider acrProvider() {
    return SyncSetup.acrProvider(accessKeyId, secret, acr.endpoint());
  }

  private CoreV1Api counted(RequestCounter counter) {
    return new CoreV1Api(cluster.client(counter));
  }

  private void line(String format, Object... args) {
    report.line(format, args);
  }

  /**
   * The writes of a first full sync with nothing around them: per namespace, create one Secret per
   * registry and set both ServiceAccounts' imagePullSecrets (merge patch, no read), with as many
   * threads as the sync has workers. Secrets are named {@code bare-*} so the sync ignores them.
   */
  Measured bareClientLoop() throws Exception {
    RequestCounter counter = new RequestCounter();
    CoreV1Api api = counted(counter);
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
        String ns = cluster.name(i);
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
                  for (String sa : List.of("default", ScaleBenchmark.BUILDER_SA)) {
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

  /**
   * Like upmc-enterprises/registry-creds: on every refresh (default every 60 minutes) and for every
   * namespace, a token fetch per registry and an unconditional Secret update (create on 404), then
   * a read of the default ServiceAccount and an update when the Secret is missing from it.
   */
  Measured registryCredsLike() throws Exception {
    Measured m = new Measured("registry-creds-like");
    RequestCounter counter = new RequestCounter();
    CoreV1Api api = counted(counter);
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
  Measured patcherLike() throws Exception {
    Measured m = new Measured("imagepullsecret-patcher-like");
    RequestCounter counter = new RequestCounter();
    CoreV1Api api = counted(counter);
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
        if (!cluster.isOurs(n)) {
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
    for (V1Namespace ns : cluster.admin().listNamespace().execute().getItems()) {
      if (cluster.isOurs(ns.getMetadata().getName())) {
        names.add(ns.getMetadata().getName());
      }
    }
    return names;
  }
}
