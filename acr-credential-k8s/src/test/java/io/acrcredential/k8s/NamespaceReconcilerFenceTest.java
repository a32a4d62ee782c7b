package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.kubernetes.client.informer.cache.Cache;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * The reconciler checks the fence right before each write: once it closes, the next write is not
 * sent. The API server is {@link EchoApi}.
 */
class NamespaceReconcilerFenceTest {

  private static final long SECOND = 1_000_000_000L;
  private static final Duration RENEW_DEADLINE = Duration.ofSeconds(10);
  private static final String NS = "team-a";
  private static final Set<String> SERVICE_ACCOUNTS = Set.of("sa-1", "sa-2", "sa-3");

  private final AtomicLong nanos = new AtomicLong(100 * SECOND);
  private final WriteFence fence = WriteFence.elected("me", RENEW_DEADLINE, nanos::get, () -> {});
  private final List<String> sent = new CopyOnWriteArrayList<>();
  private IntConsumer afterWrite = n -> {};
  private String leaseHolder = "me";

  /** A Lease as the fence sees it through its wrapper. */
  private final LeaseStore lease =
      fence.wrap(
          new LeaseStore() {
            @Override
            public LeaseRecord get() {
              return new LeaseRecord(
                  leaseHolder,
                  Duration.ofSeconds(15),
                  OffsetDateTime.now(),
                  OffsetDateTime.now(),
                  0);
            }

            @Override
            public boolean create(LeaseRecord record) {
              return update(record);
            }

            @Override
            public boolean update(LeaseRecord record) {
              leaseHolder = record.holder();
              return true;
            }

            @Override
            public String identity() {
              return "me";
            }

            @Override
            public String describe() {
              return "test/lease";
            }
          });

  private ApiClient client() {
    return EchoApi.client(sent, n -> afterWrite.accept(n));
  }

  private NamespaceReconciler reconciler() {
    ApiClient client = client();
    Cache<V1ServiceAccount> serviceAccounts = new Cache<>();
    for (String name : SERVICE_ACCOUNTS) {
      serviceAccounts.add(
          new V1ServiceAccount()
              .metadata(new V1ObjectMeta().namespace(NS).name(name).resourceVersion("1")));
    }
    SecretCache noSecrets =
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
    return new NamespaceReconciler(
        client,
        new Markers("fence"),
        noSecrets,
        ServiceAccountSource.of(serviceAccounts, () -> true),
        limiter,
        fence,
        WarningEvents.fenced(new CoreV1Api(client), "test", "fence", limiter, fence),
        clash -> {},
        nanos::get);
  }

  private NamespaceSyncResult reconcile() throws Exception {
    AcrConfiguration configuration =
        SyncFixture.config(
            "fence", ServiceAccountScope.named(SERVICE_ACCOUNTS), SyncFixture.HZ, SyncFixture.SH);
    CredentialSnapshot snapshot =
        CredentialSnapshot.build(
            configuration, new FakeTokens(), null, Instant.now(), new ArrayList<>());
    V1Namespace namespace =
        new V1Namespace().metadata(new V1ObjectMeta().name(NS).labels(Map.of("acr-test", "fence")));
    return reconciler().reconcile(namespace, configuration, snapshot);
  }

  private void lead() {
    fence.lead();
    assertThat(
            lease.update(
                new LeaseRecord(
                    "me", Duration.ofSeconds(15), OffsetDateTime.now(), OffsetDateTime.now(), 0)))
        .isTrue();
  }

  @Test
  void whileLeadingEveryWriteIsSent() throws Exception {
    lead();
    NamespaceSyncResult result = reconcile();
    assertThat(result.secretsCreated()).hasSize(2);
    assertThat(result.serviceAccountsUpdated()).hasSize(3);
    assertThat(sent).hasSize(5);
  }

  @Test
  void aLeaseReadShowingAnotherHolderStopsTheNextWrite() throws Exception {
    lead();
    afterWrite =
        n -> {
          if (n == 2) {
            leaseHolder = "usurper";
            try {
              lease.get(); // the elector's next renewal attempt reads the Lease
            } catch (io.kubernetes.client.openapi.ApiException e) {
              throw new AssertionError(e);
            }
          }
        };
    assertThatThrownBy(this::reconcile)
        .isInstanceOf(NotLeaderException.class)
        .hasMessageContaining("another identity");
    assertThat(sent).as("writes sent").hasSize(2).allMatch(w -> w.startsWith("POST "));
  }

  @Test
  void passingTheRenewDeadlineStopsTheNextWrite() throws Exception {
    lead();
    afterWrite =
        n -> {
          if (n == 3) {
            nanos.addAndGet(RENEW_DEADLINE.toNanos() + 1); // no renewal came in time
          }
        };
    assertThatThrownBy(this::reconcile)
        .isInstanceOf(NotLeaderException.class)
        .hasMessageContaining("renew deadline");
    assertThat(sent).hasSize(3);
  }

  @Test
  void closingStopsTheNextWrite() throws Exception {
    lead();
    afterWrite =
        n -> {
          if (n == 1) {
            fence.close();
          }
        };
    assertThatThrownBy(this::reconcile)
        .isInstanceOf(NotLeaderException.class)
        .hasMessageContaining("closed");
    assertThat(sent).hasSize(1);
  }

  @Test
  void withoutARenewalNothingIsSent() throws Exception {
    fence.lead(); // the elector's word alone is not enough
    assertThatThrownBy(this::reconcile).isInstanceOf(NotLeaderException.class);
    assertThat(sent).isEmpty();
  }
}
