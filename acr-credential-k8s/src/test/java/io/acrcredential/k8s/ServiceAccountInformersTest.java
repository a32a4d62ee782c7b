package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.LabelSelector;
import io.acrcredential.k8s.config.NamespaceScope;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/** Which informers follow which scope; the API answers every request with 403 (no network). */
class ServiceAccountInformersTest {

  private static final long WAIT_MS = 20_000;

  @Test
  void onlyAPlainListOfNamesIsServedByNamespacedInformers() {
    assertThat(ServiceAccountInformers.isPlainList(NamespaceScope.named(List.of("a")))).isTrue();
    assertThat(ServiceAccountInformers.isPlainList(NamespaceScope.named(List.of()))).isTrue();
    assertThat(ServiceAccountInformers.isPlainList(NamespaceScope.allNamespaces())).isFalse();
    assertThat(
            ServiceAccountInformers.isPlainList(
                NamespaceScope.matching(LabelSelector.parse("team=a"))))
        .isFalse();
    NamespaceScope both =
        new NamespaceScope(
            false, Set.of("a"), java.util.Optional.of(LabelSelector.parse("team=a")), List.of());
    assertThat(ServiceAccountInformers.isPlainList(both)).isFalse();
  }

  @Test
  void excludedNamesAreNotWatched() {
    NamespaceScope scope =
        NamespaceScope.named(List.of("default", "kube-system", "apps"))
            .excluding(List.of("kube-*"));
    assertThat(ServiceAccountInformers.listedNamespaces(scope)).containsExactly("default", "apps");
  }

  @Test
  void informersFollowTheScopeAndRetire() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    ExecutorService executor = Executors.newCachedThreadPool();
    ServiceAccountInformers informers =
        new ServiceAccountInformers(
            forbiddingClient(requests), noEvents(), executor, "acr-credential.io/test", null);
    try {
      informers.follow(NamespaceScope.named(List.of("a", "b")));
      assertThat(informers.watched()).containsExactly("a", "b");
      // an informer that cannot list does not hold the others back
      awaitTrue(informers::hasSynced);
      assertThat(informers.transitioning()).isFalse();
      assertThat(informers.list("a")).isEmpty();

      informers.follow(NamespaceScope.named(List.of("b", "c")));
      assertThat(informers.watched()).containsExactly("a", "b", "c");
      assertThat(informers.transitioning()).isTrue();
      awaitTrue(informers::hasSynced);
      // a retiring informer that never filled can tell nothing any more: stopped
      assertThat(informers.prune()).isTrue();
      assertThat(informers.watched()).containsExactly("b", "c");
      assertThat(informers.transitioning()).isFalse();

      informers.follow(NamespaceScope.allNamespaces());
      assertThat(informers.watched()).containsExactly("*", "b", "c");
      assertThat(informers.transitioning()).isTrue();
      // the cluster-wide informer never fills here: the namespaced ones are kept
      assertThat(informers.prune()).isFalse();
      assertThat(informers.hasSynced()).isFalse();
      assertThat(informers.watched()).containsExactly("*", "b", "c");

      informers.follow(NamespaceScope.named(List.of("c")));
      assertThat(informers.watched()).containsExactly("*", "b", "c");
      awaitTrue(informers::allSettled);
      assertThat(informers.prune()).isTrue();
      assertThat(informers.watched()).containsExactly("c");
      assertThat(requests.get()).isPositive();
    } finally {
      informers.close();
      assertThat(informers.watched()).isEmpty();
      executor.shutdownNow();
      assertThat(executor.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    while (!condition.getAsBoolean()) {
      assertThat(System.currentTimeMillis())
          .as("condition within %d ms", WAIT_MS)
          .isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static ResourceEventHandler<V1ServiceAccount> noEvents() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(V1ServiceAccount obj) {}

      @Override
      public void onUpdate(V1ServiceAccount oldObj, V1ServiceAccount newObj) {}

      @Override
      public void onDelete(V1ServiceAccount obj, boolean finalStateUnknown) {}
    };
  }

  /** A client whose every request is answered 403 by an interceptor, before any connection. */
  private static ApiClient forbiddingClient(AtomicInteger requests) {
    OkHttpClient http =
        new OkHttpClient.Builder()
            .readTimeout(java.time.Duration.ZERO)
            .addInterceptor(
                chain -> {
                  requests.incrementAndGet();
                  return new Response.Builder()
                      .request(chain.request())
                      .protocol(Protocol.HTTP_1_1)
                      .code(403)
                      .message("Forbidden")
                      .body(
                          ResponseBody.create(
                              "{\"kind\":\"Status\",\"code\":403}",
                              MediaType.get("application/json")))
                      .build();
                })
            .build();
    ApiClient client = new ApiClient(http);
    client.setBasePath("https://127.0.0.1:6443");
    return client;
  }
}
