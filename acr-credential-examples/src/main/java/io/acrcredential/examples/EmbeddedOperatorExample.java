package io.acrcredential.examples;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.PullSecretSyncBuilder;
import io.acrcredential.k8s.SyncListener;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.kubernetes.client.openapi.ApiClient;
import java.time.Duration;
import java.util.Objects;

/**
 * How to run the pull-Secret sync inside another operator's process, sharing that operator's {@link
 * ApiClient}: a cache in front of the ACR provider and a {@link PullSecretSync} that the operator
 * starts and closes with its own life cycle. The sync subscribes to the cache when it starts, so
 * every rotation rewrites the Secrets at once.
 *
 * <pre>{@code
 * AcrTokenProvider acr = AcrTokenProvider.builder()
 *     .credentials(AlibabaCredentials.defaultChain())
 *     .build();
 * AcrConfiguration config = AcrConfigParser.forClusterRegion("cn-hangzhou").parseStrict(data);
 * try (EmbeddedOperatorExample sync =
 *     new EmbeddedOperatorExample(operatorApiClient, acr, config, null)) {
 *   sync.start();
 *   // ... the operator's own work ...
 * }
 * }</pre>
 *
 * <p>Leader election is left to the host operator here (it usually has its own); pass {@code
 * PullSecretSyncBuilder#leaderElection} when it does not. Nothing in this class is static.
 */
public final class EmbeddedOperatorExample implements AutoCloseable {

  private final CachingTokenProvider cache;
  private final PullSecretSync sync;

  /**
   * Wires the sync; nothing runs until {@link #start()}.
   *
   * @param operatorClient the host operator's client, used for reads and writes (the sync derives a
   *     separate client with its own read timeout for its informers)
   * @param acr the provider that really asks ACR, usually an {@code AcrTokenProvider}
   * @param configuration what to keep in sync and where
   * @param listener learns what the sync does, or null
   * @throws NullPointerException when a required argument is null
   */
  public EmbeddedOperatorExample(
      ApiClient operatorClient,
      TokenProvider acr,
      AcrConfiguration configuration,
      SyncListener listener) {
    Objects.requireNonNull(operatorClient, "operatorClient");
    Objects.requireNonNull(acr, "acr");
    Objects.requireNonNull(configuration, "configuration");
    this.cache =
        CachingTokenProvider.builder(acr)
            .refreshBeforeExpiry(configuration.expiringThreshold())
            .retryBackoff(Duration.ofSeconds(1), Duration.ofMinutes(2))
            .build();
    PullSecretSyncBuilder b =
        PullSecretSync.builder()
            .apiClient(operatorClient)
            .configuration(configuration)
            .tokenProvider(cache)
            .eventComponent("my-operator");
    if (listener != null) {
      b.listener(listener);
    }
    this.sync = b.build();
  }

  /** Starts the informers and workers; returns at once. */
  public void start() {
    sync.start();
  }

  /**
   * Whether the informer caches are filled and the workers run.
   *
   * @return true once ready
   */
  public boolean isReady() {
    return sync.isReady();
  }

  /**
   * Applies a changed configuration (for example from the operator's own custom resource).
   *
   * @param configuration the new configuration
   */
  public void update(AcrConfiguration configuration) {
    sync.updateConfiguration(configuration);
  }

  /** Stops the sync's threads and the cache's refresher; the operator's client stays usable. */
  @Override
  public void close() {
    sync.close();
    cache.close();
  }
}
