package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ManagedFieldsEntry;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1SecretList;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
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

/**
 * What the informer caches keep: the Secret informers' cache holds no token (every object reachable
 * from the cached Secrets is scanned), the digest still tells whether a Secret holds the desired
 * content, and managedFields are dropped everywhere. The API server is an in-process interceptor
 * (no network).
 */
class SecretCacheTrimTest {

  private static final String TOKEN = "eyJ0b2tlbi1zZWNyZXQiOiJub3QtaW4tdGhlLWhlYXAtcGxlYXNlIn0";
  private static final String SECRET_NAME = "acr-credential-registry-cn-hangzhou-aliyuncs-com";
  private static final long WAIT_MS = 20_000;

  private static byte[] dockerConfig(String password) {
    return ("{\"auths\":{\"registry.cn-hangzhou.aliyuncs.com\":{\"username\":\"cr_temp_user\","
            + "\"password\":\""
            + password
            + "\"}}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static DesiredSecret desired(String password) {
    return new DesiredSecret(
        SECRET_NAME,
        dockerConfig(password),
        List.of("registry.cn-hangzhou.aliyuncs.com"),
        Instant.parse("2026-12-05T03:00:00Z"));
  }

  private static V1Secret served(String ns, Map<String, byte[]> data) {
    return new V1Secret()
        .apiVersion("v1")
        .kind("Secret")
        .metadata(
            new V1ObjectMeta()
                .name(SECRET_NAME)
                .namespace(ns)
                .uid("uid-" + ns)
                .resourceVersion("7")
                .labels(Map.of(Markers.MANAGED_LABEL, "true", Markers.INSTANCE_LABEL, "x"))
                .annotations(Map.of("team", "kept"))
                .managedFields(
                    List.of(
                        new V1ManagedFieldsEntry()
                            .manager("acr-credential")
                            .operation("Update")
                            .fieldsV1(Map.of("f:data", Map.of("f:.dockerconfigjson", Map.of()))))))
        .type(NamespaceReconciler.SECRET_TYPE)
        .data(data);
  }

  @Test
  void theSecretCacheHoldsNoTokenButStillKnowsWhetherASecretIsUpToDate() throws Exception {
    V1SecretList list =
        new V1SecretList()
            .apiVersion("v1")
            .kind("SecretList")
            .metadata(new io.kubernetes.client.openapi.models.V1ListMeta().resourceVersion("9"))
            .items(
                List.of(
                    served("team-a", Map.of(NamespaceReconciler.DATA_KEY, dockerConfig(TOKEN))),
                    served("team-b", Map.of(NamespaceReconciler.DATA_KEY, dockerConfig("old"))),
                    served("team-c", Map.of())));
    AtomicInteger lists = new AtomicInteger();
    ExecutorService executor = Executors.newCachedThreadPool();
    SecretInformers informers =
        new SecretInformers(
            servingClient(new JSON().serialize(list), lists),
            "acr-credential.io/instance=x",
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(V1Secret obj) {}

              @Override
              public void onUpdate(V1Secret oldObj, V1Secret newObj) {}

              @Override
              public void onDelete(V1Secret obj, boolean finalStateUnknown) {}
            },
            executor,
            new ListGate());
    try {
      informers.watch(List.of(SECRET_NAME));
      long deadline = System.currentTimeMillis() + WAIT_MS;
      while (!informers.settled() || informers.get("team-c", SECRET_NAME) == null) {
        assertThat(System.currentTimeMillis()).as("cache filled").isLessThan(deadline);
        Thread.sleep(20);
      }
      assertThat(lists.get()).isPositive();

      List<V1Secret> cached = new ArrayList<>();
      for (String ns : List.of("team-a", "team-b", "team-c")) {
        cached.addAll(informers.list(ns));
      }
      assertThat(cached).hasSize(3);
      // no token anywhere in what the cache holds, in any encoding
      assertThat(reachableText(cached))
          .isNotEmpty()
          .noneMatch(s -> s.contains(TOKEN))
          .noneMatch(s -> s.contains(Base64.getEncoder().encodeToString(dockerConfig(TOKEN))));
      assertThat(new JSON().serialize(cached)).doesNotContain(TOKEN).doesNotContain("f:data");
      for (V1Secret s : cached) {
        assertThat(s.getMetadata().getManagedFields()).isNull();
        assertThat(s.getData()).containsOnlyKeys(SecretDigest.DIGEST_KEY);
        // what an update is built from keeps what others put there
        assertThat(s.getMetadata().getAnnotations()).containsEntry("team", "kept");
        assertThat(s.getType()).isEqualTo(NamespaceReconciler.SECRET_TYPE);
      }

      // the digest answers what the bytes answered
      assertThat(SecretDigest.holds(informers.get("team-a", SECRET_NAME), desired(TOKEN))).isTrue();
      assertThat(SecretDigest.holds(informers.get("team-b", SECRET_NAME), desired(TOKEN)))
          .isFalse();
      assertThat(SecretDigest.holds(informers.get("team-b", SECRET_NAME), desired("old"))).isTrue();
      // emptied by someone: never up to date
      assertThat(SecretDigest.holds(informers.get("team-c", SECRET_NAME), desired(TOKEN)))
          .isFalse();
    } finally {
      informers.close();
      executor.shutdownNow();
      assertThat(executor.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void theListIsReleasedOnceTheWatchStarts() throws Exception {
    V1SecretList list =
        new V1SecretList()
            .metadata(new io.kubernetes.client.openapi.models.V1ListMeta().resourceVersion("9"))
            .items(List.of(served("team-a", Map.of("k", new byte[] {1}))));
    ApiClient client = servingClient(new JSON().serialize(list), new AtomicInteger());
    io.kubernetes.client.openapi.apis.CoreV1Api api =
        new io.kubernetes.client.openapi.apis.CoreV1Api(client);
    ListGate gate = new ListGate();
    ReleasingListerWatcher<V1Secret, V1SecretList> lw =
        new ReleasingListerWatcher<>(
            client,
            p -> api.listSecretForAllNamespaces().watch(p.watch).buildCall(null),
            V1Secret.class,
            V1SecretList.class,
            gate);
    V1SecretList listed =
        lw.list(new io.kubernetes.client.util.CallGeneratorParams(false, null, null));
    assertThat(listed.getItems()).hasSize(1);
    assertThat(gate.held()).as("held from the list until the watch").isTrue();
    lw.watch(new io.kubernetes.client.util.CallGeneratorParams(true, "9", 1)).close();
    assertThat(listed.getItems()).as("released when the watch starts").isEmpty();
    assertThat(gate.held()).isFalse();
  }

  @Test
  void holdsComparesTheWholeDataMapOfALiveSecretToo() {
    byte[] bytes = dockerConfig(TOKEN);
    assertThat(
            SecretDigest.holds(
                served("a", Map.of(NamespaceReconciler.DATA_KEY, bytes)), desired(TOKEN)))
        .isTrue();
    assertThat(
            SecretDigest.holds(
                served("a", Map.of(NamespaceReconciler.DATA_KEY, bytes, "extra", new byte[1])),
                desired(TOKEN)))
        .isFalse();
    assertThat(SecretDigest.holds(served("a", Map.of("other", bytes)), desired(TOKEN))).isFalse();
    assertThat(SecretDigest.holds(served("a", null), desired(TOKEN))).isFalse();
    assertThat(SecretDigest.holds(null, desired(TOKEN))).isFalse();
    // trimmed and live agree
    V1Secret trimmed = SecretDigest.trim(served("a", Map.of(NamespaceReconciler.DATA_KEY, bytes)));
    assertThat(SecretDigest.holds(trimmed, desired(TOKEN))).isTrue();
    assertThat(SecretDigest.holds(trimmed, desired(TOKEN + "x"))).isFalse();
    assertThat(SecretDigest.trim(trimmed).getData()).isEqualTo(trimmed.getData());
  }

  @Test
  void namespacesKeepWhatTheScopeReadsAndServiceAccountsAllButManagedFields() {
    OffsetDateTime deleting = OffsetDateTime.parse("2026-12-05T01:00:00Z");
    V1Namespace ns =
        new V1Namespace()
            .metadata(
                new V1ObjectMeta()
                    .name("team-a")
                    .uid("u1")
                    .resourceVersion("5")
                    .labels(Map.of("env", "prod"))
                    .annotations(Map.of("kubectl.kubernetes.io/last-applied-configuration", "{}"))
                    .deletionTimestamp(deleting)
                    .managedFields(List.of(new V1ManagedFieldsEntry().manager("kubectl"))));
    V1Namespace kept = (V1Namespace) CacheTrim.NAMESPACES.transform(ns);
    assertThat(kept.getMetadata().getName()).isEqualTo("team-a");
    assertThat(kept.getMetadata().getResourceVersion()).isEqualTo("5");
    assertThat(kept.getMetadata().getUid()).isEqualTo("u1");
    assertThat(kept.getMetadata().getLabels()).isEqualTo(Map.of("env", "prod"));
    assertThat(kept.getMetadata().getDeletionTimestamp()).isEqualTo(deleting);
    assertThat(kept.getMetadata().getAnnotations()).isNull();
    assertThat(kept.getMetadata().getManagedFields()).isNull();

    V1ServiceAccount sa =
        new V1ServiceAccount()
            .metadata(
                new V1ObjectMeta()
                    .name("default")
                    .namespace(new String("team-a".toCharArray()))
                    .creationTimestamp(OffsetDateTime.parse("2026-12-05T00:00:00Z"))
                    .annotations(Map.of("a", "b"))
                    .managedFields(List.of(new V1ManagedFieldsEntry().manager("kcm"))))
            .automountServiceAccountToken(false)
            .imagePullSecrets(List.of(new V1LocalObjectReference().name("mine")));
    V1ServiceAccount trimmed = (V1ServiceAccount) CacheTrim.SERVICE_ACCOUNTS.transform(sa);
    assertThat(trimmed.getMetadata().getManagedFields()).isNull();
    assertThat(trimmed.getAutomountServiceAccountToken()).isFalse();
    assertThat(trimmed.getImagePullSecrets()).extracting("name").containsExactly("mine");
    assertThat(trimmed.getMetadata().getAnnotations()).isEqualTo(Map.of("a", "b"));
    assertThat(trimmed.getMetadata().getCreationTimestamp()).isNull();
    // one shared copy of the namespace name
    assertThat(trimmed.getMetadata().getNamespace()).isSameAs(kept.getMetadata().getName());

    // equal maps and pull Secret lists of different objects are one instance
    V1ServiceAccount other =
        (V1ServiceAccount)
            CacheTrim.SERVICE_ACCOUNTS.transform(
                new V1ServiceAccount()
                    .metadata(
                        new V1ObjectMeta()
                            .name("builder")
                            .namespace("team-b")
                            .annotations(new java.util.HashMap<>(Map.of("a", "b"))))
                    .imagePullSecrets(List.of(new V1LocalObjectReference().name("mine"))));
    assertThat(other.getMetadata().getAnnotations())
        .isSameAs(trimmed.getMetadata().getAnnotations());
    assertThat(other.getImagePullSecrets()).isSameAs(trimmed.getImagePullSecrets());
    assertThat(other.getMetadata().getLabels()).isNull();
  }

  /** Every String and byte[] (as UTF-8) reachable from {@code roots} through fields. */
  private static List<String> reachableText(Collection<?> roots) throws Exception {
    List<String> found = new ArrayList<>();
    IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
    List<Object> todo = new ArrayList<>(roots);
    while (!todo.isEmpty()) {
      Object o = todo.remove(todo.size() - 1);
      if (o == null || seen.put(o, true) != null) {
        continue;
      }
      if (o instanceof String s) {
        found.add(s);
      } else if (o instanceof byte[] b) {
        found.add(new String(b, StandardCharsets.ISO_8859_1));
      } else if (o instanceof Map<?, ?> m) {
        todo.addAll(m.keySet());
        todo.addAll(m.values());
      } else if (o instanceof Collection<?> c) {
        todo.addAll(c);
      } else if (o.getClass().getName().startsWith("io.kubernetes.client.openapi.models.")) {
        for (Class<?> c = o.getClass(); c != Object.class; c = c.getSuperclass()) {
          for (Field f : c.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
              f.setAccessible(true);
              todo.add(f.get(o));
            }
          }
        }
      }
    }
    return found;
  }

  /** Answers the list with {@code body}; a watch gets an empty stream after a pause. */
  private static ApiClient servingClient(String body, AtomicInteger lists) {
    OkHttpClient http =
        new OkHttpClient.Builder()
            .readTimeout(java.time.Duration.ZERO)
            .addInterceptor(
                chain -> {
                  boolean watch = "true".equals(chain.request().url().queryParameter("watch"));
                  if (watch) {
                    try {
                      Thread.sleep(500);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  } else {
                    lists.incrementAndGet();
                  }
                  return new Response.Builder()
                      .request(chain.request())
                      .protocol(Protocol.HTTP_1_1)
                      .code(200)
                      .message("OK")
                      .body(
                          ResponseBody.create(watch ? "" : body, MediaType.get("application/json")))
                      .build();
                })
            .build();
    ApiClient client = new ApiClient(http);
    client.setBasePath("https://127.0.0.1:6443");
    return client;
  }
}
