package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.kubernetes.client.informer.cache.Cache;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Secret the reconciler created that its cache does not show yet is taken for the cache's lag (no
 * second write), but only until the cache moves: an event for that Secret, a new cache for its
 * name, or age. The Secret cache here stays empty throughout, as it does when the Secret was
 * deleted before the cache showed it (the create and the delete arriving together, or before a new
 * name's first list). The API server is {@link EchoApi}.
 */
class NamespaceReconcilerUnseenWriteTest {

  private static final String NS = "team-a";

  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
  private final List<String> sent = new CopyOnWriteArrayList<>();
  private AcrConfiguration configuration;
  private CredentialSnapshot snapshot;
  private NamespaceReconciler reconciler;
  private String secretName;

  @BeforeEach
  void setUp() throws Exception {
    configuration =
        SyncFixture.config("unseen", ServiceAccountScope.named(Set.of("default")), SyncFixture.HZ);
    snapshot =
        CredentialSnapshot.build(
            configuration, new FakeTokens(), null, Instant.now(), new ArrayList<>());
    secretName = snapshot.secrets().keySet().iterator().next();
    ApiClient client = EchoApi.client(sent, n -> {});
    Cache<V1ServiceAccount> serviceAccounts = new Cache<>();
    serviceAccounts.add(
        new V1ServiceAccount()
            .metadata(new V1ObjectMeta().namespace(NS).name("default").resourceVersion("1")));
    SecretCache empty =
        new SecretCache() {
          @Override
          public V1Secret get(String namespace, String name) {
            return null;
          }

          @Override
          public List<V1Secret> list(String namespace) {
            return List.of();
          }
        };
    WriteLimiter limiter = new WriteLimiter(1000, 1000, nanos::get);
    WriteFence fence = WriteFence.unelected();
    fence.lead();
    reconciler =
        new NamespaceReconciler(
            client,
            new Markers("unseen"),
            empty,
            ServiceAccountSource.of(serviceAccounts, () -> true),
            limiter,
            fence,
            WarningEvents.fenced(new CoreV1Api(client), "test", "unseen", limiter, fence),
            clash -> {},
            nanos::get);
    assertThat(reconcile().secretsCreated()).containsExactly(secretName);
    assertThat(creates()).isEqualTo(1);
  }

  private NamespaceSyncResult reconcile() throws Exception {
    V1Namespace namespace =
        new V1Namespace()
            .metadata(new V1ObjectMeta().name(NS).labels(Map.of("acr-test", "unseen")));
    return reconciler.reconcile(namespace, configuration, snapshot);
  }

  private long creates() {
    return sent.stream()
        .filter(r -> r.equals("POST /api/v1/namespaces/" + NS + "/secrets"))
        .count();
  }

  @Test
  void whileTheCacheLagsTheCreateIsNotSentAgain() throws Exception {
    reconcile();
    reconcile();
    assertThat(creates()).isEqualTo(1);
  }

  @Test
  void anEventForTheSecretEndsTheWait() throws Exception {
    reconciler.cacheMoved(NS, secretName); // e.g. its deletion
    assertThat(reconcile().secretsCreated()).containsExactly(secretName);
    assertThat(creates()).isEqualTo(2);
  }

  @Test
  void anEventForAnotherSecretDoesNot() throws Exception {
    reconciler.cacheMoved("team-b", secretName);
    reconciler.cacheMoved(NS, secretName + "-other");
    reconcile();
    assertThat(creates()).isEqualTo(1);
  }

  @Test
  void aNewCacheForTheNameEndsTheWait() throws Exception {
    reconciler.cacheRestarted(secretName);
    assertThat(reconcile().secretsCreated()).containsExactly(secretName);
    assertThat(creates()).isEqualTo(2);
  }

  @Test
  void aWriteUnseenForLongerThanTheCacheCanLagIsWrittenAgain() throws Exception {
    nanos.addAndGet(NamespaceReconciler.UNSEEN_FOR_AT_MOST.toNanos() - 1);
    reconcile();
    assertThat(creates()).isEqualTo(1);
    nanos.addAndGet(1);
    assertThat(reconcile().secretsCreated()).containsExactly(secretName);
    assertThat(creates()).isEqualTo(2);
  }
}
