package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.k8s.identity.RegistryTokenProviders;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.FakeAlibabaCloud;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A sync fed by {@link RegistryTokenProviders} hears of a new token through the providers' change
 * notification alone (no {@code RotationSignal}, no resync): the Secrets hold it within seconds.
 */
@WithKubeApiServer
class RegistryTokenProvidersSyncIT {

  private static final String AK = "LTAI5tIdentitySync0001";
  private static final String SK = "identitySyncSecret000000";

  private final SyncFixture fx;

  RegistryTokenProvidersSyncIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  @Test
  void aTokenTheProvidersFetchReachesTheSecretsThroughTheirChangeNotification() throws Exception {
    String inst = "identity-" + UUID.randomUUID().toString().substring(0, 6);
    String ns = fx.namespace("identity", Map.of("acr-test", inst));
    RegistryTarget target = SyncFixture.HZ;
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
        RegistryTokenProviders tokens =
            RegistryTokenProviders.builder()
                .acrEndpoint("http://" + cloud.acr().endpoint())
                .stsEndpoint("http://" + cloud.sts().endpoint())
                .metadataEndpoint("http://" + cloud.metadata().endpoint())
                .environment(
                    Map.of(
                        "ALIBABA_CLOUD_ACCESS_KEY_ID",
                        AK,
                        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                        SK,
                        "ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
                        "true",
                        "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
                        "true"))
                .build()) {
      cloud.identities().addAccessKey(AK, SK);
      RegistryTokenProviders.Applied applied =
          tokens.apply(
              SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), target));
      assertThat(applied.problems()).isEmpty();
      AcrConfiguration config = applied.configuration();
      try (PullSecretSync sync =
          PullSecretSync.builder()
              .apiClient(fx.server.adminClient())
              .configuration(config)
              .tokenProvider(tokens)
              .instanceName(inst)
              .build()) {
        sync.start();
        await(
            "first token in " + ns,
            () -> fx.password(ns, SyncFixture.HZ_SECRET, SyncFixture.HANGZHOU) != null);
        String first = fx.password(ns, SyncFixture.HZ_SECRET, SyncFixture.HANGZHOU);

        // a new token, fetched by someone else: only the change notification tells the sync
        tokens.invalidateAll();
        String second = tokens.fetch(target).password();
        assertThat(second).isNotEqualTo(first);

        await(
            "the new token in " + ns,
            () -> second.equals(fx.password(ns, SyncFixture.HZ_SECRET, SyncFixture.HANGZHOU)));
        assertThat(cloud.acr().issuedTokens()).hasSize(2);
      }
    }
  }
}
