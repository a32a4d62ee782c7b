package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.LabelSelector;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * The ServiceAccount informers follow the namespace scope: a list of names is served by namespaced
 * list/watch requests only, and changes of the list or of the kind of scope are followed.
 */
@WithKubeApiServer
class ServiceAccountScopeIT {

  private static final Duration LONG_WAIT = Duration.ofSeconds(120);
  private static final String CLUSTER_WIDE = "/api/v1/serviceaccounts";

  private final SyncFixture fx;

  ServiceAccountScopeIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  private static String instance(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
  }

  private static AcrConfiguration config(NamespaceScope scope) {
    return AcrConfiguration.builder()
        .namespaces(scope)
        .serviceAccounts(ServiceAccountScope.allServiceAccounts())
        .addRegistry(RegistryEntry.of(HZ, IdentitySpec.defaultChain()))
        .build();
  }

  private ApiClient logging(RequestLog log) {
    ApiClient c = fx.server.adminClient();
    c.setHttpClient(c.getHttpClient().newBuilder().addInterceptor(log).build());
    return c;
  }

  private PullSecretSync sync(String inst, NamespaceScope scope, RequestLog log) {
    return PullSecretSync.builder()
        .apiClient(logging(log))
        .configuration(config(scope))
        .tokenProvider(new FakeTokens())
        .instanceName(inst)
        .writeRateLimit(200, 200)
        .build();
  }

  private static String path(String ns) {
    return "/api/v1/namespaces/" + ns + "/serviceaccounts";
  }

  private boolean lists(String ns, String sa, String secret) throws Exception {
    return fx.sa(ns, sa).isPresent() && fx.pullSecrets(ns, sa).contains(secret);
  }

