package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.SH;
import static io.acrcredential.k8s.SyncFixture.SH_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * API server conflicts and 5xx on a third of the sync's writes: every namespace still converges,
 * and objects the sync does not own keep their resourceVersion.
 */
@WithKubeApiServer
class ApiFaultsIT {

  private final SyncFixture fx;

  ApiFaultsIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  /**
   * Fails a seeded-random third of write requests: 409 Conflict without sending it, 500 without
   * sending it, or (the nasty case) 500 after the server applied it.
   */
  static final class FaultInjector implements Interceptor {
    private final Random random = new Random(20240817L);
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger conflicts = new AtomicInteger();
    final AtomicInteger errorsBefore = new AtomicInteger();
    final AtomicInteger errorsAfter = new AtomicInteger();
    volatile boolean active = true;

    @Override
    public Response intercept(Chain chain) throws IOException {
      Request r = chain.request();
      if ("GET".equals(r.method()) || !active) {
        return chain.proceed(r);
      }
      writes.incrementAndGet();
      int roll;
      synchronized (random) {
        roll = random.nextInt(9);
      }
      switch (roll) {
        case 0:
          conflicts.incrementAndGet();
          return synthetic(
              r, 409, "Conflict", "the object has been modified; please apply your changes");
        case 1:
          errorsBefore.incrementAndGet();
          return synthetic(r, 500, "InternalError", "injected: etcdserver: request timed out");
        case 2:
          Response applied = chain.proceed(r);
          applied.close();
          errorsAfter.incrementAndGet();
          return synthetic(r, 500, "InternalError", "injected after the write was applied");
        default:
          return chain.proceed(r);
      }
    }

    private static Response synthetic(Request r, int code, String reason, String message) {
      String body =
          "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\""
              + message
              + "\",\"reason\":\""
              + reason
              + "\",\"code\":"
              + code
              + "}";
      return new Response.Builder()
          .request(r)
          .protocol(Protocol.HTTP_1_1)
          .code(code)
          .message(reason)
          .body(ResponseBody.create(body, MediaType.get("application/json")))
          .build();
    }
  }

  @Test
  void everyNamespaceConvergesUnderInjectedConflictsAndServerErrors() throws Exception {
    String inst = "faults-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> namespaces = new ArrayList<>();
    Map<String, String> userVersions = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) {
      String ns = fx.namespace("faults", Map.of("acr-test", inst));
      namespaces.add(ns);
      fx.serviceAccount(ns, "app", "user-pull-secret");
      V1ServiceAccount other = fx.serviceAccount(ns, "not-in-scope", "user-pull-secret");
      userVersions.put(key("sa", ns, "not-in-scope"), other.getMetadata().getResourceVersion());
      V1Secret userSecret =
          fx.admin
              .createNamespacedSecret(
                  ns,
                  new V1Secret()
                      .metadata(new V1ObjectMeta().name("user-pull-secret"))
                      .type("Opaque")
                      .data(Map.of("k", "v".getBytes(StandardCharsets.UTF_8))))
              .execute();
      userVersions.put(key("secret", ns, "user-pull-secret"), rv(userSecret.getMetadata()));
      V1ConfigMap cm =
          fx.admin
              .createNamespacedConfigMap(
                  ns,
                  new V1ConfigMap()
                      .metadata(new V1ObjectMeta().name("user"))
                      .data(Map.of("a", "b")))
              .execute();
      userVersions.put(key("cm", ns, "user"), rv(cm.getMetadata()));
    }
    // one namespace holds a user Secret under the name the sync wants: a clash, never touched
    String clashNs = namespaces.get(0);
    V1Secret clash =
        fx.admin
            .createNamespacedSecret(
                clashNs,
                new V1Secret()
                    .metadata(new V1ObjectMeta().name(SH_SECRET))
                    .type("Opaque")
                    .data(Map.of("mine", "x".getBytes(StandardCharsets.UTF_8))))
            .execute();
    userVersions.put(key("secret", clashNs, SH_SECRET), rv(clash.getMetadata()));
    for (String ns : namespaces) {
      userVersions.put(key("ns", "", ns), rv(fx.admin.readNamespace(ns).execute().getMetadata()));
    }

