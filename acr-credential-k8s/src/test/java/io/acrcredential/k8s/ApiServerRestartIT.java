package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Interceptor;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import org.junit.jupiter.api.Test;

/**
 * kube-apiserver is restarted (etcd keeps the data) while the first sync is still writing: the
 * informers' watches are cut, resumed watches are answered with 410 Gone ("too old resource
 * version") and the informers relist; the sync completes and keeps reacting to changes.
 */
@WithKubeApiServer
class ApiServerRestartIT {

  private final SyncFixture fx;

  ApiServerRestartIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  /**
   * Counts 410 answers to watch requests (an HTTP 410 or a watch ERROR event with code 410). The
   * Java client relists after any failed watch, so a restart alone does not make it resume from an
   * old resourceVersion; once {@link #resumeOld} is set, the first watch of each resource is sent
   * with the resourceVersion that resource's last watch used before the restart, as a client that
   * resumes would, and the restarted server answers it for real.
   */
  static final class GoneCounter implements Interceptor {
    final AtomicInteger gone = new AtomicInteger();
    final AtomicInteger resumed = new AtomicInteger();
    final Map<String, String> lastVersion = new ConcurrentHashMap<>();
    final Set<String> resumedPaths = ConcurrentHashMap.newKeySet();
    volatile boolean resumeOld;

    @Override
    public Response intercept(Chain chain) throws IOException {
      okhttp3.Request request = chain.request();
      if (!"true".equals(request.url().queryParameter("watch"))) {
        return chain.proceed(request);
      }
      String path = request.url().encodedPath();
      String version = request.url().queryParameter("resourceVersion");
      if (!resumeOld) {
        if (version != null) {
          lastVersion.put(path, version);
        }
      } else if (lastVersion.containsKey(path) && resumedPaths.add(path)) {
        resumed.incrementAndGet();
        request =
            request
                .newBuilder()
                .url(
                    request
                        .url()
                        .newBuilder()
                        .setQueryParameter("resourceVersion", lastVersion.get(path))
                        .build())
                .build();
      }
      Response response;
      try {
        response = chain.proceed(request);
      } catch (IOException down) {
        // the server was still down: resume on the next attempt
        if (resumedPaths.remove(path)) {
          resumed.decrementAndGet();
        }
        throw down;
      }
      if (response.code() == 410) {
        gone.incrementAndGet();
        return response;
      }
      ResponseBody body = response.body();
      if (body == null) {
        return response;
      }
      BufferedSource scanned =
          Okio.buffer(
              new ForwardingSource(body.source()) {
                private String carry = "";

                @Override
                public long read(Buffer sink, long byteCount) throws IOException {
                  long n = super.read(sink, byteCount);
                  if (n > 0) {
                    Buffer copy = new Buffer();
                    sink.copyTo(copy, sink.size() - n, n);
                    String text = carry + copy.readString(StandardCharsets.UTF_8);
                    if (text.contains("\"code\":410")) {
                      gone.incrementAndGet();
                      text = "";
                    }
                    carry = text.length() > 16 ? text.substring(text.length() - 16) : text;
                  }
                  return n;
                }
              });
      return response
          .newBuilder()
          .body(ResponseBody.create(scanned, body.contentType(), -1L))
          .build();
    }
  }

  @Test
  void watchesRecoverFromARestartMidSyncIncluding410GoneAndTheSyncCompletes() throws Exception {
    String inst = "restart-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      namespaces.add(fx.namespace("restart", Map.of("acr-test", inst)));
    }
    GoneCounter gone = new GoneCounter();
    ApiClient informerClient = fx.server.adminClient();
    informerClient.setHttpClient(
        informerClient.getHttpClient().newBuilder().addInterceptor(gone).build());
    Map<String, Boolean> syncedNamespaces = new ConcurrentHashMap<>();
    SyncFixture.Recorder rec =
        new SyncFixture.Recorder() {
          @Override
          public void namespaceSynced(NamespaceSyncResult result) {
            super.namespaceSynced(result);
            if (result.inScope() && !result.serviceAccountsUpdated().isEmpty()) {
              syncedNamespaces.put(result.namespace(), true);
            }
          }
        };
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .informerApiClient(informerClient)
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            // slow enough that the restart lands in the middle of the first sync
            .writeRateLimit(4, 1)
            .retryBackoff(Duration.ofMillis(200), Duration.ofSeconds(2))
            .listener(rec)
            .build()) {
      sync.start();
      await("a few namespaces synced", () -> syncedNamespaces.size() >= 3);
      int before = syncedNamespaces.size();
      long t0 = System.nanoTime();
      gone.resumeOld = true;
      fx.server.restartApiServer(Duration.ofSeconds(2));
      Duration restart = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(before).as("namespaces synced before the restart").isLessThan(namespaces.size());

      for (String ns : namespaces) {
        await(
            ns + " synced after the restart",
            () ->
                fx.sa(ns, "default").isPresent()
                    && fx.pullSecrets(ns, "default").contains(HZ_SECRET)
                    && fx.secret(ns, HZ_SECRET).isPresent());
      }
      // the watches work again: a new namespace, a deleted Secret, an edited ServiceAccount
      String fresh = fx.namespace("restart", Map.of("acr-test", inst));
      await(
          "a namespace created after the restart is synced",
          () ->
              fx.sa(fresh, "default").isPresent()
                  && fx.pullSecrets(fresh, "default").contains(HZ_SECRET));
      String first = namespaces.get(0);
      fx.admin.deleteNamespacedSecret(HZ_SECRET, first).execute();
      await("the deleted pull Secret is recreated", () -> fx.secret(first, HZ_SECRET).isPresent());
      String second = namespaces.get(1);
      V1ServiceAccount sa = fx.sa(second, "default").orElseThrow();
      sa.setImagePullSecrets(List.of(new V1LocalObjectReference().name("user-only")));
      fx.admin.replaceNamespacedServiceAccount("default", second, sa).execute();
      await(
          "the removed imagePullSecrets entry is restored",
          () -> fx.pullSecrets(second, "default").containsAll(List.of("user-only", HZ_SECRET)));
      System.out.printf(
          "[scale-faults] kube-apiserver restarted after %d of %d namespaces were synced (down"
              + " and back in %d ms); %d watches resumed from their old resourceVersion, %d"
              + " answered 410 Gone; all namespaces synced, watches react again; %d failed"
              + " attempts retried%n",
          before,
          namespaces.size(),
          restart.toMillis(),
          gone.resumed.get(),
          gone.gone.get(),
          rec.failures.size());
      assertThat(gone.resumed.get()).as("watches resumed after the restart").isEqualTo(3);
      assertThat(gone.gone.get())
          .as("watches resumed from an old resourceVersion got 410")
          .isPositive();
    }
  }
}
