package io.acrcredential.examples;

import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.PullSecretSyncBuilder;
import io.acrcredential.k8s.SyncListener;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.identity.RegistryTokenProviders;
import io.kubernetes.client.openapi.ApiClient;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How to run the pull-Secret sync inside another operator's process, sharing that operator's {@link
 * ApiClient}: the configuration's identities turned into cached ACR tokens ({@link
 * RegistryTokenProviders}) and a {@link PullSecretSync} that the operator starts and closes with
 * its own life cycle. The sync subscribes to the tokens' changes when it starts, so every rotation
 * rewrites the Secrets at once.
 *
 * <pre>{@code
 * RegistryTokenProviders tokens = RegistryTokenProviders.builder()
 *     .environment(System.getenv())
 *     .build();
 * AcrConfiguration config = AcrConfigParser.forClusterRegion("cn-hangzhou").parseStrict(data);
 * try (EmbeddedOperatorExample sync =
 *     new EmbeddedOperatorExample(operatorApiClient, tokens, config, null)) {
 *   sync.start();
 *   // ... the operator's own work ...
 * }
 * }</pre>
 *
 * <p>Leader election is left to the host operator here (it usually has its own); pass {@code
 * PullSecretSyncBuilder#leaderElection} when it does not. Nothing in this class is static.
 */
public final class EmbeddedOperatorExample implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedOperatorExample.class);

  private final RegistryTokenProviders tokens;
  private final PullSecretSync sync;

  /**
   * Wires the sync; nothing runs until {@link #start()}.
   *
   * @param operatorClient the host operator's client, used for reads and writes (the sync derives a
   *     separate client with its own read timeout for its informers)
   * @param tokens the token providers for the configuration's identities; closed with this
   * @param configuration what to keep in sync and where, with the identity of each registry
   * @param listener learns what the sync does, or null
   * @throws NullPointerException when a required argument is null
   */
  public EmbeddedOperatorExample(
      ApiClient operatorClient,
      RegistryTokenProviders tokens,
      AcrConfiguration configuration,
      SyncListener listener) {
    Objects.requireNonNull(operatorClient, "operatorClient");
    this.tokens = Objects.requireNonNull(tokens, "tokens");
    PullSecretSyncBuilder b =
        PullSecretSync.builder()
            .apiClient(operatorClient)
            .configuration(apply(Objects.requireNonNull(configuration, "configuration")))
            .tokenProvider(tokens)
            .eventComponent("my-operator");
    if (listener != null) {
      b.listener(listener);
    }
    this.sync = b.build();
  }

  /**
   * Switches the tokens to a configuration; a registry they cannot serve is logged and left out.
   */
  private AcrConfiguration apply(AcrConfiguration configuration) {
    RegistryTokenProviders.Applied applied = tokens.apply(configuration);
    applied.problems().forEach(p -> LOG.warn("{}", p));
    return applied.configuration();
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
    sync.updateConfiguration(apply(configuration));
  }

  /** Stops the sync's threads and the tokens' refresher; the operator's client stays usable. */
  @Override
  public void close() {
    sync.close();
    tokens.close();
  }
}