  private static void awaitLong(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + LONG_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (Boolean.TRUE.equals(condition.call())) {
        return;
      }
      Thread.sleep(100);
    }
    fail("timed out after " + LONG_WAIT + " waiting for " + what);
  }

  private static List<String> names(List<V1ServiceAccount> sas) {
    return sas.stream().map(s -> s.getMetadata().getName()).sorted().toList();
  }

  @Test
  void aListScopeWatchesOnlyTheListedNamespaces() throws Exception {
    String inst = instance("salist");
    String a = fx.namespace("salist-a", Map.of());
    String b = fx.namespace("salist-b", Map.of());
    String other = fx.namespace("salist-other", Map.of());
    fx.serviceAccount(other, "app");
    RequestLog log = new RequestLog();
    try (PullSecretSync sync = sync(inst, NamespaceScope.named(List.of(a, b)), log)) {
      sync.start();
      SyncFixture.await("sync ready", sync::isReady);
      SyncFixture.await(
          "default SAs of both listed namespaces patched",
          () -> lists(a, "default", HZ_SECRET) && lists(b, "default", HZ_SECRET));

      long t0 = System.nanoTime();
      fx.serviceAccount(a, "late");
      SyncFixture.await(
          "a ServiceAccount created later is patched", () -> lists(a, "late", HZ_SECRET));
      Duration latency = Duration.ofNanos(System.nanoTime() - t0);

      assertThat(sync.serviceAccountWatch()).containsExactlyInAnyOrder(a, b);
      assertThat(names(sync.cachedServiceAccounts(a))).contains("default", "late");
      assertThat(sync.cachedServiceAccounts(other)).isEmpty();
      assertThat(sync.cachedServiceAccountCount())
          .isEqualTo(
              fx.admin.listNamespacedServiceAccount(a).execute().getItems().size()
                  + fx.admin.listNamespacedServiceAccount(b).execute().getItems().size());
      assertThat(fx.secret(other, HZ_SECRET)).isEmpty();
      assertThat(fx.pullSecrets(other, "app")).isEmpty();

      assertThat(log.reads(CLUSTER_WIDE)).as("no cluster-wide ServiceAccount list/watch").isEmpty();
      assertThat(log.reads(path(a))).anyMatch(e -> !e.watch()).anyMatch(RequestLog.Entry::watch);
      assertThat(log.reads(path(b))).anyMatch(e -> !e.watch()).anyMatch(RequestLog.Entry::watch);
      assertThat(log.reads(path(other))).isEmpty();
      System.out.println(
          "[k8s-sync] list scope of 2 namespaces: ServiceAccount list/watch requests "
              + log.serviceAccountCollectionReads().size()
              + " (all namespaced, 0 cluster-wide); SAs cached "
              + sync.cachedServiceAccountCount()
              + "; SA created in a listed namespace patched in "
              + latency.toMillis()
              + " ms");
      assertThat(latency).isLessThan(Duration.ofSeconds(20));
    }
  }

  @Test
  void changingTheListWatchesAddedNamespacesAndCleansUpRemovedOnes() throws Exception {
    String inst = instance("sachg");
    String a = fx.namespace("sachg-a", Map.of());
    String b = fx.namespace("sachg-b", Map.of());
    String annotation = new Markers(inst).serviceAccountAnnotation();
    RequestLog log = new RequestLog();
    try (PullSecretSync sync = sync(inst, NamespaceScope.named(List.of(a)), log)) {
      sync.start();
      SyncFixture.await("a patched", () -> lists(a, "default", HZ_SECRET));
      assertThat(sync.serviceAccountWatch()).containsExactly(a);
      SyncFixture.await("default SA of b exists", () -> fx.sa(b, "default").isPresent());
      assertThat(fx.secret(b, HZ_SECRET)).isEmpty();

      sync.updateConfiguration(config(NamespaceScope.named(List.of(a, b))));
      SyncFixture.await("b added: its default SA patched", () -> lists(b, "default", HZ_SECRET));
      assertThat(fx.secret(b, HZ_SECRET)).isPresent();
      assertThat(sync.serviceAccountWatch()).containsExactlyInAnyOrder(a, b);
      fx.serviceAccount(b, "late");
      SyncFixture.await("a later SA in b patched", () -> lists(b, "late", HZ_SECRET));

      sync.updateConfiguration(config(NamespaceScope.named(List.of(b))));
      SyncFixture.await(
          "a removed: its Secret deleted and its SA entry and annotation removed",
          () ->
              fx.secret(a, HZ_SECRET).isEmpty()
                  && !fx.pullSecrets(a, "default").contains(HZ_SECRET)
                  && noAnnotation(fx.sa(a, "default").orElseThrow(), annotation));
      SyncFixture.await(
          "a's informer stopped once cleaned up",
          () -> sync.serviceAccountWatch().equals(Set.of(b)));
      assertThat(sync.cachedServiceAccounts(a)).isEmpty();
      assertThat(lists(b, "default", HZ_SECRET) && lists(b, "late", HZ_SECRET)).isTrue();
      assertThat(log.reads(CLUSTER_WIDE)).isEmpty();
    }
  }

  @Test
  void aListNarrowedWhileTheSyncWasDownIsCleanedUpOnStart() throws Exception {
    String inst = instance("sarestart");
    String a = fx.namespace("sarestart-a", Map.of());
    String b = fx.namespace("sarestart-b", Map.of());
    String annotation = new Markers(inst).serviceAccountAnnotation();
    try (PullSecretSync first = sync(inst, NamespaceScope.named(List.of(a, b)), new RequestLog())) {
      first.start();
      SyncFixture.await(
          "both namespaces patched",
          () -> lists(a, "default", HZ_SECRET) && lists(b, "default", HZ_SECRET));
    }
    RequestLog log = new RequestLog();
    try (PullSecretSync second = sync(inst, NamespaceScope.named(List.of(b)), log)) {
      second.start();
      SyncFixture.await(
          "a, no longer listed, cleaned up by the restarted sync",
          () ->
              fx.secret(a, HZ_SECRET).isEmpty()
                  && !fx.pullSecrets(a, "default").contains(HZ_SECRET)
                  && noAnnotation(fx.sa(a, "default").orElseThrow(), annotation));
      SyncFixture.await(
          "a's informer stopped once cleaned up",
          () -> second.serviceAccountWatch().equals(Set.of(b)));
      assertThat(lists(b, "default", HZ_SECRET)).isTrue();
      assertThat(log.reads(CLUSTER_WIDE)).isEmpty();
    }
  }

  private static boolean noAnnotation(V1ServiceAccount sa, String annotation) {
    Map<String, String> a = sa.getMetadata().getAnnotations();
    return a == null || !a.containsKey(annotation);
  }

  @Test
  void switchingFromAListToAllNamespacesAndBack() throws Exception {
    String inst = instance("saswitch");
    String a = fx.namespace("saswitch-a", Map.of());
    String c = fx.namespace("saswitch-c", Map.of());
    fx.serviceAccount(c, "app");
    String annotation = new Markers(inst).serviceAccountAnnotation();
    RequestLog log = new RequestLog();
    try (PullSecretSync sync = sync(inst, NamespaceScope.named(List.of(a)), log)) {
      sync.start();
      SyncFixture.await("a patched", () -> lists(a, "default", HZ_SECRET));
      String secretVersion =
          fx.secret(a, HZ_SECRET).orElseThrow().getMetadata().getResourceVersion();
      String saVersion = fx.sa(a, "default").orElseThrow().getMetadata().getResourceVersion();
      assertThat(log.reads(CLUSTER_WIDE)).isEmpty();

      sync.updateConfiguration(config(NamespaceScope.allNamespaces()));
      awaitLong("c covered by the all-namespaces scope", () -> lists(c, "app", HZ_SECRET));
      awaitLong(
          "the namespaced informer stopped once the cluster-wide one filled",
          () -> sync.serviceAccountWatch().equals(Set.of("*")));
      assertThat(log.reads(CLUSTER_WIDE)).isNotEmpty();
      assertThat(names(sync.cachedServiceAccounts(c))).contains("app");
      assertThat(lists(a, "default", HZ_SECRET)).isTrue();

      sync.updateConfiguration(config(NamespaceScope.named(List.of(a))));
      awaitLong(
          "c cleaned up after the switch back",
          () ->
              fx.secret(c, HZ_SECRET).isEmpty()
                  && !fx.pullSecrets(c, "app").contains(HZ_SECRET)
                  && noAnnotation(fx.sa(c, "app").orElseThrow(), annotation));
      awaitLong(
          "the cluster-wide informer stopped once nothing outside the list carries the annotation",
          () -> sync.serviceAccountWatch().equals(Set.of(a)));
      assertThat(sync.cachedServiceAccounts(c)).isEmpty();
      List<String> leftovers = new ArrayList<>();
      for (V1ServiceAccount sa :
          fx.admin.listServiceAccountForAllNamespaces().execute().getItems()) {
        if (!noAnnotation(sa, annotation) && !a.equals(sa.getMetadata().getNamespace())) {
          leftovers.add(sa.getMetadata().getNamespace() + "/" + sa.getMetadata().getName());
        }
      }
      assertThat(leftovers).as("SAs outside the list still annotated").isEmpty();
      assertThat(
              fx.admin
                  .listSecretForAllNamespaces()
                  .labelSelector(PullSecretSync.INSTANCE_LABEL + "=" + inst)
                  .execute()
                  .getItems())
          .extracting(s -> s.getMetadata().getNamespace())
          .containsOnly(a);
      // the listed namespace was never rewritten by the two switches
      assertThat(fx.secret(a, HZ_SECRET).orElseThrow().getMetadata().getResourceVersion())
          .isEqualTo(secretVersion);
      assertThat(fx.sa(a, "default").orElseThrow().getMetadata().getResourceVersion())
          .isEqualTo(saVersion);
      assertThat(lists(a, "default", HZ_SECRET)).isTrue();
    }
  }

  @Test
  void cachedServiceAccountsForAListVersusTheWholeCluster() throws Exception {
    String inst = instance("sasize");
    int count = 300;
    List<String> created = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        created.add(
            fx.admin
                .createNamespace(
                    new V1Namespace()
                        .metadata(
                            new V1ObjectMeta()
                                .generateName("sasize-")
                                .labels(Map.of("acr-bulk", inst))))
                .execute()
                .getMetadata()
                .getName());
      }
      awaitLong(
          "every bulk namespace has its default ServiceAccount",
          () ->
              fx
                      .admin
                      .listServiceAccountForAllNamespaces()
                      .fieldSelector("metadata.name=default")
                      .execute()
                      .getItems()
                      .stream()
                      .filter(s -> created.contains(s.getMetadata().getNamespace()))
                      .count()
                  == count);
      int total = fx.admin.listServiceAccountForAllNamespaces().execute().getItems().size();
      int namespaces = fx.admin.listNamespace().execute().getItems().size();
      long[] list = measure(inst + "-l", NamespaceScope.named(List.of(created.get(0))));
      // a selector matching nothing: the cluster-wide informer, as for "all", without writes
      long[] all =
          measure(
              inst + "-a",
              NamespaceScope.matching(LabelSelector.parse("acr-test=nothing-" + inst)));
      System.out.printf(
          "[k8s-sync] ServiceAccounts cached in a cluster of %d namespaces (%d SAs): list scope"
              + " of 1 namespace %d objects (%d bytes as JSON); all/selector scope %d objects (%d"
              + " bytes as JSON)%n",
          namespaces, total, list[0], list[1], all[0], all[1]);
      assertThat(list[0]).isEqualTo(1);
      assertThat(all[0]).isGreaterThanOrEqualTo(count);
    } finally {
      for (String ns : created) {
        fx.admin.deleteNamespace(ns).execute();
      }
    }
  }

  /** Starts a sync with the scope and returns {objects cached, their JSON size in bytes}. */
  private long[] measure(String inst, NamespaceScope scope) throws Exception {
    RequestLog log = new RequestLog();
    try (PullSecretSync sync = sync(inst, scope, log)) {
      sync.start();
      SyncFixture.await("sync ready", sync::isReady);
      io.kubernetes.client.openapi.JSON json = fx.server.adminClient().getJSON();
      long bytes = 0;
      for (V1Namespace ns : fx.admin.listNamespace().execute().getItems()) {
        for (V1ServiceAccount sa : sync.cachedServiceAccounts(ns.getMetadata().getName())) {
          bytes += json.serialize(sa).length();
        }
      }
      return new long[] {sync.cachedServiceAccountCount(), bytes};
    }
  }
}