    FaultInjector faults = new FaultInjector();
    ApiClient client = fx.server.adminClient();
    client.setHttpClient(client.getHttpClient().newBuilder().addInterceptor(faults).build());
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(client)
            .informerApiClient(fx.server.adminClient())
            .configuration(
                SyncFixture.config(
                    inst, ServiceAccountScope.named(Set.of("default", "app")), HZ, SH))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .retryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1))
            .listener(rec)
            .build()) {
      sync.start();
      for (String ns : namespaces) {
        await(
            "namespace " + ns + " converges",
            () -> {
              List<String> want =
                  ns.equals(clashNs) ? List.of(HZ_SECRET) : List.of(HZ_SECRET, SH_SECRET);
              return fx.sa(ns, "default").isPresent()
                  && fx.pullSecrets(ns, "default").containsAll(want)
                  && fx.pullSecrets(ns, "app").containsAll(want)
                  && fx.pullSecrets(ns, "app").contains("user-pull-secret")
                  && fx.password(ns, HZ_SECRET, SyncFixture.HANGZHOU) != null
                  && (ns.equals(clashNs)
                      || fx.password(ns, SH_SECRET, SyncFixture.SHANGHAI) != null);
            });
      }
      System.out.printf(
          "[scale-faults] %d writes, injected %d conflicts, %d 500s before and %d 500s after"
              + " the write; %d failed attempts reported, all %d namespaces converged%n",
          faults.writes.get(),
          faults.conflicts.get(),
          faults.errorsBefore.get(),
          faults.errorsAfter.get(),
          rec.failures.size(),
          namespaces.size());
      assertThat(faults.conflicts.get() + faults.errorsBefore.get() + faults.errorsAfter.get())
          .as("faults were injected")
          .isGreaterThan(5);
      assertThat(faults.conflicts.get()).as("conflicts injected").isPositive();
      // a refused create or update is re-read and retried at once; other errors back off
      assertThat(rec.failures).extracting(SyncFailure::httpStatus).contains(500);

      // once faults stop, another full pass changes nothing it does not own, and writes nothing
      faults.active = false;
      int before = faults.writes.get();
      sync.updateConfiguration(sync.configuration()); // enqueues every namespace
      Thread.sleep(1500);
      for (String ns : namespaces) {
        assertThat(fx.pullSecrets(ns, "app")).contains("user-pull-secret");
        assertThat(fx.pullSecrets(ns, "not-in-scope")).containsExactly("user-pull-secret");
        assertThat(
                rv(fx.admin.readNamespacedSecret("user-pull-secret", ns).execute().getMetadata()))
            .isEqualTo(userVersions.get(key("secret", ns, "user-pull-secret")));
        assertThat(rv(fx.admin.readNamespacedConfigMap("user", ns).execute().getMetadata()))
            .isEqualTo(userVersions.get(key("cm", ns, "user")));
        assertThat(
                rv(
                    fx.admin
                        .readNamespacedServiceAccount("not-in-scope", ns)
                        .execute()
                        .getMetadata()))
            .isEqualTo(userVersions.get(key("sa", ns, "not-in-scope")));
        assertThat(rv(fx.admin.readNamespace(ns).execute().getMetadata()))
            .isEqualTo(userVersions.get(key("ns", "", ns)));
      }
      V1Secret clashAfter = fx.secret(clashNs, SH_SECRET).orElseThrow();
      assertThat(rv(clashAfter.getMetadata()))
          .isEqualTo(userVersions.get(key("secret", clashNs, SH_SECRET)));
      assertThat(clashAfter.getType()).isEqualTo("Opaque");
      assertThat(fx.pullSecrets(clashNs, "app")).doesNotContain(SH_SECRET);
      // no duplicate entries from retried SA updates
      for (String ns : namespaces) {
        List<String> app = fx.pullSecrets(ns, "app");
        assertThat(app).doesNotHaveDuplicates();
        assertThat(fx.pullSecrets(ns, "default")).doesNotHaveDuplicates();
      }
      assertThat(faults.writes.get() - before)
          .as("writes in a pass after convergence (Events about the clash aside)")
          .isLessThanOrEqualTo(1);
    }
  }

  private static String key(String kind, String ns, String name) {
    return kind + "/" + ns + "/" + name;
  }

  private static String rv(V1ObjectMeta m) {
    return m.getResourceVersion();
  }
}
